/**
 * Music libraries (migration 4): a folder of audio files, one embedding per readable file in a float32
 * workspace array (row = `library_items.row`), and one `library_items` row per file found. Written to
 * scale: items are looked up one at a time through the (library_id, path) index and written through
 * prepared statements; the libraries row never holds a list of items (its legacy `items` column stays '[]').
 */
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'
import { isUniqueViolation } from './sqlite-errors'

export interface Library {
  id: number
  name: string
  root: string
  extractor: string
  params: Record<string, unknown>
  dim: number | null
  arrayId: number | null
  provenance: Record<string, unknown>
  createdAt: string
}

export interface LibraryCounts {
  items: number
  embedded: number
  unreadable: number
}

export interface NewLibrary {
  name: string
  root: string
  extractor: string
  params: Record<string, unknown>
  dim: number
  arrayId: number
  provenance: Record<string, unknown>
}

/** What a re-scan needs to know about a file it has seen before. */
export interface KnownItem {
  id: number
  row: number | null
  size: number
  mtimeMs: number
  error: string | null
}

export interface LibraryItemRecord {
  id: number
  row: number | null
  path: string
  size: number
  mtimeMs: number
  duration: number | null
  title: string | null
  artist: string | null
  album: string | null
  genre: string | null
  tags: Record<string, unknown>
  error: string | null
}

export type NewLibraryItem = Omit<LibraryItemRecord, 'id'>

interface LibraryRow {
  id: number
  name: string
  root: string | null
  extractor: string | null
  params: string
  dim: number | null
  embeddings_array_id: number | null
  provenance: string
  created_at: string
}

interface ItemRow {
  id: number
  row: number | null
  path: string
  size: number
  mtime_ms: number
  duration: number | null
  title: string | null
  artist: string | null
  album: string | null
  genre: string | null
  tags: string
  error: string | null
}

const LIB_COLUMNS = 'id, name, root, extractor, params, dim, embeddings_array_id, provenance, created_at'
const ITEM_COLUMNS = 'id, row, path, size, mtime_ms, duration, title, artist, album, genre, tags, error'

const toLibrary = (r: LibraryRow): Library => ({
  id: r.id,
  name: r.name,
  root: r.root ?? '',
  extractor: r.extractor ?? '',
  params: JSON.parse(r.params) as Record<string, unknown>,
  dim: r.dim,
  arrayId: r.embeddings_array_id,
  provenance: JSON.parse(r.provenance) as Record<string, unknown>,
  createdAt: r.created_at
})

const toItem = (r: ItemRow): LibraryItemRecord => ({
  id: r.id,
  row: r.row,
  path: r.path,
  size: r.size,
  mtimeMs: r.mtime_ms,
  duration: r.duration,
  title: r.title,
  artist: r.artist,
  album: r.album,
  genre: r.genre,
  tags: JSON.parse(r.tags) as Record<string, unknown>,
  error: r.error
})

export class LibrariesRepo {
  private readonly db: Db
  private readonly insertLib
  private readonly updateLib
  private readonly byId
  private readonly byName
  private readonly byRoot
  private readonly all
  private readonly countsStmt
  private readonly known
  private readonly upsert
  private readonly setRow
  private readonly page
  private readonly pageErrors
  private readonly inRowOrder

