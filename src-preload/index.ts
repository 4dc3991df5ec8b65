/**
 * The Electron preload: a sandboxed script that exposes exactly one narrow bridge, `window.b2mBridge`,
 * carrying contract calls and events over IPC. It holds no logic; main validates everything.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from './channels'

const bridge = {
  call: (method: string, params: unknown): Promise<unknown> => ipcRenderer.invoke(IPC_CALL_CHANNEL, method, params),
  on: (event: string, handler: (payload: unknown) => void): (() => void) => {
    const listener = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) handler(payload)
    }
    ipcRenderer.on(IPC_EVENT_CHANNEL, listener)
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, listener)
  }
}

contextBridge.exposeInMainWorld('b2mBridge', bridge)
