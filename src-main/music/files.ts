/**
 * Writing into the workspace atomically, for what `Workspace.batch()` does not cover:
 * * `FileBatch`: files that are not arrays (stimulus FLACs, a feature transform's folder), staged under
 *   `tmp/`, hashed, and renamed into place inside the transaction that records them; a replaced file is
 *   kept aside until the commit succeeds, so a failure restores the workspace as it was.
 * * `NpyRowWriter`: a float32 (rows x cols) `.npy` written row by row, for matrices too big to hold
 *   (a 100,000-file library): rows stream to a temp file, the header is patched in at the end (numpy's
 *   header keeps room for the row count to grow, so its length does not depend on it).
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { ArrayRecord } from '../catalogue'
import { B2mError } from '../common/errors'
import type { Workspace } from '../workspace'

let counter = 0

/** A fresh name under the workspace's tmp/ that `Workspace.cleanTmp` recognises as this process's. */
export function tmpPath(ws: Workspace): string {
  return join(ws.tmpDir, `${process.pid}-${randomBytes(4).toString('hex')}-${++counter}.tmp`)
}

/** Checks a workspace-relative path ('/' separated, no '.' or '..' parts, not into arrays/ or tmp/). */
export function checkWorkspacePath(relPath: string): void {
  const parts = relPath.split('/')
  const ok =
    relPath.length > 0 &&
    !relPath.includes('\\') &&
    !relPath.includes('\0') &&
    !/^[a-zA-Z]:/.test(relPath) &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..') &&
    !['arrays', 'tmp'].includes(parts[0]) &&
    !parts[0].startsWith('catalogue.sqlite')
  if (!ok) throw new B2mError('internal', `bad workspace path ${JSON.stringify(relPath)}`)
}

/** Absolute path of a workspace-relative file. */
export function workspaceFile(ws: Workspace, relPath: string): string {
  checkWorkspacePath(relPath)
  return join(ws.root, ...relPath.split('/'))
}

/** A filesystem-safe folder name from a user's name (letters, digits, '.', '_', '-'). */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 60)
  return s || 'set'
}

function tryRm(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true })
  } catch {
    // gone already, or cleaned at the next start (tmp/)
  }
}

function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let done = 0
  while (done < bytes.length)
    done += writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done)
}

