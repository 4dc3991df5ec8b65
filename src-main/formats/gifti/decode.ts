/**
 * Decoding of one GIfTI `<Data>` payload into a typed array: ASCII numbers, (gzipped) base64, or bytes
 * from an external file; byte order fixed to native; column-major data reordered to row-major.
 */
import { unzipSync } from 'node:zlib'
import { B2mError } from '../../common/errors'
import { copyTyped } from '../mesh'

export type GiftiDataType = 'INT8' | 'UINT8' | 'INT16' | 'UINT16' | 'INT32' | 'UINT32' | 'FLOAT32' | 'FLOAT64'
export type GiftiData =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array

type Ctor = { new (length: number): GiftiData; BYTES_PER_ELEMENT: number }

export const GIFTI_CTORS: Record<GiftiDataType, Ctor> = {
  INT8: Int8Array,
  UINT8: Uint8Array,
  INT16: Int16Array,
  UINT16: Uint16Array,
  INT32: Int32Array,
  UINT32: Uint32Array,
  FLOAT32: Float32Array,
  FLOAT64: Float64Array
}

const INT_RANGE: Partial<Record<GiftiDataType, [number, number]>> = {
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32768, 32767],
  UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647],
  UINT32: [0, 4294967295]
}

/** Parses whitespace-separated numbers without building an array of token strings. */
export function parseAsciiNumbers(
  text: string,
  count: number,
  dataType: GiftiDataType,
  file: string,
  where: string
): GiftiData {
  const out = new GIFTI_CTORS[dataType](count)
  const range = INT_RANGE[dataType]
  const n = text.length
  let i = 0
  let k = 0
  while (i < n) {
    let c = text.charCodeAt(i)
    // skip whitespace (space, tab, CR, LF, and the odd comma some writers use as separator)
    while (i < n && (c === 32 || c === 10 || c === 13 || c === 9 || c === 44)) c = text.charCodeAt(++i)
    if (i >= n) break
    const start = i
    while (i < n && c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 44) c = text.charCodeAt(++i)
    const token = text.slice(start, i)
    let v = Number(token)
    if (Number.isNaN(v)) {
      const t = token.toLowerCase()
      if (t === 'nan' || t === '+nan' || t === '-nan') v = NaN
      else if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') v = Infinity
      else if (t === '-inf' || t === '-infinity') v = -Infinity
      else throw new B2mError('bad_request', `${where}: '${token.slice(0, 40)}' is not a number (value ${k})`, file)
    }
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw new B2mError(
        'bad_request',
        `${where}: value ${k} ('${token.slice(0, 40)}') is not a valid ${dataType} integer`,
        file
      )
    }
    if (k >= count) {
      throw new B2mError(
        'bad_request',
        `${where}: ASCII data holds more than the ${count} values its Dims declare`,
        file
      )
    }
    out[k++] = v
  }
  if (k !== count) {
    throw new B2mError('bad_request', `${where}: ASCII data holds ${k} values, but its Dims declare ${count}`, file)
  }
  return out
}

const B64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/

/** Strict base64 (Buffer.from silently skips junk, so the alphabet and length are checked first). */
export function decodeBase64(text: string, file: string, where: string): Uint8Array {
  const s = /\s/.test(text) ? text.replace(/\s+/g, '') : text
  const bytes = Buffer.from(s, 'base64')
  // fast path: canonical base64 re-encodes to itself; otherwise check the alphabet (slower regex)
  if (bytes.toString('base64') === s) return bytes
  if (!B64_CHARS.test(s) || s.length % 4 === 1) {
    const bad = s.search(/[^A-Za-z0-9+/=]/)
    const detail = bad >= 0 ? `invalid character '${s[bad]}' at position ${bad}` : 'misplaced padding or bad length'
    throw new B2mError('bad_request', `${where}: data is not valid base64 (${detail})`, file)
  }
  return bytes
}

/** zlib (what the GIfTI standard and nibabel write) or gzip stream, told apart by the header. */
export function inflate(bytes: Uint8Array, file: string, where: string): Uint8Array {
  try {
    return unzipSync(bytes)
  } catch (err) {
    throw new B2mError('bad_request', `${where}: compressed data is corrupt (${(err as Error).message})`, file)
  }
}

export function bytesToTyped(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dataType: GiftiDataType,
  littleEndian: boolean,
  file: string,
  where: string,
  exact: boolean
): GiftiData {
  const ctor = GIFTI_CTORS[dataType]
  const need = count * ctor.BYTES_PER_ELEMENT
  const have = bytes.length - offset
  if (have < need || (exact && have !== need)) {
    throw new B2mError(
      'bad_request',
      `${where}: data holds ${have} bytes, but ${count} ${dataType} values (its Dims) need ${need}`,
      file
    )
  }
  return copyTyped(bytes, offset, count, ctor, littleEndian)
}

/** Reorders column-major (first index fastest) data into row-major (last index fastest). */
export function columnToRowMajor(data: GiftiData, dims: number[]): GiftiData {
  if (dims.length < 2) return data
  const out = new (data.constructor as Ctor)(data.length)
  if (dims.length === 2) {
    const [d0, d1] = dims
    for (let i = 0; i < d0; i++) {
      for (let j = 0; j < d1; j++) out[i * d1 + j] = data[j * d0 + i]
    }
    return out
  }
  // general N-d: walk the row-major output, tracking the column-major source index
  const nd = dims.length
  const colStride = new Array<number>(nd)
  let s = 1
  for (let a = 0; a < nd; a++) {
    colStride[a] = s
    s *= dims[a]
  }
  const idx = new Array<number>(nd).fill(0)
  let src = 0
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]
    for (let a = nd - 1; a >= 0; a--) {
      idx[a]++
      src += colStride[a]
      if (idx[a] < dims[a]) break
      src -= colStride[a] * dims[a]
      idx[a] = 0
    }
  }
  return out
}
