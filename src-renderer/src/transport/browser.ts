import type { EventName, EventPayload, MethodName, Params, Result } from '@contract'
import { ApiError } from './errors'
import type { ConnectionState, RendererTransport } from './types'
import { EventHub, parseResult } from './validate'

const BACKOFF_FIRST_MS = 500
const BACKOFF_MAX_MS = 15_000

/**
 * The browser face (`b2m serve`): calls are `POST /api/call/<method>` with the params as JSON body;
 * events arrive over one WebSocket at `/api/events`, reopened with exponential backoff when it drops.
 */
export class BrowserTransport implements RendererTransport {
  readonly face = 'browser' as const
  connection: ConnectionState = { status: 'connecting', attempt: 0, retryAt: null, detail: null }

  private readonly hub = new EventHub()
  private readonly connectionHandlers = new Set<(s: ConnectionState) => void>()
  private ws: WebSocket | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private disposed = false

  constructor(
    private readonly token: string | null,
    private readonly origin: string = window.location.origin
  ) {
    window.addEventListener('online', this.onOnline)
    this.open()
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' }
    if (this.token) headers.Authorization = `Bearer ${this.token}`
    let res: Response
    try {
      res = await fetch(`${this.origin}/api/call/${method}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(params ?? {}),
        credentials: 'same-origin',
        cache: 'no-store'
      })
    } catch (err) {
      throw new ApiError('internal', `Cannot reach the b2m server at ${new URL(this.origin).host} (${errText(err)})`)
    }
    const text = await res.text()
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = undefined
    }
    if (res.status === 401) this.markUnauthorized()
    if (body && typeof body === 'object' && 'ok' in body) {
      const b = body as { ok: unknown; value?: unknown; error?: unknown }
      if (b.ok === true && res.ok) return parseResult(method, b.value)
      if (b.ok === false) throw ApiError.from(b.error)
    }
    const snippet = text.trim().slice(0, 200)
    throw new ApiError(
      res.status === 401 ? 'unauthorized' : 'internal',
      `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''} from ${method}${snippet ? `: ${snippet}` : ''}`
    )
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    return this.hub.add(event, handler as (p: unknown) => void)
  }

  onConnection(handler: (state: ConnectionState) => void): () => void {
    this.connectionHandlers.add(handler)
    handler(this.connection)
    return () => {
      this.connectionHandlers.delete(handler)
    }
  }

  reconnectNow(): void {
    if (this.disposed) return
    if (this.ws && this.connection.status === 'connected') return
    this.clearTimer()
    this.open()
  }

  dispose(): void {
    this.disposed = true
    this.clearTimer()
    window.removeEventListener('online', this.onOnline)
    const ws = this.ws
    this.ws = null
    ws?.close()
  }

  // -------------------------------------------------------------------------------------------

  private readonly onOnline = (): void => this.reconnectNow()

  private eventsUrl(): string {
    const url = new URL('/api/events', this.origin)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    if (this.token) url.searchParams.set('token', this.token)
    return url.toString()
  }

  private open(): void {
    if (this.ws) {
      const old = this.ws
      this.ws = null
      old.close()
    }
    if (this.connection.status !== 'reconnecting') this.setConnection({ status: 'connecting', retryAt: null })
    let ws: WebSocket
    try {
      ws = new WebSocket(this.eventsUrl())
    } catch (err) {
      this.afterDrop(errText(err))
      return
    }
    this.ws = ws
    ws.onopen = () => {
      if (this.ws !== ws) return
      this.setConnection({ status: 'connected', attempt: 0, retryAt: null, detail: null })
    }
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return
      let msg: unknown
      try {
        msg = JSON.parse(ev.data)
      } catch {
        console.warn('[b2m] ignored an event message that is not JSON')
        return
      }
      if (msg && typeof msg === 'object' && typeof (msg as { event?: unknown }).event === 'string') {
        const m = msg as { event: string; payload?: unknown }
        this.hub.emit(m.event, m.payload)
      }
    }
    ws.onclose = (ev) => {
      if (this.ws !== ws) return
      this.ws = null
      this.afterDrop(ev.reason || `event stream closed (code ${ev.code})`)
    }
  }

  /** The event stream dropped: find out whether we were refused, otherwise retry with backoff. */
  private afterDrop(detail: string): void {
    if (this.disposed) return
    void this.probeAuth().then((refused) => {
      if (this.disposed || this.ws) return
      if (refused) {
        this.markUnauthorized()
        return
      }
      const attempt = this.connection.attempt + 1
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1))
      const delay = Math.round(base * (0.8 + 0.4 * Math.random()))
      this.setConnection({ status: 'reconnecting', attempt, retryAt: Date.now() + delay, detail })
      this.clearTimer()
      this.timer = setTimeout(() => {
        this.timer = null
        this.open()
      }, delay)
    })
  }

  /** True when the server answers but refuses our credentials. */
  private async probeAuth(): Promise<boolean> {
    try {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' }
      if (this.token) headers.Authorization = `Bearer ${this.token}`
      const res = await fetch(`${this.origin}/api/call/app.info`, {
        method: 'POST',
        headers,
        body: '{}',
        credentials: 'same-origin',
        cache: 'no-store'
      })
      return res.status === 401
    } catch {
      return false
    }
  }

  private markUnauthorized(): void {
    this.clearTimer()
    this.setConnection({
      status: 'unauthorized',
      retryAt: null,
      detail: 'The server refused this session. Open the address printed by `b2m serve` (it carries the token).'
    })
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private setConnection(patch: Partial<ConnectionState>): void {
    this.connection = { ...this.connection, ...patch }
    for (const h of [...this.connectionHandlers]) h(this.connection)
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