/** SHA-256 of a file, read in 1 MiB chunks. */
export function sha256File(path: string): string {
  const hash = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

export interface StagedFile {
  relPath: string
  /** SHA-256 of the file; for a folder, of its files' names and hashes (see `files`). */
  sha256: string
  bytes: number
  /** A staged folder: each file's name and SHA-256. */
  files?: Record<string, string>
}

interface Entry extends StagedFile {
  tmp: string
  final: string
  /** Where a replaced file was moved while the commit runs. */
  backup?: string
  placed?: boolean
}

/** Non-array files that land in the workspace together with the catalogue rows naming them. */
export class FileBatch {
  private readonly entries: Entry[] = []
  private done = false
  private committed = false

  constructor(private readonly ws: Workspace) {}

  get size(): number {
    return this.entries.length
  }

  private check(relPath: string): string {
    if (this.done) throw new B2mError('internal', 'file batch already finished')
    const final = workspaceFile(this.ws, relPath)
    if (this.entries.some((e) => e.relPath === relPath))
      throw new B2mError('internal', `${relPath} is staged twice`, final)
    return final
  }

  /** Writes `bytes` under tmp/ now (synced, hashed); `commit` moves it to `relPath`. */
  addBytes(relPath: string, bytes: Uint8Array): StagedFile {
    const final = this.check(relPath)
    const tmp = tmpPath(this.ws)
    try {
      const fd = openSync(tmp, 'wx')
      try {
        writeAll(fd, bytes)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    } catch (err) {
      tryRm(tmp)
      throw new B2mError('failed', `cannot write file: ${(err as Error).message}`, final)
    }
    const entry: Entry = {
      relPath,
      tmp,
      final,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length
    }
    this.entries.push(entry)
    return entry
  }

  /** A folder filled by `fill(dir)` under tmp/ now; `commit` moves it to `relPath` (which must not exist). */
  addDir(relPath: string, fill: (dir: string) => void): StagedFile {
    const final = this.check(relPath)
    if (existsSync(final)) throw new B2mError('conflict', 'folder exists already', final)
    const tmp = tmpPath(this.ws)
    try {
      mkdirSync(tmp)
      fill(tmp)
    } catch (err) {
      tryRm(tmp)
      if (err instanceof B2mError) throw err
      throw new B2mError('failed', `cannot write folder: ${(err as Error).message}`, final)
    }
    const files: Record<string, string> = {}
    let bytes = 0
    for (const name of readdirSync(tmp).sort()) {
      files[name] = sha256File(join(tmp, name))
      bytes += statSync(join(tmp, name)).size
    }
    const sha256 = createHash('sha256').update(JSON.stringify(files)).digest('hex')
    const entry: Entry = { relPath, tmp, final, sha256, bytes, files }
    this.entries.push(entry)
    return entry
  }

  /**
   * Moves every staged file into place (call inside the transaction that records them; a throw rolls
   * it back). Existing files at a target are kept aside until `finish`, or put back by `undo`.
   */
  place(): void {
    for (const e of this.entries) {
      mkdirSync(dirname(e.final), { recursive: true })
      if (existsSync(e.final)) {
        e.backup = tmpPath(this.ws)
        renameSync(e.final, e.backup)
      }
      renameSync(e.tmp, e.final)
      e.placed = true
    }
  }

  /** After a successful commit: drops what `place` kept aside. */
  finish(): void {
    this.done = true
    this.committed = true
    for (const e of this.entries) if (e.backup) tryRm(e.backup)
  }

  /** After a failed commit: removes what was placed, puts replaced files back, drops the staged ones. */
  undo(): void {
    if (this.committed) return
    this.done = true
    for (const e of [...this.entries].reverse()) {
      if (e.placed) tryRm(e.final)
      e.placed = false
      if (e.backup && existsSync(e.backup)) {
        try {
          renameSync(e.backup, e.final)
        } catch {
          // leave it in tmp/: better a stray file than a lost one
        }
      }
      e.backup = undefined
      tryRm(e.tmp)
    }
  }

  /**
   * Runs `rows` (the catalogue writes) and places the files in one transaction; on any failure the
   * catalogue and the workspace stay as they were.
   */
  commit<T>(rows: () => T): T {
    try {
      const out = this.ws.catalogue.transaction(() => {
        const r = rows()
        this.place()
        return r
      })
      this.finish()
      return out
    } catch (err) {
      this.undo()
      if (err instanceof B2mError) throw err
      throw new B2mError('failed', `cannot write files: ${(err as Error).message}`, this.entries[0]?.final)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming .npy

/**
 * The header numpy writes for a little-endian float32 C-order array of `shape` (format 1.0), with room
 * for the first axis to grow to 21 digits, padded so the data starts at a multiple of 64.
 */
export function npyFloat32Header(shape: readonly number[]): Uint8Array {
  const repr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${repr}, }`
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, 21 - String(shape[0]).length))
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64
  const text = dict + ' '.repeat(total - 10 - dict.length - 1) + '\n'
  const out = new Uint8Array(total)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0)
  new DataView(out.buffer).setUint16(8, total - 10, true)
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i)
  return out
}

export interface StreamedNpy {
  tmp: string
  sha256: string
  shape: [number, number]
  bytes: number
}

/** A float32 (rows x cols) .npy written one row at a time under tmp/, holding at most ~1 MiB in memory. */
export class NpyRowWriter {
  readonly tmp: string
  private fd: number | null
  private readonly headerBytes: number
  private readonly buf: Float32Array
  private fill = 0
  private written = 0
  rows = 0

  constructor(
    ws: Workspace,
    readonly cols: number
  ) {
    this.tmp = tmpPath(ws)
    this.headerBytes = npyFloat32Header([0, cols]).length
    this.buf = new Float32Array(Math.max(cols, Math.floor((1 << 18) / Math.max(1, cols)) * cols))
    this.fd = openSync(this.tmp, 'wx')
    this.written = this.headerBytes
  }

  append(row: Float32Array): void {
    if (row.length !== this.cols)
      throw new B2mError('internal', `row of ${row.length} values for a matrix of ${this.cols} columns`)
    if (this.fill + this.cols > this.buf.length) this.flush()
    this.buf.set(row, this.fill)
    this.fill += this.cols
    this.rows++
  }

  private flush(): void {
    if (this.fill === 0 || this.fd === null) return
    const bytes = new Uint8Array(this.buf.buffer, 0, this.fill * 4)
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new B2mError('internal', 'big-endian host')
    writeAll(this.fd, bytes, this.written)
    this.written += bytes.length
    this.fill = 0
  }

  /** Writes the header for the final row count, syncs, closes and hashes the file. */
  finish(): StreamedNpy {
    if (this.fd === null) throw new B2mError('internal', 'npy writer already finished')
    this.flush()
    const header = npyFloat32Header([this.rows, this.cols])
    if (header.length !== this.headerBytes) throw new B2mError('internal', 'npy header length changed')
    writeAll(this.fd, header, 0)
    fsyncSync(this.fd)
    closeSync(this.fd)
    this.fd = null
    return { tmp: this.tmp, sha256: sha256File(this.tmp), shape: [this.rows, this.cols], bytes: this.written }
  }

  discard(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
    tryRm(this.tmp)
  }
}

/**
 * Registers a streamed array and renames it into `arrays/<relPath>`; call inside a transaction. Returns
 * the record and an undo that removes the placed file (for a commit that fails later).
 */
export function placeStreamedArray(
  ws: Workspace,
  staged: StreamedNpy,
  relPath: string,
  role: string
): { record: ArrayRecord; undo(): void } {
  const final = ws.arrayPath(relPath)
  if (ws.catalogue.arrays.byPath(relPath) || existsSync(final))
    throw new B2mError('conflict', `array ${relPath} already exists`, final)
  const record = ws.catalogue.arrays.register({
    relPath,
    sha256: staged.sha256,
    dtype: 'float32',
    shape: staged.shape,
    bytes: staged.bytes,
    role
  })
  mkdirSync(dirname(final), { recursive: true })
  renameSync(staged.tmp, final)
  return { record, undo: () => tryRm(final) }
}

/** Reads rows of a float32 (rows x cols) .npy by index without loading the file. */
export class NpyRowReader {
  private fd: number | null
  private readonly offset: number
  private readonly buf: Buffer

  constructor(
    readonly path: string,
    readonly rows: number,
    readonly cols: number,
    dataOffset: number
  ) {
    this.fd = openSync(path, 'r')
    this.offset = dataOffset
    this.buf = Buffer.alloc(cols * 4)
  }

  /** A fresh copy of row `i`. */
  row(i: number): Float32Array {
    if (this.fd === null) throw new B2mError('internal', 'row reader closed')
    if (!(i >= 0 && i < this.rows)) throw new B2mError('internal', `row ${i} outside 0..${this.rows - 1}`, this.path)
    const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset + i * this.cols * 4)
    if (n !== this.buf.length) throw new B2mError('failed', `file is shorter than its header says`, this.path)
    const out = new Float32Array(this.cols)
    new Uint8Array(out.buffer).set(this.buf)
    return out
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

/** Removes a file if it is there (after a commit replaced it). */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}
