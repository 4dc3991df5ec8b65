import type { ElectronBridge } from '@contract'
import { BrowserTransport } from './browser'
import { ElectronTransport } from './electron'
import { takeToken } from './token'
import type { RendererTransport } from './types'

export { ApiError } from './errors'
export type { ConnectionState, ConnectionStatus, RendererTransport } from './types'

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in a browser tab. */
    b2mBridge?: ElectronBridge
  }
}

let current: RendererTransport | null = null

function isBridge(x: unknown): x is ElectronBridge {
  return !!x && typeof (x as ElectronBridge).call === 'function' && typeof (x as ElectronBridge).on === 'function'
}

/** Chooses the face once, at start: the preload bridge when present, else HTTP + WebSocket. */
export function createTransport(): RendererTransport {
  const bridge = window.b2mBridge
  if (isBridge(bridge)) return new ElectronTransport(bridge)
  return new BrowserTransport(takeToken())
}

export function installTransport(t: RendererTransport): RendererTransport {
  current = t
  return t
}

/** The one transport of this window. Everything else goes through here and never learns the face. */
export function api(): RendererTransport {
  if (!current) throw new Error('transport not installed (call installTransport first)')
  return current
}
