/** A small typed event emitter: handlers get exactly the payload type of their event. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>()

  on<E extends keyof Events>(event: E, handler: (payload: Events[E]) => void): () => void {
    let set = this.handlers.get(event)
    if (!set) this.handlers.set(event, (set = new Set()))
    set.add(handler as (payload: never) => void)
    return () => set.delete(handler as (payload: never) => void)
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const h of this.handlers.get(event) ?? []) {
      try {
        ;(h as (p: Events[E]) => void)(payload)
      } catch (err) {
        // A failing listener (a closed socket, say) must not stop the others or the job.
        console.error(`listener for ${String(event)} failed:`, err)
      }
    }
  }
}
