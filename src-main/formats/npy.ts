/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * Pure: bytes in, typed arrays out (plus thin `readNpy`/`writeNpy` file helpers). Arrays are always
 * handed out in C (row-major) order and native (little-endian) byte order; a Fortran-order file is
 * transposed on read and `fortranOrder: true` on the result says so. Big-endian files are converted.
 *
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs'
import { B2mError } from '../common/errors'

export type NpyDtype = 'float32' | 'float64' | 'int16' | 'int32' | 'uint8' | 'bool'
export type NpyData = Float32Array | Float64Array | Int16Array | Int32Array | Uint8Array

export interface NdArray {
  dtype: NpyDtype
  /** Dimensions, outermost first; `[]` is a 0-d (scalar) array holding one element. */
  shape: number[]
  /** Elements in C order. `bool` arrays hold 0/1 in a Uint8Array. */
  data: NpyData
  /** Set by the reader when the file was Fortran-ordered: `data` has been transposed to C order. */
  fortranOrder?: boolean
}

export interface NpyHeader {
  /** Format version as `[major, minor]`. */
  version: [number, number]
  dtype: NpyDtype
  /** The `descr` string as written in the file, e.g. `'<f4'` or `'>i2'`. */
  descr: string
  littleEndian: boolean
  fortranOrder: boolean
  shape: number[]
  /** Byte offset of the first element. */
  dataOffset: number
  /** Number of elements (product of shape; 1 for 0-d). */
  size: number
  /** Bytes of element data the header announces. */
  dataBytes: number
}

export interface EncodeOptions {
  /** Write the elements in Fortran order (`fortran_order: True`); `arr.data` is still C order. */
  fortranOrder?: boolean
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
const PREFIX_V1 = 10 // magic(6) + version(2) + uint16 header length
const PREFIX_V2 = 12 // magic(6) + version(2) + uint32 header length
const GROWTH_AXIS_MAX_DIGITS = 21 // numpy.lib.format: header space kept for appending along an axis

interface DtypeInfo {
  itemSize: number
  /** The descr we write (numpy's own spelling for little-endian/native data). */
  descr: string
  make(length: number): NpyData
  /** Reads one big-endian element. */
  getBE(view: DataView, offset: number): number
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  float32: { itemSize: 4, descr: '<f4', make: (n) => new Float32Array(n), getBE: (v, o) => v.getFloat32(o, false) },
  float64: { itemSize: 8, descr: '<f8', make: (n) => new Float64Array(n), getBE: (v, o) => v.getFloat64(o, false) },
  int16: { itemSize: 2, descr: '<i2', make: (n) => new Int16Array(n), getBE: (v, o) => v.getInt16(o, false) },
  int32: { itemSize: 4, descr: '<i4', make: (n) => new Int32Array(n), getBE: (v, o) => v.getInt32(o, false) },
  uint8: { itemSize: 1, descr: '|u1', make: (n) => new Uint8Array(n), getBE: (v, o) => v.getUint8(o) },
  bool: { itemSize: 1, descr: '|b1', make: (n) => new Uint8Array(n), getBE: (v, o) => v.getUint8(o) }
}

export const NPY_DTYPES = Object.keys(DTYPES) as NpyDtype[]

/** Bytes per element of a dtype. */
export function dtypeItemSize(dtype: NpyDtype): number {
  return DTYPES[dtype].itemSize
}

/** Number of elements of a shape (1 for 0-d). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Maps a `descr` to our dtype and byte order, or throws naming the unsupported type. */
function parseDescr(descr: string, file?: string): { dtype: NpyDtype; littleEndian: boolean } {
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr)
  if (m) {
    const [, order, kind, sizeStr] = m
    const size = Number(sizeStr)
    const key = `${kind}${size}`
    const dtype: NpyDtype | undefined = (
      { f4: 'float32', f8: 'float64', i2: 'int16', i4: 'int32', u1: 'uint8', b1: 'bool' } as Record<string, NpyDtype>
    )[key]
    if (dtype) {
      // One-byte types have no byte order; '=' is native, which numpy never writes but we accept as LE.
      const littleEndian = size === 1 || order !== '>'
      return { dtype, littleEndian }
    }
  }
  throw new B2mError(
    'bad_request',
    `unsupported NPY dtype '${descr}' (supported: <f4 <f8 <i2 <i4 |u1 |b1 and big-endian >f4 >f8 >i2 >i4)`,
    file
  )
}

