/**
 * Music libraries: scan a folder recursively for audio, embed the first seconds of every file in a pool
 * of worker threads, and store one float32 row per readable file plus a `library_items` row per file.
 *
 * Built for 100,000 files. Memory stays flat in the number of files:
 * * the walk is a generator (one folder's sorted names at a time, depth first);
 * * at most `4 x workers` files are in flight; their embeddings are written, in walk order, straight
 *   to a streamed .npy under tmp/ (`NpyRowWriter`), and their catalogue rows to an NDJSON file under tmp/;
 * * re-scans look each file up through the (library, path) index, and copy the embedding of an unchanged
 *   file (same path, size and mtime) from the previous matrix without decoding it;
 * * at the end, one transaction registers the new matrix, replays the NDJSON into library_items
 *   (upserts keep item ids), drops the items whose files are gone and retires the old matrix.
 * A failure or a cancel leaves the catalogue and the workspace as they were (only tmp/ files, removed).
 */
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename, extname, join, relative, resolve, sep } from 'node:path'
import type { LibraryAddResult, LibraryInfo, LibraryItem } from '../../src-preload/api'
import type { Library, LibraryItemRecord } from '../catalogue'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { sniffAudio } from '../formats/audio'
import { readNpyHeader } from '../formats/npy'
import type { Workspace } from '../workspace'
import { openExtractor } from './extractors'
import { NpyRowReader, NpyRowWriter, placeStreamedArray, removeQuietly, slug, tmpPath } from './files'
import { EmbedPool, type EmbedOutcome, type PoolConfig } from './pool'
import type { MusicIo } from './stimuli'

export interface LibraryParams {
  folder: string
  name?: string
  extractor: string
  seconds: number
  window?: number
}

/** Extensions taken as audio without opening the file (decoding decides by magic bytes). */
export const AUDIO_EXTENSIONS = new Set([
  'wav',
  'wave',
  'flac',
  'mp3',
  'ogg',
  'oga',
  'opus',
  'au',
  'snd',
  'aif',
  'aiff',
  'aifc',
  'm4a'
])

export interface FoundFile {
  /** Relative to the library root, '/' separated. */
  rel: string
  abs: string
  size: number
  mtimeMs: number
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

async function looksLikeAudio(path: string): Promise<boolean> {
  let fh
  try {
    fh = await open(path, 'r')
    const buf = Buffer.alloc(64)
    const { bytesRead } = await fh.read(buf, 0, 64, 0)
    return sniffAudio(buf.subarray(0, bytesRead)) !== 'unknown'
  } catch {
    return false
  } finally {
    await fh?.close()
  }
}

/**
 * Audio files under `root`, depth first, names sorted in each folder (so the order, and the matrix, is
 * the same on every machine). Hidden entries (".name") are skipped; symbolic links to files are followed,
 * to folders not (no cycles). Files with an audio extension are taken; files without an extension when
 * their first bytes say audio.
 */
export async function* walkAudio(
  root: string,
  onError?: (path: string, err: Error) => void
): AsyncGenerator<FoundFile> {
  // Each folder's entries are listed, sorted and then visited before moving on (depth first, in order).
  async function* visit(dir: string): AsyncGenerator<FoundFile> {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      onError?.(dir, err as Error)
      return
    }
    entries.sort((a, b) => byName(a.name, b.name))
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      const abs = join(dir, e.name)
      if (e.isDirectory()) {
        yield* visit(abs)
        continue
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue
      const ext = extname(e.name).slice(1).toLowerCase()
      if (ext !== '' && !AUDIO_EXTENSIONS.has(ext)) continue
      let st
      try {
        st = await stat(abs)
      } catch (err) {
        onError?.(abs, err as Error)
        continue
      }
      if (!st.isFile()) continue
      if (ext === '' && !(await looksLikeAudio(abs))) continue
      yield { rel: relative(root, abs).split(sep).join('/'), abs, size: st.size, mtimeMs: st.mtimeMs }
    }
  }
  yield* visit(root)
}

/** A quick count of the files the walk will consider (names only, no stat), for progress. */
async function countCandidates(root: string, cancelled: () => boolean): Promise<number> {
  let n = 0
  const dirs = [root]
  while (dirs.length > 0) {
    if (cancelled()) return n
    const dir = dirs.pop()!
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      continue
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      if (e.isDirectory()) dirs.push(join(dir, e.name))
      else {
        const ext = extname(e.name).slice(1).toLowerCase()
        if (ext === '' || AUDIO_EXTENSIONS.has(ext)) n++
      }
    }
  }
  return n
}