  constructor(db: Db) {
    this.db = db
    this.insertLib = db.prepare(
      `INSERT INTO libraries (name, root, extractor, params, dim, embeddings_array_id, provenance, created_at)
       VALUES (@name, @root, @extractor, @params, @dim, @arrayId, @provenance, @createdAt)`
    )
    this.updateLib = db.prepare(
      `UPDATE libraries SET extractor = @extractor, params = @params, dim = @dim, embeddings_array_id = @arrayId,
              provenance = @provenance WHERE id = @id`
    )
    this.byId = db.prepare<[number], LibraryRow>(`SELECT ${LIB_COLUMNS} FROM libraries WHERE id = ?`)
    this.byName = db.prepare<[string], LibraryRow>(`SELECT ${LIB_COLUMNS} FROM libraries WHERE name = ?`)
    this.byRoot = db.prepare<[string], LibraryRow>(`SELECT ${LIB_COLUMNS} FROM libraries WHERE root = ? ORDER BY id`)
    this.all = db.prepare<[], LibraryRow>(`SELECT ${LIB_COLUMNS} FROM libraries ORDER BY id`)
    this.countsStmt = db.prepare<[number], LibraryCounts>(
      `SELECT COUNT(*) AS items, COUNT(row) AS embedded, COUNT(error) AS unreadable
         FROM library_items WHERE library_id = ?`
    )
    this.known = db.prepare<
      [number, string],
      { id: number; row: number | null; size: number; mtime_ms: number; error: string | null }
    >('SELECT id, row, size, mtime_ms, error FROM library_items WHERE library_id = ? AND path = ?')
    this.upsert = db.prepare(
      `INSERT INTO library_items (library_id, row, path, size, mtime_ms, duration, title, artist, album, genre, tags, error)
       VALUES (@libraryId, @row, @path, @size, @mtimeMs, @duration, @title, @artist, @album, @genre, @tags, @error)
       ON CONFLICT (library_id, path) DO UPDATE SET row = excluded.row, size = excluded.size,
         mtime_ms = excluded.mtime_ms, duration = excluded.duration, title = excluded.title, artist = excluded.artist,
         album = excluded.album, genre = excluded.genre, tags = excluded.tags, error = excluded.error
       RETURNING id`
    )
    this.setRow = db.prepare<[number | null, number, number]>(
      'UPDATE library_items SET row = ? WHERE id = ? AND library_id = ?'
    )
    this.page = db.prepare<[number, number, number], ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM library_items WHERE library_id = ?
        ORDER BY row IS NULL, row, path LIMIT ? OFFSET ?`
    )
    this.pageErrors = db.prepare<[number, number, number], ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM library_items WHERE library_id = ? AND error IS NOT NULL
        ORDER BY path LIMIT ? OFFSET ?`
    )
    this.inRowOrder = db.prepare<[number], ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM library_items WHERE library_id = ? AND row IS NOT NULL ORDER BY row`
    )
  }

  get(id: number): Library | undefined {
    const r = this.byId.get(id)
    return r ? toLibrary(r) : undefined
  }

  getByName(name: string): Library | undefined {
    const r = this.byName.get(name)
    return r ? toLibrary(r) : undefined
  }

  /** Libraries scanned from this folder (absolute path), oldest first. */
  listByRoot(root: string): Library[] {
    return this.byRoot.all(root).map(toLibrary)
  }

  list(): Library[] {
    return this.all.all().map(toLibrary)
  }

  counts(id: number): LibraryCounts {
    return this.countsStmt.get(id)!
  }

  create(l: NewLibrary): Library {
    try {
      const info = this.insertLib.run({
        name: l.name,
        root: l.root,
        extractor: l.extractor,
        params: JSON.stringify(l.params),
        dim: l.dim,
        arrayId: l.arrayId,
        provenance: JSON.stringify(l.provenance),
        createdAt: nowIso()
      })
      return this.get(Number(info.lastInsertRowid))!
    } catch (err) {
      if (isUniqueViolation(err)) throw new B2mError('conflict', `a library named "${l.name}" exists already`)
      throw err
    }
  }

  /** Points a library at a new embedding matrix (a re-scan), with the parameters that made it. */
  update(id: number, l: Omit<NewLibrary, 'name' | 'root'>): Library {
    this.updateLib.run({
      id,
      extractor: l.extractor,
      params: JSON.stringify(l.params),
      dim: l.dim,
      arrayId: l.arrayId,
      provenance: JSON.stringify(l.provenance)
    })
    return this.get(id)!
  }

  /** The item of a library at `path` (relative to its root), as a re-scan needs it. */
  knownItem(libraryId: number, path: string): KnownItem | undefined {
    const r = this.known.get(libraryId, path)
    return r ? { id: r.id, row: r.row, size: r.size, mtimeMs: r.mtime_ms, error: r.error } : undefined
  }

  /** Inserts or replaces the item at (library, path); returns its id (kept across re-scans). */
  upsertItem(libraryId: number, item: NewLibraryItem): number {
    const r = this.upsert.get({ libraryId, ...item, tags: JSON.stringify(item.tags) }) as { id: number }
    return r.id
  }

  /** Moves an unchanged item to its row of a new matrix. */
  setItemRow(libraryId: number, itemId: number, row: number | null): void {
    if (this.setRow.run(row, itemId, libraryId).changes !== 1)
      throw new B2mError('internal', `library ${libraryId} has no item ${itemId}`)
  }

  /**
   * Tracks the items a scan keeps, in a connection-local temporary table (never a JS list of 100,000
   * ids): `beginScan`, `keep` each item id, then `dropUnkept` deletes the rest. Call inside the scan's
   * transaction.
   */
  beginScan(): { keep(id: number): void; dropUnkept(libraryId: number): number } {
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS b2m_scan_kept (id INTEGER PRIMARY KEY)')
    this.db.exec('DELETE FROM temp.b2m_scan_kept')
    const keep = this.db.prepare<[number]>('INSERT OR IGNORE INTO temp.b2m_scan_kept (id) VALUES (?)')
    const drop = this.db.prepare<[number]>(
      'DELETE FROM library_items WHERE library_id = ? AND id NOT IN (SELECT id FROM temp.b2m_scan_kept)'
    )
    return {
      keep: (id) => void keep.run(id),
      dropUnkept: (libraryId) => {
        const n = drop.run(libraryId).changes
        this.db.exec('DELETE FROM temp.b2m_scan_kept')
        return n
      }
    }
  }

  /** A page of items: readable ones in row order, then the unreadable; or only the unreadable. */
  items(libraryId: number, offset: number, limit: number, unreadableOnly = false): LibraryItemRecord[] {
    return (unreadableOnly ? this.pageErrors : this.page).all(libraryId, limit, offset).map(toItem)
  }

  /** Every readable item in row order, one at a time (for building indexes over big libraries). */
  *iterateRows(libraryId: number): Generator<LibraryItemRecord> {
    for (const r of this.inRowOrder.iterate(libraryId)) yield toItem(r)
  }
}