function fail(message: string, file?: string): never {
  throw new B2mError('bad_request', message, file)
}

/** Parses the Python-dict header text, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. */
function parseHeaderText(text: string, file?: string) {
  const t = text.trim()
  if (!t.startsWith('{') || !t.endsWith('}'))
    fail(`malformed NPY header (not a dict): ${JSON.stringify(t.slice(0, 120))}`, file)
  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(t)
  if (!descrM) {
    if (/['"]descr['"]\s*:\s*\[/.test(t))
      fail('unsupported NPY dtype: structured arrays (record dtypes) are not supported', file)
    fail("malformed NPY header: no 'descr' key", file)
  }
  const fortM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t)
  if (!fortM) fail("malformed NPY header: no 'fortran_order' key", file)
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(t)
  if (!shapeM) fail("malformed NPY header: no 'shape' tuple", file)
  const shape: number[] = []
  for (const part of shapeM[1].split(',')) {
    const p = part.trim().replace(/L$/, '') // Python 2 longs
    if (p === '') continue
    if (!/^\d+$/.test(p)) fail(`malformed NPY header: bad dimension '${part.trim()}' in shape`, file)
    const d = Number(p)
    if (!Number.isSafeInteger(d)) fail(`NPY shape dimension too large: ${p}`, file)
    shape.push(d)
  }
  return { descr: descrM[2], fortranOrder: fortM[1] === 'True', shape }
}

/** Parses the magic, version and header from the first bytes of a file. `bytes` may hold only the header. */
export function parseNpyHeader(bytes: Uint8Array, file?: string): NpyHeader {
  if (bytes.length < PREFIX_V1 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not an NPY file (bad magic: expected \\x93NUMPY)', file)
  }
  const major = bytes[6]
  const minor = bytes[7]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let headerLen: number
  let prefix: number
  if (major === 1) {
    headerLen = view.getUint16(8, true)
    prefix = PREFIX_V1
  } else if (major === 2 || major === 3) {
    if (bytes.length < PREFIX_V2) fail('truncated NPY file: header length missing', file)
    headerLen = view.getUint32(8, true)
    prefix = PREFIX_V2
  } else {
    fail(`unsupported NPY format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`, file)
  }
  if (bytes.length < prefix + headerLen) {
    fail(`truncated NPY file: header needs ${prefix + headerLen} bytes, file has ${bytes.length}`, file)
  }
  const headerBytes = bytes.subarray(prefix, prefix + headerLen)
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes)
  const { descr, fortranOrder, shape } = parseHeaderText(text, file)
  const { dtype, littleEndian } = parseDescr(descr, file)
  const size = shapeSize(shape)
  if (!Number.isSafeInteger(size)) fail(`NPY shape (${shape.join(', ')}) is too large`, file)
  return {
    version: [major, minor],
    dtype,
    descr,
    littleEndian,
    fortranOrder,
    shape,
    dataOffset: prefix + headerLen,
    size,
    dataBytes: size * DTYPES[dtype].itemSize
  }
}

/** Reorders Fortran-ordered elements into C order (both are flat arrays of the same shape). */
function fortranToC<T extends NpyData>(src: T, shape: number[], make: (n: number) => T): T {
  const nd = shape.length
  const n = src.length
  if (nd < 2 || n === 0) return src
  const out = make(n)
  if (nd === 2) {
    const [rows, cols] = shape
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = src[j * rows + i]
    return out
  }
  // Fortran strides: the first axis is contiguous.
  const fStride = new Array<number>(nd)
  let s = 1
  for (let k = 0; k < nd; k++) {
    fStride[k] = s
    s *= shape[k]
  }
  const idx = new Array<number>(nd).fill(0)
  let f = 0
  for (let c = 0; c < n; c++) {
    out[c] = src[f]
    // Advance the C-order odometer (last axis fastest), keeping the Fortran offset in step.
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++
      f += fStride[k]
      if (idx[k] < shape[k]) break
      f -= fStride[k] * shape[k]
      idx[k] = 0
    }
  }
  return out
}