/** What makes two scans' embeddings comparable: extractor identity, seconds, window. */
function configKey(identity: Record<string, unknown>, seconds: number, window: number | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify({ identity, seconds, window: window ?? null, resample: 'medium' }))
    .digest('hex')
}

/** The library a scan of `root` updates, or the name a new one gets; a name taken by another folder is a conflict. */
function resolveLibrary(ws: Workspace, root: string, name?: string): { existing: Library | undefined; name: string } {
  const repo = ws.catalogue.libraries
  if (name !== undefined) {
    const existing = repo.getByName(name)
    if (existing && existing.root !== root)
      throw new B2mError(
        'conflict',
        `library "${name}" is the folder ${existing.root}; choose another name for ${root}`,
        root
      )
    return { existing, name }
  }
  const existing = repo.listByRoot(root)[0]
  if (existing) return { existing, name: existing.name }
  const base = basename(root) || 'library'
  const other = repo.getByName(base)
  if (other)
    throw new B2mError(
      'conflict',
      `a library named "${base}" exists already (folder ${other.root}); give this one a name`,
      root
    )
  return { existing: undefined, name: base }
}

/** One line of the scan's NDJSON: an unchanged item moving to a row, or a new/changed file's record. */
type ItemLine = { k: number; r: number | null } | { n: Omit<LibraryItemRecord, 'id'> }

const UNREADABLE_LISTED = 100

