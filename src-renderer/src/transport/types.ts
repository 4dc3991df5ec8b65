import type { Transport } from '@contract'

/**
 * How the renderer is linked to the core right now.
 * - connecting: first attempt in progress
 * - connected: calls and events flow
 * - reconnecting: the event stream dropped; retrying with backoff (`retryAt` is when the next try starts)
 * - unauthorized: the core refused our token (a browser tab opened without, or with a stale, token)
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized'

export interface ConnectionState {
  status: ConnectionStatus
  /** Consecutive failed attempts since the last good connection. */
  attempt: number
  /** Epoch ms of the next reconnect attempt, when reconnecting. */
  retryAt: number | null
  /** Last problem, in words, when not connected. */
  detail: string | null
}

/** The contract's Transport plus the link state the status bar shows. Behaviour never branches on face. */
export interface RendererTransport extends Transport {
  readonly connection: ConnectionState
  /** Called on every connection change; returns unsubscribe. */
  onConnection(handler: (state: ConnectionState) => void): () => void
  /** Try to reconnect now instead of waiting for the backoff timer. */
  reconnectNow(): void
}
