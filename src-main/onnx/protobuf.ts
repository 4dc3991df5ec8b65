/**
 * A minimal protobuf wire-format writer (and a reader for tests and inspection), enough to write ONNX
 * ModelProto bytes without a protobuf library.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. A field key is (field << 3) | wire.
 * Nested messages are kept as lists of chunks, so large payloads (initializer raw_data) are copied once,
 * in `finish()`, not once per nesting level.
 */

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2
export const WIRE_FIXED32 = 5

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const UTF8 = new TextEncoder()

/** Bytes of a typed array, little-endian, without a copy where the host is little-endian. */
export function littleEndianBytes(data: ArrayBufferView): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const width = (data as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1
  if (LITTLE_ENDIAN_HOST || width === 1) return bytes
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]
  }
  return out
}

export class ProtoWriter {
  private readonly parts: Uint8Array[] = []
  private scratch = new Uint8Array(256)
  private used = 0
  private flushed = 0

  /** Total number of bytes written so far. */
  get length(): number {
    return this.flushed + this.used
  }

  private ensure(n: number): void {
    if (this.used + n <= this.scratch.length) return
    this.flushScratch()
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, this.scratch.length * 2))
  }

  private flushScratch(): void {
    if (this.used === 0) return
    this.parts.push(this.scratch.slice(0, this.used))
    this.flushed += this.used
    this.used = 0
  }

  private appendChunk(bytes: Uint8Array): void {
    if (bytes.length <= 64) {
      this.ensure(bytes.length)
      this.scratch.set(bytes, this.used)
      this.used += bytes.length
      return
    }
    this.flushScratch()
    this.parts.push(bytes)
    this.flushed += bytes.length
  }

  /** An unsigned varint; negative numbers are written as 64-bit two's complement (10 bytes), as int64 requires. */
  rawVarint(value: number | bigint): this {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new RangeError(`varint must be an integer, got ${value}`)
      if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
        this.ensure(10)
        let v = value
        while (v >= 0x80) {
          this.scratch[this.used++] = (v % 0x80) | 0x80
          v = Math.floor(v / 0x80)
        }
        this.scratch[this.used++] = v
        return this
      }
      if (!Number.isSafeInteger(value)) throw new RangeError(`varint ${value} is not a safe integer; pass a bigint`)
      value = BigInt(value)
    }
    let v = BigInt.asUintN(64, value)
    this.ensure(10)
    while (v >= 0x80n) {
      this.scratch[this.used++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.scratch[this.used++] = Number(v)
    return this
  }

  key(field: number, wire: number): this {
    return this.rawVarint(field * 8 + wire)
  }

  /** int32/int64/uint64/enum/bool field. */
  varint(field: number, value: number | bigint | boolean): this {
    return this.key(field, WIRE_VARINT).rawVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value)
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32)
    this.ensure(4)
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.used, 4).setFloat32(0, value, true)
    this.used += 4
    return this
  }

  double(field: number, value: number): this {
    this.key(field, WIRE_FIXED64)
    this.ensure(8)
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.used, 8).setFloat64(0, value, true)
    this.used += 8
    return this
  }

  /** A length-delimited bytes field. The bytes are referenced, not copied, until `finish()`. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN).rawVarint(value.length)
    this.appendChunk(value)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, UTF8.encode(value))
  }

  /** An embedded message field; `sub`'s chunks are adopted without copying. */
  message(field: number, sub: ProtoWriter): this {
    this.key(field, WIRE_LEN).rawVarint(sub.length)
    sub.flushScratch()
    for (const p of sub.parts) this.appendChunk(p)
    return this
  }

  /** A packed repeated varint field (repeated int64/int32 in proto3 are packed by default). */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this
    const inner = new ProtoWriter()
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i])
    return this.message(field, inner)
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this
    const f = values instanceof Float32Array ? values : Float32Array.from(values)
    return this.bytes(field, littleEndianBytes(f))
  }

  /** A packed repeated double field. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this
    const f = values instanceof Float64Array ? values : Float64Array.from(values)
    return this.bytes(field, littleEndianBytes(f))
  }

  /** All bytes written, as one contiguous array. */
  finish(): Uint8Array {
    this.flushScratch()
    if (this.parts.length === 1) return this.parts[0]
    const out = new Uint8Array(this.flushed)
    let at = 0
    for (const p of this.parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}

// ---------------------------------------------------------------------------------------------
// Reader: decodes one message level into fields. Used by tests and for inspecting models.

export interface ProtoField {
  field: number
  wire: number
  /** Varint fields: the value as an unsigned 64-bit bigint. */
  varint?: bigint
  /** Length-delimited fields: the payload (a view into the input). */
  bytes?: Uint8Array
  /** fixed32/fixed64 fields: the raw 4 or 8 bytes. */
  fixed?: Uint8Array
}

export class ProtoReader {
  private pos = 0
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length
  }

  readVarint(): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated varint')
      const b = this.buf[this.pos++]
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
      if (shift > 63n) throw new RangeError('varint longer than 10 bytes')
    }
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new RangeError(`truncated field: need ${n} bytes at ${this.pos}`)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  next(): ProtoField {
    const k = this.readVarint()
    const field = Number(k >> 3n)
    const wire = Number(k & 7n)
    switch (wire) {
      case WIRE_VARINT:
        return { field, wire, varint: this.readVarint() }
      case WIRE_FIXED64:
        return { field, wire, fixed: this.take(8) }
      case WIRE_LEN:
        return { field, wire, bytes: this.take(Number(this.readVarint())) }
      case WIRE_FIXED32:
        return { field, wire, fixed: this.take(4) }
      default:
        throw new RangeError(`unsupported wire type ${wire} for field ${field}`)
    }
  }
}

/** Decodes every field of one message (not recursing into embedded messages). */
export function readFields(buf: Uint8Array): ProtoField[] {
  const r = new ProtoReader(buf)
  const out: ProtoField[] = []
  while (!r.done) out.push(r.next())
  return out
}

/** Decodes a packed repeated varint payload; int64 values come back signed. */
export function readPackedInt64(buf: Uint8Array): bigint[] {
  const r = new ProtoReader(buf)
  const out: bigint[] = []
  while (!r.done) out.push(BigInt.asIntN(64, r.readVarint()))
  return out
}

export function fieldString(f: ProtoField): string {
  if (!f.bytes) throw new RangeError(`field ${f.field} is not length-delimited`)
  return new TextDecoder().decode(f.bytes)
}

export function fieldFloat(f: ProtoField): number {
  if (!f.fixed || f.fixed.length !== 4) throw new RangeError(`field ${f.field} is not fixed32`)
  return new DataView(f.fixed.buffer, f.fixed.byteOffset, 4).getFloat32(0, true)
}
