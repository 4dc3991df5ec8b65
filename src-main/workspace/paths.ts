/** Where the workspace lives when none is named. No dependency: the rules are short. */
import { homedir } from 'node:os'
import { posix, resolve, win32 } from 'node:path'

export const APP_DIR_NAME = 'Brain2Music Lab'
/** Linux folder name under the XDG data home (lower-case, no spaces, as is the custom there). */
export const XDG_DIR_NAME = 'brain2music-lab'

/**
 * `$B2M_WORKSPACE` when set; otherwise the per-user data folder:
 * Linux (and other Unix) `$XDG_DATA_HOME/brain2music-lab` or `~/.local/share/brain2music-lab`,
 * macOS `~/Library/Application Support/Brain2Music Lab`, Windows `%APPDATA%\Brain2Music Lab`.
 * The arguments exist for tests.
 */
export function defaultWorkspaceDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir()
): string {
  const explicit = env.B2M_WORKSPACE?.trim()
  if (explicit) return resolve(explicit)
  if (platform === 'win32') {
    const appData = env.APPDATA?.trim() || win32.join(home, 'AppData', 'Roaming')
    return win32.join(appData, APP_DIR_NAME)
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', APP_DIR_NAME)
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME?.trim()
  const dataHome = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share')
  return posix.join(dataHome, XDG_DIR_NAME)
}