/** Reorders C-ordered elements into Fortran order. */
function cToFortran<T extends NpyData>(src: T, shape: number[], make: (n: number) => T): T {
  const nd = shape.length
  const n = src.length
  if (nd < 2 || n === 0) return src
  // Transposing a C array of shape S gives the Fortran layout of S: reverse the shape and go F->C.
  return fortranToC(src, [...shape].reverse(), make)
}

/** Parses a complete `.npy` file. `file` is used in error messages only. */
export function parseNpy(bytes: Uint8Array, file?: string): NdArray {
  const h = parseNpyHeader(bytes, file)
  const info = DTYPES[h.dtype]
  const available = bytes.length - h.dataOffset
  if (available < h.dataBytes) {
    fail(
      `truncated NPY data: shape (${h.shape.join(', ')}) of ${h.descr} needs ${h.dataBytes} bytes, file has ${available}`,
      file
    )
  }
  if (available > h.dataBytes) {
    fail(
      `NPY size mismatch: shape (${h.shape.join(', ')}) of ${h.descr} needs ${h.dataBytes} bytes, file has ${available} (${available - h.dataBytes} extra)`,
      file
    )
  }
  const make = info.make as (n: number) => NpyData
  let data = make(h.size)
  const start = bytes.byteOffset + h.dataOffset
  if (h.littleEndian) {
    // Copy (never alias the input): also fixes alignment.
    new Uint8Array(data.buffer).set(new Uint8Array(bytes.buffer, start, h.dataBytes))
  } else {
    const view = new DataView(bytes.buffer, start, h.dataBytes)
    for (let i = 0; i < h.size; i++) data[i] = info.getBE(view, i * info.itemSize)
  }
  if (h.dtype === 'bool') {
    for (let i = 0; i < data.length; i++) if (data[i] > 1) data[i] = 1
  }
  if (h.fortranOrder) data = fortranToC(data, h.shape, make)
  const out: NdArray = { dtype: h.dtype, shape: h.shape, data }
  if (h.fortranOrder) out.fortranOrder = true
  return out
}

/** Checks that an array is well formed: known dtype, matching typed-array class, shape product = length. */
export function validateNdArray(arr: NdArray, file?: string): void {
  const info = DTYPES[arr.dtype as NpyDtype]
  if (!info) fail(`unsupported dtype '${String(arr.dtype)}' (supported: ${NPY_DTYPES.join(', ')})`, file)
  const ok =
    (arr.dtype === 'float32' && arr.data instanceof Float32Array) ||
    (arr.dtype === 'float64' && arr.data instanceof Float64Array) ||
    (arr.dtype === 'int16' && arr.data instanceof Int16Array) ||
    (arr.dtype === 'int32' && arr.data instanceof Int32Array) ||
    ((arr.dtype === 'uint8' || arr.dtype === 'bool') && arr.data instanceof Uint8Array)
  if (!ok)
    fail(`dtype ${arr.dtype} does not match data of type ${arr.data?.constructor?.name ?? typeof arr.data}`, file)
  if (!Array.isArray(arr.shape) || arr.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    fail(`bad shape ${JSON.stringify(arr.shape)}: dimensions must be non-negative integers`, file)
  }
  const size = shapeSize(arr.shape)
  if (size !== arr.data.length) {
    fail(`shape (${arr.shape.join(', ')}) holds ${size} elements but data has ${arr.data.length}`, file)
  }
}

function shapeRepr(shape: number[]): string {
  if (shape.length === 0) return '()'
  if (shape.length === 1) return `(${shape[0]},)`
  return `(${shape.join(', ')})`
}

/**
 * The two parts of a `.npy` file: the header (magic, version, padded dict) and the element bytes.
 * The data part aliases `arr.data` when no conversion is needed, so large arrays are not copied.
 * Version 1.0 is written, or 2.0 when the header does not fit 65535 bytes.
 */
