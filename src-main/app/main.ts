/**
 * The Electron face: a window, a menu, security settings and IPC registration. Nothing else lives
 * here; everything the window does goes through the same core the browser face and the CLI use.
 */
import { join } from 'node:path'
import { app, BrowserWindow, dialog, Menu } from 'electron'
import { Core } from '../api/core'
import { defaultWorkspaceDir } from '../workspace/paths'
import { registerIpc } from './ipc'
import { buildMenu } from './menu'
import { hardenContents, hardenSession } from './security'

const devServer = process.env['ELECTRON_RENDERER_URL']
let core: Core | null = null

function workspaceArg(): string {
  const i = process.argv.indexOf('--workspace')
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : defaultWorkspaceDir()
}

function createWindow(c: Core): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Brain2Music Lab',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  hardenContents(win.webContents, devServer)
  const off = registerIpc(c, win, devServer)
  win.on('closed', off)
  win.once('ready-to-show', () => win.show())
  if (devServer) void win.loadURL(devServer)
  else void win.loadFile(join(__dirname, '../renderer/index.html'))
  return win
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0]
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, devServer))
  void app.whenReady().then(() => {
    hardenSession()
    core = Core.open(workspaceArg(), {
      face: 'electron',
      runJobs: true,
      log: (level, text) => console.log(`[${level}] ${text}`)
    })
    Menu.setApplicationMenu(buildMenu(core.workspace.root))
    const win = createWindow(core)
    core.pickFolder = async (title) => {
      const r = await dialog.showOpenDialog(win, { title: title ?? 'Choose a folder', properties: ['openDirectory'] })
      return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0]
    }
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0 && core) createWindow(core)
    })
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('will-quit', (event) => {
    if (!core) return
    event.preventDefault()
    const closing = core
    core = null
    void closing.close().finally(() => app.quit())
  })
}
