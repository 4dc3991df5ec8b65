/**
 * ArrayPayload (contract/common.ts): a typed array as base64 of its little-endian bytes, with its
 * shape, so big arrays cross IPC and HTTP alike. The renderer decodes with its own helper.
 */
import type { ArrayPayload } from '../../src-preload/api'
import { B2mError } from '../common/errors'

export type PayloadArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Int16Array

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
  int16: Int16Array
} as const

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function dtypeOf(a: PayloadArray): ArrayPayload['dtype'] {
  if (a instanceof Float32Array) return 'float32'
  if (a instanceof Float64Array) return 'float64'
  if (a instanceof Int32Array) return 'int32'
  if (a instanceof Uint32Array) return 'uint32'
  if (a instanceof Int16Array) return 'int16'
  return 'uint8'
}

function swapped(bytes: Buffer, size: number): Buffer {
  const b = Buffer.from(bytes) // copy: never swap the caller's array
  if (size === 2) b.swap16()
  else if (size === 4) b.swap32()
  else if (size === 8) b.swap64()
  return b
}

/** Encodes a typed array; `shape` defaults to [length] and must multiply out to the length. */
export function encodePayload(a: PayloadArray, shape: number[] = [a.length]): ArrayPayload {
  const n = shape.reduce((p, d) => p * d, 1)
  if (n !== a.length) {
    throw new B2mError('internal', `payload shape [${shape.join(', ')}] holds ${n} values, the array ${a.length}`)
  }
  let bytes: Buffer = Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  if (!LITTLE_ENDIAN && a.BYTES_PER_ELEMENT > 1) bytes = swapped(bytes, a.BYTES_PER_ELEMENT)
  return { dtype: dtypeOf(a), shape: [...shape], base64: bytes.toString('base64') }
}

/** Decodes a payload into a fresh typed array of its dtype, checking the byte count against the shape. */
export function decodePayload(p: ArrayPayload): PayloadArray {
  const Ctor = CTORS[p.dtype]
  const n = p.shape.reduce((s, d) => s * d, 1)
  let bytes: Buffer = Buffer.from(p.base64, 'base64')
  if (bytes.length !== n * Ctor.BYTES_PER_ELEMENT) {
    throw new B2mError(
      'bad_request',
      `array payload of ${p.dtype} [${p.shape.join(', ')}] needs ${n * Ctor.BYTES_PER_ELEMENT} bytes, has ${bytes.length}`
    )
  }
  if (!LITTLE_ENDIAN && Ctor.BYTES_PER_ELEMENT > 1) bytes = swapped(bytes, Ctor.BYTES_PER_ELEMENT)
  const out = new Ctor(n)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

/** The same helpers under the names the import area uses. */
export const toPayload = encodePayload
export const fromPayload = decodePayload