export async function addLibrary(ws: Workspace, params: LibraryParams, io: MusicIo): Promise<LibraryAddResult> {
  const t0 = performance.now()
  const root = resolve(params.folder)
  let isDir = false
  try {
    isDir = statSync(root).isDirectory()
  } catch {
    // reported below
  }
  if (!isDir) throw new B2mError('not_found', 'the library folder does not exist or is not a folder', root)
  const cat = ws.catalogue
  const repo = cat.libraries
  const { existing, name } = resolveLibrary(ws, root, params.name)

  // The extractor is opened here once for its dimension and identity; the workers open their own.
  io.progress(0, `loading ${params.extractor}`)
  const probe = await openExtractor(params.extractor, ws.root)
  const dim = probe.extractor.dim
  const identity = probe.identity
  const describe = probe.describe
  await probe.dispose()
  const key = configKey(identity, params.seconds, params.window)
  let sameConfig = existing !== undefined && existing.params.configKey === key && existing.dim === dim

  let oldRows: NpyRowReader | null = null
  let oldArrayPath: string | null = null
  if (existing?.arrayId !== null && existing?.arrayId !== undefined) {
    oldArrayPath = ws.arrayPath(ws.arrayRecord(existing.arrayId).relPath)
    if (sameConfig) {
      try {
        const h = readNpyHeader(oldArrayPath)
        if (h.dtype !== 'float32' || h.shape.length !== 2 || h.shape[1] !== dim || h.fortranOrder)
          throw new Error(`it is ${h.dtype} (${h.shape.join(', ')}), not float32 (rows x ${dim})`)
        oldRows = new NpyRowReader(oldArrayPath, h.shape[0], dim, h.dataOffset)
      } catch (err) {
        // Without the previous matrix nothing can be reused: embed every file again.
        io.log('warn', `${oldArrayPath}: cannot reuse the previous embeddings (${(err as Error).message})`)
        sameConfig = false
      }
    } else io.log('info', `${name}: the extractor or its parameters changed; every file is embedded again`)
  }

  io.progress(0.01, `counting files in ${root}`)
  const expected = await countCandidates(root, io.cancelled)

  const writer = new NpyRowWriter(ws, dim)
  const ndjsonPath = tmpPath(ws)
  let ndjson: number | null = openSync(ndjsonPath, 'wx')
  const closeNdjson = () => {
    if (ndjson !== null) closeSync(ndjson)
    ndjson = null
  }
  let ndjsonBuf: string[] = []
  let ndjsonChars = 0
  const flushLines = () => {
    if (ndjsonBuf.length === 0) return
    const bytes = Buffer.from(ndjsonBuf.join(''), 'utf8')
    let off = 0
    while (off < bytes.length) off += writeSync(ndjson!, bytes, off, bytes.length - off)
    ndjsonBuf = []
    ndjsonChars = 0
  }
  const writeLine = (line: ItemLine) => {
    const s = JSON.stringify(line) + '\n'
    ndjsonBuf.push(s)
    ndjsonChars += s.length
    if (ndjsonChars > 1 << 20) flushLines()
  }

  const workers = Math.max(1, availableParallelism())
  let pool: EmbedPool | null = null
  const poolConfig: PoolConfig = {
    extractor: params.extractor,
    workspaceRoot: ws.root,
    seconds: params.seconds,
    ...(params.window !== undefined ? { window: params.window } : {})
  }
  const stats = { files: 0, embedded: 0, unchanged: 0, unreadable: 0 }
  const unreadable: { path: string; error: string }[] = []
  let committed = false
  let undoArray: (() => void) | null = null
  // A cancel must not wait for the files in flight: it fails them at once.
  const cancelPoll = setInterval(() => {
    if (io.cancelled()) pool?.abort(new B2mError('failed', 'library.add cancelled'))
  }, 100)

  try {
    type Pending = {
      file: FoundFile
      known: { id: number; row: number | null; error: string | null } | null
      result: Promise<EmbedOutcome | Float32Array | null>
    }
    const inFlight: Pending[] = []
    const window = 4 * workers

    const drainOne = async () => {
      const p = inFlight.shift()!
      const r = await p.result
      if (p.known) {
        // unchanged: r is its old embedding (or null for a file that was unreadable before)
        const vector = r as Float32Array | null
        let row: number | null = null
        if (vector) {
          row = writer.rows
          writer.append(vector)
        } else {
          stats.unreadable++
          if (unreadable.length < UNREADABLE_LISTED)
            unreadable.push({ path: p.file.rel, error: p.known.error ?? 'unreadable' })
        }
        writeLine({ k: p.known.id, r: row })
        return
      }
      const o = r as EmbedOutcome
      if (o.ok) {
        const row = writer.rows
        writer.append(o.vector)
        stats.embedded++
        const folderGenre = p.file.rel.includes('/') ? p.file.rel.split('/').slice(-2)[0] : null
        writeLine({
          n: {
            row,
            path: p.file.rel,
            size: p.file.size,
            mtimeMs: p.file.mtimeMs,
            duration: o.duration,
            title: o.title,
            artist: o.artist,
            album: o.album,
            genre: o.genre ?? folderGenre,
            tags: o.tags,
            error: null
          }
        })
      } else {
        stats.unreadable++
        if (unreadable.length < UNREADABLE_LISTED) unreadable.push({ path: p.file.rel, error: o.error })
        writeLine({
          n: {
            row: null,
            path: p.file.rel,
            size: p.file.size,
            mtimeMs: p.file.mtimeMs,
            duration: null,
            title: null,
            artist: null,
            album: null,
            genre: null,
            tags: {},
            error: o.error
          }
        })
      }
    }

    for await (const file of walkAudio(root, (path, err) => io.log('warn', `${path}: ${err.message}`))) {
      if (io.cancelled()) throw new B2mError('failed', 'library.add cancelled')
      stats.files++
      const known = existing ? repo.knownItem(existing.id, file.rel) : undefined
      if (known && sameConfig && known.size === file.size && known.mtimeMs === file.mtimeMs) {
        stats.unchanged++
        const vector = known.row !== null && oldRows ? oldRows.row(known.row) : null
        if (known.row !== null && !oldRows) throw new B2mError('internal', 'library item has a row but no matrix')
        inFlight.push({ file, known, result: Promise.resolve(vector) })
      } else {
        pool ??= new EmbedPool(poolConfig, workers, (level, text) => io.log(level, text))
        const result = pool.embed(file.abs)
        result.catch(() => {}) // awaited in order by drainOne; a cancel rejects every one in flight at once
        inFlight.push({ file, known: null, result })
      }
      while (inFlight.length >= window) await drainOne()
      if (stats.files % 16 === 0)
        io.progress(
          0.02 + (0.93 * Math.min(stats.files, expected)) / Math.max(1, expected, stats.files),
          `${stats.files}/${Math.max(expected, stats.files)} files`
        )
    }
    while (inFlight.length > 0) {
      if (io.cancelled()) throw new B2mError('failed', 'library.add cancelled')
      await drainOne()
    }
    if (pool) await (pool as EmbedPool).close()
    pool = null
    flushLines()
    closeNdjson()
    oldRows?.close()
    oldRows = null
    if (io.cancelled()) throw new B2mError('failed', 'library.add cancelled')

    io.progress(0.96, 'writing the matrix')
    const staged = writer.finish()
    const version = (Number(existing?.provenance.version) || 0) + 1
    let relPath = ''
    for (let v = version; ; v++) {
      relPath = `libraries/${slug(name)}/embeddings-v${v}.npy`
      if (!cat.arrays.byPath(relPath)) break
    }
    const libParams = {
      seconds: params.seconds,
      window: params.window ?? null,
      resample: 'medium',
      configKey: key
    }
    io.progress(0.98, 'writing the catalogue')
    const { lib, removed } = cat.transaction(() => {
      const placed = placeStreamedArray(ws, staged, relPath, 'library-embeddings')
      undoArray = placed.undo
      const provenance = {
        version,
        extractor: describe,
        extractorIdentity: identity,
        matrixSha256: staged.sha256,
        scan: { ...stats, removed: 0, at: new Date().toISOString() },
        codeVersion: APP_VERSION,
        node: process.version
      }
      const fields = { extractor: params.extractor, params: libParams, dim, arrayId: placed.record.id, provenance }
      const lib = existing ? repo.update(existing.id, fields) : repo.create({ name, root, ...fields })
      const scan = repo.beginScan()
      replayLines(ndjsonPath, (line) => {
        if ('k' in line) {
          repo.setItemRow(lib.id, line.k, line.r)
          scan.keep(line.k)
        } else scan.keep(repo.upsertItem(lib.id, line.n))
      })
      const removed = scan.dropUnkept(lib.id)
      if (existing?.arrayId !== null && existing?.arrayId !== undefined) cat.arrays.remove(existing.arrayId)
      return { lib, removed }
    })
    committed = true
    if (oldArrayPath) removeQuietly(oldArrayPath)
    io.progress(1, `${stats.embedded} embedded, ${stats.unchanged} unchanged, ${stats.unreadable} unreadable`)
    return {
      id: lib.id,
      name: lib.name,
      root,
      dim,
      files: stats.files,
      embedded: stats.embedded,
      unchanged: stats.unchanged,
      removed,
      unreadable,
      unreadableTotal: stats.unreadable,
      seconds: (performance.now() - t0) / 1000
    }
  } catch (err) {
    if (!committed) (undoArray as (() => void) | null)?.()
    throw err
  } finally {
    clearInterval(cancelPoll)
    if (pool) await (pool as EmbedPool).close()
    oldRows?.close()
    closeNdjson()
    removeQuietly(ndjsonPath)
    if (!committed) writer.discard()
  }
}

