/**
 * A workspace folder: `catalogue.sqlite` (metadata, provenance, hashes), `arrays/` (the `.npy` files)
 * and `tmp/` (files being written; renamed into place only when complete and registered).
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Catalogue, type ArrayRecord, checkRelPath } from '../catalogue'
import { B2mError } from '../common/errors'
import { type NdArray, encodeNpyParts, parseNpy, validateNdArray } from '../formats/npy'

export { defaultWorkspaceDir } from './paths'

export const CATALOGUE_FILE = 'catalogue.sqlite'
const CHUNK = 8 << 20

export interface WorkspaceOptions {
  /**
   * Delete leftovers of killed runs from `tmp/` while opening (default true). Long-lived faces pass
   * false and call `cleanTmp()` once they hold the jobs lock.
   */
  cleanTmp?: boolean
}

export interface ReadArrayOptions {
  /** Recompute the SHA-256 of the file and fail on a mismatch with the catalogue. */
  verify?: boolean
}

export interface VerifyReport {
  checked: number
  /** Relative paths whose content no longer matches the catalogue's SHA-256. */
  mismatched: string[]
  /** Relative paths registered in the catalogue but absent from disk. */
  missing: string[]
  /** True when `shouldStop` ended the check early. */
  stopped: boolean
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const processStartMs = Date.now() - process.uptime() * 1000
let tmpCounter = 0

/** Temp names carry the writer's pid so that only leftovers of dead processes are swept. */
const TMP_NAME = /^(\d+)-[0-9a-f]+-\d+\.tmp$/

function sha256File(path: string): string {
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

function tryUnlink(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}

export class Workspace {
  readonly root: string
  readonly arraysDir: string
  readonly tmpDir: string
  readonly catalogue: Catalogue
  /** How many leftovers `open` removed from `tmp/` (0 when opened with `cleanTmp: false`). */
  readonly cleanedTmp: number

  private constructor(root: string, catalogue: Catalogue, cleanedTmp: number) {
    this.root = root
    this.arraysDir = join(root, 'arrays')
    this.tmpDir = join(root, 'tmp')
    this.catalogue = catalogue
    this.cleanedTmp = cleanedTmp
  }

  /** Opens (creating if needed) a workspace folder and its catalogue. */
  static open(root: string, options: WorkspaceOptions = {}): Workspace {
    const abs = resolve(root)
    try {
      for (const d of [abs, join(abs, 'arrays'), join(abs, 'tmp')]) mkdirSync(d, { recursive: true })
    } catch (err) {
      throw new B2mError('failed', `cannot create workspace folder: ${(err as Error).message}`, abs)
    }
    const catalogue = Catalogue.open(join(abs, CATALOGUE_FILE))
    const ws = new Workspace(abs, catalogue, 0)
    if (options.cleanTmp !== false) {
      try {
        ;(ws as { cleanedTmp: number }).cleanedTmp = ws.cleanTmp()
      } catch (err) {
        catalogue.close()
        throw err
      }
    }
    return ws
  }

  /**
   * Deletes what killed runs left in `tmp/`: files of processes that no longer run (or of an earlier
   * process that had this pid), and anything not named by this workspace. Returns how many it removed.
   */
  cleanTmp(): number {
    let removed = 0
    for (const name of readdirSync(this.tmpDir)) {
      const path = join(this.tmpDir, name)
      const m = TMP_NAME.exec(name)
      if (m) {
        const pid = Number(m[1])
        if (pid === process.pid) {
          // Ours (possibly from a worker thread) unless it predates this process: a reused pid.
          let mtime = 0
          try {
            mtime = statSync(path).mtimeMs
          } catch {
            continue
          }
          if (mtime >= processStartMs - 1000) continue
        } else if (isAlive(pid)) {
          continue
        }
      }
      try {
        rmSync(path, { recursive: true, force: true })
        removed++
      } catch {
        // another cleaner got there first, or it is in use (Windows); try again next start
      }
    }
    return removed
  }

  /**
   * Deletes array files the catalogue does not list: what a process killed between renaming a batch
   * into place and committing it left behind. Only the workspace's owner calls this, before any job runs.
   */
  sweepOrphanArrays(): string[] {
    const known = new Set(this.catalogue.arrays.list().map((a) => a.relPath))
    const removed: string[] = []
    const walk = (dir: string, rel: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name
        if (e.isDirectory()) walk(join(dir, e.name), r)
        else if (!known.has(r)) {
          tryUnlink(join(dir, e.name))
          removed.push(r)
        }
      }
    }
    walk(this.arraysDir, '')
    return removed
  }

  /** Absolute path of an array file from its catalogue-relative path. */
  arrayPath(relPath: string): string {
    checkRelPath(relPath)
    return join(this.arraysDir, ...relPath.split('/'))
  }

  /**
   * Writes an array to `arrays/<relPath>` and registers it. The file is written under `tmp/`, hashed
   * as it is written, synced, and renamed into place in the same transaction that registers it; on
   * any failure the temp file is removed and nothing is registered. A registered path is a `conflict`.
   */
  writeArray(relPath: string, arr: NdArray, role: string): ArrayRecord {
    const batch = this.batch()
    batch.add(relPath, arr, role)
    return batch.commit((records) => records[0])
  }

  /**
   * Several arrays and the catalogue rows that refer to them, landing together or not at all: one user
   * action (an import, a trained model) is one transaction, and a failure leaves no file behind.
   */
  batch(): ArrayBatch {
    return new ArrayBatch(this)
  }

  /** Writes one array under tmp/, hashing as it goes; the caller renames it into place. */
  stageArray(relPath: string, arr: NdArray, role: string): StagedArray {
    const finalPath = this.arrayPath(relPath)
    if (this.catalogue.arrays.byPath(relPath)) {
      throw new B2mError('conflict', `array ${relPath} already exists in the catalogue`, finalPath)
    }
    try {
      validateNdArray(arr)
    } catch (err) {
      throw new B2mError('bad_request', (err as B2mError).message, finalPath)
    }
    const { header, data } = encodeNpyParts(arr)
    const tmp = join(this.tmpDir, `${process.pid}-${randomBytes(4).toString('hex')}-${++tmpCounter}.tmp`)
    try {
      const hash = createHash('sha256')
      const fd = openSync(tmp, 'wx')
      try {
        const write = (bytes: Uint8Array): void => {
          for (let off = 0; off < bytes.length; off += CHUNK) {
            const chunk = bytes.subarray(off, Math.min(bytes.length, off + CHUNK))
            let done = 0
            while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done)
            hash.update(chunk)
          }
        }
        write(header)
        write(data)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      return {
        relPath,
        role,
        tmp,
        finalPath,
        sha256: hash.digest('hex'),
        dtype: arr.dtype,
        shape: [...arr.shape],
        bytes: header.length + data.length
      }
    } catch (err) {
      tryUnlink(tmp)
      throw new B2mError('failed', `cannot write array: ${(err as Error).message}`, finalPath)
    }
  }

  /** The catalogue record of an array, by relative path or id; `not_found` when not registered. */
  arrayRecord(ref: string | number): ArrayRecord {
    const rec = typeof ref === 'number' ? this.catalogue.arrays.get(ref) : this.catalogue.arrays.byPath(ref)
    if (!rec)
      throw new B2mError('not_found', `no array ${typeof ref === 'number' ? `with id ${ref}` : ref} in the catalogue`)
    return rec
  }

  /** Reads a registered array. With `verify`, a file whose SHA-256 differs from the catalogue fails. */
  readArray(ref: string | number, options: ReadArrayOptions = {}): NdArray {
    const rec = this.arrayRecord(ref)
    const path = this.arrayPath(rec.relPath)
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new B2mError('not_found', 'array file is listed in the catalogue but missing on disk', path)
      }
      throw new B2mError('failed', `cannot read array: ${(err as Error).message}`, path)
    }
    if (options.verify) {
      const actual = createHash('sha256').update(bytes).digest('hex')
      if (actual !== rec.sha256) {
        throw new B2mError(
          'failed',
          `array file was changed after it was written: SHA-256 is ${actual}, the catalogue recorded ${rec.sha256}`,
          path
        )
      }
    }
    const arr = parseNpy(bytes, path)
    if (
      arr.dtype !== rec.dtype ||
      arr.shape.join(',') !== rec.shape.join(',') ||
      arr.shape.length !== rec.shape.length
    ) {
      throw new B2mError(
        'failed',
        `array file holds ${arr.dtype} (${arr.shape.join(', ')}) but the catalogue recorded ${rec.dtype} (${rec.shape.join(', ')})`,
        path
      )
    }
    return arr
  }

  /**
   * Re-hashes every registered array file. `onProgress` is called after each file; `shouldStop` is
   * asked before each and ends the check early (the report then says `stopped`).
   */
  verifyArrays(
    onProgress?: (done: number, total: number, relPath: string) => void,
    shouldStop?: () => boolean
  ): VerifyReport {
    const records = this.catalogue.arrays.list()
    const report: VerifyReport = { checked: 0, mismatched: [], missing: [], stopped: false }
    for (const rec of records) {
      if (shouldStop?.()) {
        report.stopped = true
        break
      }
      const path = this.arrayPath(rec.relPath)
      try {
        if (sha256File(path) !== rec.sha256) report.mismatched.push(rec.relPath)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') report.missing.push(rec.relPath)
        else report.mismatched.push(rec.relPath)
      }
      report.checked++
      onProgress?.(report.checked, records.length, rec.relPath)
    }
    return report
  }

  close(): void {
    this.catalogue.close()
  }
}

