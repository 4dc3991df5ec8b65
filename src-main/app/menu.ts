import { Menu, shell, type MenuItemConstructorOptions } from 'electron'

export function buildMenu(workspace: string): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Show Workspace Folder', click: () => void shell.openPath(workspace) },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' }
      ]
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'Brain2Music paper (Denk et al., 2023)',
          click: () => void shell.openExternal('https://arxiv.org/abs/2307.11078')
        }
      ]
    }
  ]
  return Menu.buildFromTemplate(template)
}
