/**
 * Opening a catalogue file: version check (before anything is written), pragmas, migrations.
 */
import Database from 'better-sqlite3'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { B2mError } from '../common/errors'
import { sqliteNativeBinding } from './native'
import { type Migration, migrations as defaultMigrations } from './migrations'

export type Db = Database.Database

export interface OpenedDb {
  db: Db
  /** Schema version after migrating. */
  schemaVersion: number
  /** Versions of the migrations applied by this open (empty when the file was up to date). */
  applied: number[]
}

export function nowIso(): string {
  return new Date().toISOString()
}

function checkMigrationList(list: Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new B2mError('internal', `migration list is not numbered 1..n: entry ${i} has version ${m.version}`)
    }
  })
}

/**
 * Opens (creating if needed) a catalogue and brings its schema up to date. A file written by a newer
 * app (user_version above the last migration known here) is refused before anything is written to it.
 */
export function openDatabase(file: string, list: Migration[] = defaultMigrations): OpenedDb {
  checkMigrationList(list)
  const known = list.length
  const existed = existsSync(file)
  if (!existed) mkdirSync(dirname(file), { recursive: true })
  let db: Db
  try {
    const nativeBinding = sqliteNativeBinding()
    db = new Database(file, nativeBinding ? { nativeBinding } : {})
  } catch (err) {
    throw new B2mError('failed', `cannot open catalogue: ${(err as Error).message}`, file)
  }
  try {
    let current: number
    try {
      current = db.pragma('user_version', { simple: true }) as number
    } catch (err) {
      throw new B2mError('bad_request', `not a Brain2Music catalogue (SQLite said: ${(err as Error).message})`, file)
    }
    if (current > known) {
      throw new B2mError(
        'conflict',
        `catalogue schema version ${current} is newer than this app supports (version ${known}); ` +
          'open it with a newer Brain2Music Lab. The file was not changed.',
        file
      )
    }
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('synchronous = NORMAL')

    const applied: number[] = []
    for (const m of list) {
      if (m.version <= current) continue
      const apply = db.transaction(() => {
        db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
        db.exec(m.sql)
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          nowIso()
        )
        db.pragma(`user_version = ${m.version}`)
      })
      try {
        apply()
      } catch (err) {
        throw new B2mError(
          'failed',
          `migration ${m.version} (${m.name}) failed and was rolled back: ${(err as Error).message}`,
          file
        )
      }
      applied.push(m.version)
      current = m.version
    }
    return { db, schemaVersion: current, applied }
  } catch (err) {
    db.close()
    throw err
  }
}