export interface StagedArray {
  relPath: string
  role: string
  tmp: string
  finalPath: string
  sha256: string
  dtype: NdArray['dtype']
  shape: number[]
  bytes: number
}

/** Arrays staged under tmp/ that commit, with the rows that refer to them, in one transaction. */
export class ArrayBatch {
  private readonly staged: StagedArray[] = []
  private done = false

  constructor(private readonly ws: Workspace) {}

  /** Writes the array under tmp/ now; it is registered and moved into place by `commit`. */
  add(relPath: string, arr: NdArray, role: string): void {
    if (this.done) throw new B2mError('internal', 'array batch already finished')
    if (this.staged.some((s) => s.relPath === relPath))
      throw new B2mError('conflict', `array ${relPath} is staged twice`, this.ws.arrayPath(relPath))
    try {
      this.staged.push(this.ws.stageArray(relPath, arr, role))
    } catch (err) {
      this.discard()
      throw err
    }
  }

  /**
   * Registers every staged array, renames each into place and runs `rows` (catalogue rows that refer
   * to the records, in staging order), all in one transaction. On any failure nothing stays: no row,
   * no record, no file.
   */
  commit<T>(rows: (records: ArrayRecord[]) => T): T {
    if (this.done) throw new B2mError('internal', 'array batch already finished')
    this.done = true
    const renamed: string[] = []
    try {
      for (const s of this.staged) mkdirSync(dirname(s.finalPath), { recursive: true })
      return this.ws.catalogue.transaction(() => {
        const records = this.staged.map((s) =>
          this.ws.catalogue.arrays.register({
            relPath: s.relPath,
            sha256: s.sha256,
            dtype: s.dtype,
            shape: s.shape,
            bytes: s.bytes,
            role: s.role
          })
        )
        const result = rows(records)
        for (const s of this.staged) {
          renameSync(s.tmp, s.finalPath)
          renamed.push(s.finalPath)
        }
        return result
      })
    } catch (err) {
      for (const s of this.staged) tryUnlink(s.tmp)
      // Renamed but the commit failed: the files must not stay unregistered.
      for (const p of renamed) tryUnlink(p)
      if (err instanceof B2mError) throw err
      throw new B2mError('failed', `cannot write arrays: ${(err as Error).message}`, this.staged[0]?.finalPath)
    }
  }

  /** Drops every staged file (an import that failed or was cancelled before it committed). */
  discard(): void {
    this.done = true
    for (const s of this.staged) tryUnlink(s.tmp)
  }
}