/** Streams an NDJSON file line by line (1 MiB at a time) into `fn`, synchronously (inside a transaction). */
function replayLines(path: string, fn: (line: ItemLine) => void): void {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(1 << 20)
    let rest = ''
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      const text = rest + buf.toString('utf8', 0, n)
      const lines = text.split('\n')
      rest = lines.pop()!
      for (const l of lines) if (l) fn(JSON.parse(l) as ItemLine)
    }
    if (rest) fn(JSON.parse(rest) as ItemLine)
  } finally {
    closeSync(fd)
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

export function libraryInfo(ws: Workspace, lib: Library): LibraryInfo {
  const c = ws.catalogue.libraries.counts(lib.id)
  return {
    id: lib.id,
    name: lib.name,
    root: lib.root,
    items: c.items,
    embedded: c.embedded,
    unreadable: c.unreadable,
    dim: lib.dim,
    extractor: lib.extractor,
    params: lib.params,
    createdAt: lib.createdAt
  }
}

export function listLibraries(ws: Workspace): LibraryInfo[] {
  return ws.catalogue.libraries.list().map((l) => libraryInfo(ws, l))
}

export function libraryItems(
  ws: Workspace,
  id: number,
  offset: number,
  limit: number,
  unreadableOnly = false
): { total: number; offset: number; items: LibraryItem[] } {
  const lib = ws.catalogue.libraries.get(id)
  if (!lib) throw new B2mError('not_found', `no library ${id}`)
  const c = ws.catalogue.libraries.counts(id)
  const items = ws.catalogue.libraries.items(id, offset, limit, unreadableOnly).map((i) => ({
    id: i.id,
    row: i.row,
    path: i.path,
    size: i.size,
    mtimeMs: i.mtimeMs,
    duration: i.duration,
    title: i.title,
    artist: i.artist,
    album: i.album,
    genre: i.genre,
    error: i.error
  }))
  return { total: unreadableOnly ? c.unreadable : c.items, offset, items }
}

/** A library by id or name. */
export function findLibrary(ws: Workspace, ref: number | string): Library {
  const lib = typeof ref === 'number' ? ws.catalogue.libraries.get(ref) : ws.catalogue.libraries.getByName(ref)
  if (!lib) throw new B2mError('not_found', `no library ${typeof ref === 'number' ? ref : `named "${ref}"`}`)
  return lib
}
