/**
 * Registry of the `.npy` files of a workspace: path (relative to `<workspace>/arrays`), content hash,
 * dtype and shape. The files themselves are written by the workspace (src-main/workspace).
 */
import type { NpyDtype } from '../formats/npy'
import { NPY_DTYPES } from '../formats/npy'
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'
import { isForeignKeyViolation, isUniqueViolation } from './sqlite-errors'

export interface ArrayRecord {
  id: number
  /** Relative to `<workspace>/arrays`, '/' separated, e.g. "sub-01/responses.npy". */
  relPath: string
  sha256: string
  dtype: NpyDtype
  shape: number[]
  /** Size of the whole `.npy` file in bytes. */
  bytes: number
  /** What the array is, e.g. "responses", "features", "weights". */
  role: string
  createdAt: string
}

export type NewArray = Omit<ArrayRecord, 'id' | 'createdAt'>

interface ArrayRow {
  id: number
  rel_path: string
  sha256: string
  dtype: NpyDtype
  shape: string
  bytes: number
  role: string
  created_at: string
}

function toRecord(r: ArrayRow): ArrayRecord {
  return {
    id: r.id,
    relPath: r.rel_path,
    sha256: r.sha256,
    dtype: r.dtype,
    shape: JSON.parse(r.shape) as number[],
    bytes: r.bytes,
    role: r.role,
    createdAt: r.created_at
  }
}

/** Checks a workspace-relative array path: relative, '/' separated, no '.' or '..' parts, ends in .npy. */
export function checkRelPath(relPath: string): void {
  const parts = typeof relPath === 'string' ? relPath.split('/') : []
  const ok =
    parts.length > 0 &&
    relPath.endsWith('.npy') &&
    !relPath.includes('\\') &&
    !relPath.includes('\0') &&
    !/^[a-zA-Z]:/.test(relPath) &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..')
  if (!ok) {
    throw new B2mError(
      'bad_request',
      `bad array path ${JSON.stringify(relPath)}: use a relative '/'-separated path ending in .npy, without '.' or '..' parts`
    )
  }
}

export class ArraysRepo {
  private readonly insert
  private readonly byId
  private readonly byRelPath
  private readonly all
  private readonly allByRole
  private readonly del

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO arrays (rel_path, sha256, dtype, shape, bytes, role, created_at)
       VALUES (@relPath, @sha256, @dtype, @shape, @bytes, @role, @createdAt)`
    )
    this.byId = db.prepare<[number], ArrayRow>('SELECT * FROM arrays WHERE id = ?')
    this.byRelPath = db.prepare<[string], ArrayRow>('SELECT * FROM arrays WHERE rel_path = ?')
    this.all = db.prepare<[], ArrayRow>('SELECT * FROM arrays ORDER BY id')
    this.allByRole = db.prepare<[string], ArrayRow>('SELECT * FROM arrays WHERE role = ? ORDER BY id')
    this.del = db.prepare<[number]>('DELETE FROM arrays WHERE id = ?')
  }

  register(a: NewArray): ArrayRecord {
    checkRelPath(a.relPath)
    if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new B2mError('bad_request', `bad SHA-256 for ${a.relPath}: ${a.sha256}`)
    if (!NPY_DTYPES.includes(a.dtype))
      throw new B2mError('bad_request', `unsupported dtype '${a.dtype}' for ${a.relPath}`)
    if (!Array.isArray(a.shape) || a.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new B2mError('bad_request', `bad shape ${JSON.stringify(a.shape)} for ${a.relPath}`)
    }
    if (!Number.isInteger(a.bytes) || a.bytes < 0)
      throw new B2mError('bad_request', `bad byte count ${a.bytes} for ${a.relPath}`)
    if (typeof a.role !== 'string' || a.role === '')
      throw new B2mError('bad_request', `array ${a.relPath} needs a role`)
    try {
      const info = this.insert.run({ ...a, shape: JSON.stringify(a.shape), createdAt: nowIso() })
      return this.get(Number(info.lastInsertRowid))!
    } catch (err) {
      if (isUniqueViolation(err)) throw new B2mError('conflict', `array ${a.relPath} is already registered`)
      throw err
    }
  }

  get(id: number): ArrayRecord | undefined {
    const r = this.byId.get(id)
    return r ? toRecord(r) : undefined
  }

  byPath(relPath: string): ArrayRecord | undefined {
    const r = this.byRelPath.get(relPath)
    return r ? toRecord(r) : undefined
  }

  list(role?: string): ArrayRecord[] {
    return (role === undefined ? this.all.all() : this.allByRole.all(role)).map(toRecord)
  }

  /** Removes the record (not the file). An array still referenced by a model etc. is a `conflict`. */
  remove(id: number): boolean {
    try {
      return this.del.run(id).changes > 0
    } catch (err) {
      if (isForeignKeyViolation(err)) {
        const rec = this.get(id)
        throw new B2mError('conflict', `array ${rec?.relPath ?? id} is still used by other records`)
      }
      throw err
    }
  }
}
