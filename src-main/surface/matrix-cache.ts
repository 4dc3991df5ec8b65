/**
 * On-disk cache of volume -> surface matrices: one file per matrix under a cache folder (the
 * workspace's `cache/surface/`), named by the SHA-256 of its key. Not catalogued; safe to delete. A
 * file that is unreadable, truncated or for another key is ignored (and rebuilt).
 *
 * Layout: "B2MCSR1\n", uint32 LE JSON length, JSON {key, nRows, nCols, nnz}, padding to 4 bytes, then
 * int32 rowPtr (nRows + 1), int32 cols (nnz), float32 vals (nnz), all little-endian.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SparseMatrix } from './mapping'

const MAGIC = 'B2MCSR1\n'

export function matrixCacheKey(parts: string[]): string {
  return parts.join('|')
}

function fileFor(dir: string, key: string): string {
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.csr`)
}

export function readCachedMatrix(dir: string, key: string): SparseMatrix | null {
  let bytes: Buffer
  try {
    bytes = readFileSync(fileFor(dir, key))
  } catch {
    return null
  }
  try {
    if (bytes.subarray(0, 8).toString('latin1') !== MAGIC) return null
    const jsonLen = bytes.readUInt32LE(8)
    const meta = JSON.parse(bytes.subarray(12, 12 + jsonLen).toString('utf8')) as {
      key: string
      nRows: number
      nCols: number
      nnz: number
    }
    if (meta.key !== key) return null
    let off = 12 + jsonLen
    off += (4 - (off % 4)) % 4
    const need = off + 4 * (meta.nRows + 1) + 8 * meta.nnz
    if (bytes.length !== need) return null
    const copy = (n: number) => {
      const out = new Uint8Array(n)
      out.set(bytes.subarray(off, off + n))
      off += n
      return out.buffer
    }
    const rowPtr = new Int32Array(copy(4 * (meta.nRows + 1)))
    const cols = new Int32Array(copy(4 * meta.nnz))
    const vals = new Float32Array(copy(4 * meta.nnz))
    if (rowPtr[meta.nRows] !== meta.nnz) return null
    return { nRows: meta.nRows, nCols: meta.nCols, rowPtr, cols, vals }
  } catch {
    return null
  }
}

/** Best effort: a cache that cannot be written is only slower next time. */
export function writeCachedMatrix(dir: string, key: string, m: SparseMatrix): boolean {
  const file = fileFor(dir, key)
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  try {
    mkdirSync(dir, { recursive: true })
    const json = Buffer.from(JSON.stringify({ key, nRows: m.nRows, nCols: m.nCols, nnz: m.cols.length }), 'utf8')
    const head = Buffer.alloc(12)
    head.write(MAGIC, 0, 'latin1')
    head.writeUInt32LE(json.length, 8)
    const pad = Buffer.alloc((4 - ((12 + json.length) % 4)) % 4)
    const view = (a: Int32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
    writeFileSync(tmp, Buffer.concat([head, json, pad, view(m.rowPtr), view(m.cols), view(m.vals)]))
    renameSync(tmp, file)
    return true
  } catch {
    try {
      unlinkSync(tmp)
    } catch {
      // never written
    }
    return false
  }
}
