/**
 * ArrayPayload ({dtype, shape, base64}, little-endian, row-major) -> typed array. The contract carries
 * big arrays as base64 so IPC and HTTP move them alike; this turns them back into typed arrays without
 * any per-element JS objects.
 */
import type { ArrayPayload } from '@contract'

export type PayloadDtype = ArrayPayload['dtype']

interface DtypeMap {
  float32: Float32Array
  float64: Float64Array
  int32: Int32Array
  uint32: Uint32Array
  uint8: Uint8Array
  int16: Int16Array
}
export type TypedFor<D extends PayloadDtype> = DtypeMap[D]

const BYTES: Record<PayloadDtype, number> = { float32: 4, float64: 8, int32: 4, uint32: 4, uint8: 1, int16: 2 }
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

type FromBase64 = (s: string) => Uint8Array
const nativeFromBase64: FromBase64 | undefined = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64

/** base64 -> bytes; the native decoder where the browser has it (Chromium 140+), atob otherwise. */
export function base64ToBytes(b64: string): Uint8Array {
  if (nativeFromBase64) return nativeFromBase64(b64)
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export class PayloadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PayloadError'
  }
}

/**
 * Decodes a payload into a typed array of its dtype, checking that the byte count matches the shape.
 * `expect` (optional) names the dtype the caller needs; a different one is an error, not a silent cast.
 */
export function decodePayload<D extends PayloadDtype>(p: ArrayPayload, expect?: D, what = 'array'): TypedFor<D> {
  if (expect && p.dtype !== expect) throw new PayloadError(`${what}: expected ${expect}, got ${p.dtype}`)
  const bytes = base64ToBytes(p.base64)
  const size = BYTES[p.dtype]
  const n = p.shape.reduce((a, b) => a * b, 1)
  if (bytes.byteLength !== n * size)
    throw new PayloadError(
      `${what}: shape [${p.shape.join(', ')}] of ${p.dtype} needs ${n * size} bytes, the payload has ${bytes.byteLength}`
    )
  // Aligned copy (the decoded bytes start at offset 0 of their own buffer, so a view is enough).
  const buf = bytes.byteOffset % size === 0 ? bytes : bytes.slice()
  if (!LITTLE_ENDIAN_HOST && size > 1) swapBytes(buf, size)
  switch (p.dtype) {
    case 'float32':
      return new Float32Array(buf.buffer, buf.byteOffset, n) as TypedFor<D>
    case 'float64':
      return new Float64Array(buf.buffer, buf.byteOffset, n) as TypedFor<D>
    case 'int32':
      return new Int32Array(buf.buffer, buf.byteOffset, n) as TypedFor<D>
    case 'uint32':
      return new Uint32Array(buf.buffer, buf.byteOffset, n) as TypedFor<D>
    case 'uint8':
      return new Uint8Array(buf.buffer, buf.byteOffset, n) as TypedFor<D>
    case 'int16':
      return new Int16Array(buf.buffer, buf.byteOffset, n) as TypedFor<D>
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size)
    for (let j = 0; j < size / 2; j++) {
      const t = b[i + j]!
      b[i + j] = b[i + size - 1 - j]!
      b[i + size - 1 - j] = t
    }
}

/** Float32 view of a float32 or float64 payload (float64 is narrowed; per-vertex values need no more). */
export function decodeFloat32(p: ArrayPayload, what = 'array'): Float32Array {
  if (p.dtype === 'float32') return decodePayload(p, 'float32', what)
  if (p.dtype === 'float64') return Float32Array.from(decodePayload(p, 'float64', what))
  throw new PayloadError(`${what}: expected float32 or float64, got ${p.dtype}`)
}
