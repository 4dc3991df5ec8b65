import { ipcMain, type BrowserWindow } from 'electron'
import { EVENT_NAMES } from '../../src-preload/api'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../src-preload/channels'
import type { Core } from '../api/core'
import { dispatch } from '../api/dispatch'
import { errorBody } from '../common/errors'
import { isAppUrl } from './security'

/** Wires the contract onto IPC: calls from our own window's frames only, events pushed to it. */
export function registerIpc(core: Core, win: BrowserWindow, devServer: string | undefined): () => void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method: unknown, params: unknown) => {
    const frameUrl = event.senderFrame?.url ?? ''
    if (event.sender !== win.webContents || !isAppUrl(frameUrl, devServer))
      return { ok: false, error: { code: 'unauthorized', message: `IPC from an unexpected sender (${frameUrl})` } }
    try {
      return { ok: true, value: await dispatch(core, String(method), params) }
    } catch (err) {
      return { ok: false, error: errorBody(err) }
    }
  })
  const offs = EVENT_NAMES.map((name) =>
    core.events.on(name, (payload) => {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload)
    })
  )
  return () => {
    ipcMain.removeHandler(IPC_CALL_CHANNEL)
    for (const off of offs) off()
  }
}
