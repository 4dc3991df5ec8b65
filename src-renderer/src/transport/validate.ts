import { events, methods, type EventName, type EventPayload, type MethodName, type Result } from '@contract'
import { ApiError } from './errors'

/** Checks a call's result against the contract, so a drifted core fails loudly and precisely. */
export function parseResult<M extends MethodName>(method: M, value: unknown): Result<M> {
  const parsed = methods[method].result.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : ''
    throw new ApiError(
      'internal',
      `The core answered ${method} with an unexpected shape${where}: ${issue?.message ?? 'invalid'}`
    )
  }
  return parsed.data as Result<M>
}

/** Validates an event payload; returns undefined (and warns) when it does not match the contract. */
export function parseEvent<E extends EventName>(event: E, payload: unknown): EventPayload<E> | undefined {
  const schema = events[event]
  if (!schema) return undefined
  const parsed = schema.safeParse(payload)
  if (!parsed.success) {
    console.warn(`[b2m] dropped ${event} event that does not match the contract`, parsed.error.issues)
    return undefined
  }
  return parsed.data as EventPayload<E>
}

/** A tiny typed handler registry shared by both transports. */
export class EventHub {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>()

  add(event: string, handler: (payload: unknown) => void): () => void {
    let set = this.handlers.get(event)
    if (!set) this.handlers.set(event, (set = new Set()))
    set.add(handler)
    return () => {
      set.delete(handler)
    }
  }

  has(event: string): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0
  }

  emit(event: string, rawPayload: unknown): void {
    const set = this.handlers.get(event)
    if (!set || set.size === 0) return
    const payload = parseEvent(event as EventName, rawPayload)
    if (payload === undefined) return
    for (const h of [...set]) {
      try {
        h(payload)
      } catch (err) {
        console.error(`[b2m] ${event} handler failed`, err)
      }
    }
  }
}
