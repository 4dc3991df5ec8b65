import { session, type WebContents } from 'electron'
import { CSP } from '../server/static'

/** The window may load only the bundled renderer (or the dev server while developing). */
export function isAppUrl(url: string, devServer: string | undefined): boolean {
  if (devServer) return url.startsWith(devServer)
  return url.startsWith('file://') && url.includes('/out/renderer/')
}

/** Locks a session and its web contents down: strict CSP, no permissions, no navigation, no popups. */
export function hardenSession(): void {
  const s = session.defaultSession
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  s.setPermissionCheckHandler(() => false)
}

export function hardenContents(contents: WebContents, devServer: string | undefined): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServer)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, devServer)) event.preventDefault()
  })
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-attach-webview', (event) => event.preventDefault())
}
