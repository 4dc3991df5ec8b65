import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { findUp } from '../common/find-up'

/**
 * The better-sqlite3 addon to load. Under Node: the one npm built (undefined). Under Electron: the copy
 * `npm run electron:rebuild` built for Electron's ABI in .native/electron, so both can live side by side.
 * B2M_SQLITE_BINDING overrides both (packaged apps, unusual layouts).
 */
export function sqliteNativeBinding(): string | undefined {
  const override = process.env['B2M_SQLITE_BINDING']
  if (override) return override
  if (!process.versions.electron) return undefined
  const rel = join('.native', 'electron', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
  const found = findUp(__dirname, rel, 5)
  return found && existsSync(found) ? found : undefined
}