export function encodeNpyParts(arr: NdArray, options: EncodeOptions = {}): { header: Uint8Array; data: Uint8Array } {
  validateNdArray(arr)
  const info = DTYPES[arr.dtype]
  const fortran = options.fortranOrder === true && arr.shape.length >= 2
  let dict = `{'descr': '${info.descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeRepr(arr.shape)}, }`
  // Like numpy: room for the growing axis to reach 21 digits in place, so files are byte-identical to
  // np.save. Then pad with spaces and end with '\n' so that the data starts at a multiple of 64.
  if (arr.shape.length > 0) {
    const growing = arr.shape[fortran ? arr.shape.length - 1 : 0]
    dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(growing).length))
  }
  let prefix = PREFIX_V1
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64
  let major = 1
  if (total - prefix > 0xffff) {
    prefix = PREFIX_V2
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64
    major = 2
  }
  const headerLen = total - prefix
  const text = dict + ' '.repeat(headerLen - dict.length - 1) + '\n'
  const header = new Uint8Array(total)
  header.set(MAGIC, 0)
  header[6] = major
  header[7] = 0
  const view = new DataView(header.buffer)
  if (major === 1) view.setUint16(8, headerLen, true)
  else view.setUint32(8, headerLen, true)
  for (let i = 0; i < text.length; i++) header[prefix + i] = text.charCodeAt(i)

  const make = info.make as (n: number) => NpyData
  const ordered = fortran ? cToFortran(arr.data, arr.shape, make) : arr.data
  let data = new Uint8Array(ordered.buffer, ordered.byteOffset, ordered.byteLength)
  if (arr.dtype === 'bool' && data.some((v) => v > 1)) data = data.map((v) => (v ? 1 : 0))
  return { header, data }
}

/** Encodes an array as `.npy` bytes (see `encodeNpyParts`). */
export function encodeNpy(arr: NdArray, options: EncodeOptions = {}): Uint8Array {
  const { header, data } = encodeNpyParts(arr, options)
  const out = new Uint8Array(header.length + data.length)
  out.set(header, 0)
  out.set(data, header.length)
  return out
}

/** Reads and parses a whole `.npy` file. */
export function readNpy(path: string): NdArray {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (err) {
    throw fileError(err, path)
  }
  return parseNpy(bytes, path)
}

/** Writes an array as a `.npy` file (not atomic: the workspace writes through a temp file and renames). */
export function writeNpy(path: string, arr: NdArray, options: EncodeOptions = {}): void {
  let bytes: Uint8Array
  try {
    bytes = encodeNpy(arr, options)
  } catch (err) {
    if (err instanceof B2mError) throw new B2mError(err.code, err.message, path)
    throw err
  }
  writeFileSync(path, bytes)
}

/** Reads only the header of a `.npy` file (never the data) and checks the file size against it. */
export function readNpyHeader(path: string): NpyHeader {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw fileError(err, path)
  }
  try {
    const pre = Buffer.alloc(PREFIX_V2)
    const n = readSync(fd, pre, 0, PREFIX_V2, 0)
    let bytes = pre.subarray(0, n)
    if (n >= PREFIX_V1 && MAGIC.every((b, i) => bytes[i] === b)) {
      const major = bytes[6]
      const len = major === 1 ? bytes.readUInt16LE(8) : n >= PREFIX_V2 ? bytes.readUInt32LE(8) : 0
      const prefix = major === 1 ? PREFIX_V1 : PREFIX_V2
      if (len > 0 && len < 1 << 30) {
        const buf = Buffer.alloc(prefix + len)
        const m = readSync(fd, buf, 0, prefix + len, 0)
        bytes = buf.subarray(0, m)
      }
    }
    const h = parseNpyHeader(bytes, path)
    const available = fstatSync(fd).size - h.dataOffset
    if (available !== h.dataBytes) {
      const what = available < h.dataBytes ? 'truncated NPY data' : 'NPY size mismatch'
      fail(
        `${what}: shape (${h.shape.join(', ')}) of ${h.descr} needs ${h.dataBytes} bytes, file has ${available}`,
        path
      )
    }
    return h
  } finally {
    closeSync(fd)
  }
}

function fileError(err: unknown, path: string): B2mError {
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'ENOENT') return new B2mError('not_found', 'file not found', path)
  if (code === 'EISDIR') return new B2mError('bad_request', 'is a directory, not an NPY file', path)
  return new B2mError('failed', `cannot read: ${(err as Error)?.message ?? String(err)}`, path)
}
