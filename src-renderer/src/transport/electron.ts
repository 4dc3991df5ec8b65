import type { ElectronBridge, EventName, EventPayload, MethodName, Params, Result } from '@contract'
import { ApiError } from './errors'
import type { ConnectionState, RendererTransport } from './types'
import { EventHub, parseResult } from './validate'

/** The Electron face: calls go through the preload bridge (IPC); the link is always up. */
export class ElectronTransport implements RendererTransport {
  readonly face = 'electron' as const
  readonly connection: ConnectionState = { status: 'connected', attempt: 0, retryAt: null, detail: null }
  private readonly hub = new EventHub()
  private readonly bridgeOff = new Map<string, () => void>()

  constructor(private readonly bridge: ElectronBridge) {}

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    let reply: Awaited<ReturnType<ElectronBridge['call']>>
    try {
      reply = await this.bridge.call(method, params ?? {})
    } catch (err) {
      throw ApiError.from(err)
    }
    if (!reply || typeof reply !== 'object') throw new ApiError('internal', `The core sent no answer to ${method}`)
    if (!reply.ok) throw ApiError.from(reply.error)
    return parseResult(method, reply.value)
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    // One bridge subscription per event name; the hub fans out and validates.
    if (!this.bridgeOff.has(event)) {
      this.bridgeOff.set(
        event,
        this.bridge.on(event, (payload) => this.hub.emit(event, payload))
      )
    }
    return this.hub.add(event, handler as (p: unknown) => void)
  }

  onConnection(handler: (state: ConnectionState) => void): () => void {
    handler(this.connection)
    return () => {}
  }

  reconnectNow(): void {}
}
