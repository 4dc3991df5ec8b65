/** Big-endian byte reading shared by the FreeSurfer readers (every FreeSurfer binary is big-endian). */
import { B2mError } from '../../common/errors'
import { maybeGunzip, readFileBytes, requireBytes } from '../mesh'

/** A cursor over big-endian bytes whose reads fail with a "truncated" error naming the part. */
export class BeReader {
  readonly view: DataView
  pos = 0

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get left(): number {
    return this.bytes.length - this.pos
  }

  need(n: number, what: string): void {
    requireBytes(this.bytes, this.pos, n, what, this.file)
  }

  int32(what: string): number {
    this.need(4, what)
    const v = this.view.getInt32(this.pos, false)
    this.pos += 4
    return v
  }

  int64(what: string): number {
    this.need(8, what)
    const v = Number(this.view.getBigInt64(this.pos, false))
    this.pos += 8
    return v
  }

  /** FreeSurfer's 3-byte unsigned int (fread3). */
  int24(what: string): number {
    this.need(3, what)
    const b = this.bytes
    const p = this.pos
    this.pos += 3
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2]
  }

  /** `n` bytes as latin1 text with trailing NULs removed. */
  string(n: number, what: string): string {
    if (n < 0) throw new B2mError('bad_request', `${what} has a negative length (${n})`, this.file)
    this.need(n, what)
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, n).toString('latin1')
    this.pos += n
    return s.replace(/\0+$/, '')
  }
}

/** Reads a FreeSurfer file from disk, gunzipping it transparently when it is gzip-compressed. */
export function readFsBytes(path: string): Uint8Array {
  return maybeGunzip(readFileBytes(path), path)
}

export function magic3(bytes: Uint8Array): number {
  return bytes.length >= 3 ? (bytes[0] << 16) | (bytes[1] << 8) | bytes[2] : -1
}

export const MAGIC_TRIANGLE = 0xfffffe
export const MAGIC_NEW_QUAD = 0xfffffd
/** New curv format, and also the obsolete quad surface with 2-byte coordinates. */
export const MAGIC_NEW_CURV = 0xffffff

/** Reads `count` 3-byte big-endian ints starting at `offset` (bounds checked by the caller). */
export function int24Array(bytes: Uint8Array, offset: number, count: number): Int32Array {
  const out = new Int32Array(count)
  for (let i = 0, p = offset; i < count; i++, p += 3) out[i] = (bytes[p] << 16) | (bytes[p + 1] << 8) | bytes[p + 2]
  return out
}
