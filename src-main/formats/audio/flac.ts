/**
 * A FLAC encoder (https://www.rfc-editor.org/rfc/rfc9639): STREAMINFO with the MD5 of the samples,
 * fixed-size blocks, and per subframe the cheapest of CONSTANT, FIXED predictors of order 0-4 with
 * partitioned Rice-coded residuals (4- or 5-bit parameters, per-partition escape to raw bits) and VERBATIM;
 * stereo picks the cheapest of independent, left/side, right/side and mid/side. 16- and 24-bit
 * (any 4..32 bit depth the format allows for the streams it writes: 8, 12, 16, 20, 24).
 */
import { createHash } from 'node:crypto'
import { B2mError } from '../../common/errors'
import { quantise, type AudioData } from './types'

export interface FlacEncodeOptions {
  /** Bits per sample: 16 (default) or 24 (8, 12 and 20 are accepted too). */
  bitsPerSample?: 8 | 12 | 16 | 20 | 24
  /** Samples per block, 16..65535. Default 4096. */
  blockSize?: number
  /** Highest Rice partition order tried, 0..8. Default 8. */
  maxPartitionOrder?: number
}

// ---------------------------------------------------------------------------------------------
// Bits and checksums

class BitWriter {
  buf: Uint8Array
  pos = 0
  private acc = 0
  private accBits = 0

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity))
  }

  private ensure(extraBytes: number): void {
    if (this.pos + extraBytes + 8 <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extraBytes + 64))
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  /** Writes the low `n` bits (n <= 32; values up to 2^53) of a non-negative value, most significant first. */
  write(value: number, n: number): void {
    if (this.pos + 8 > this.buf.length) this.ensure(8)
    if (n <= 24) {
      this.push(value & ((1 << n) - 1), n)
      return
    }
    const hi = Math.floor(value / 2 ** 24)
    this.push(hi & ((1 << (n - 24)) - 1), n - 24)
    this.push(value - hi * 2 ** 24, 24)
  }

  /** Appends k <= 24 bits already masked. */
  private push(chunk: number, k: number): void {
    this.acc = (this.acc << k) | chunk
    this.accBits += k
    while (this.accBits >= 8) {
      this.accBits -= 8
      this.buf[this.pos++] = (this.acc >>> this.accBits) & 0xff
    }
    this.acc &= (1 << this.accBits) - 1
  }

  /** Two's complement in `n` bits. */
  writeSigned(value: number, n: number): void {
    this.write(value < 0 ? value + 2 ** n : value, n)
  }

  /** `q` zeros then a one. */
  writeUnary(q: number): void {
    while (q >= 24) {
      this.write(0, 24)
      q -= 24
    }
    this.write(1, q + 1)
  }

  /** A Rice code: quotient in unary, then the k low bits. */
  writeRice(u: number, k: number): void {
    const q = u >>> k
    if (q + 1 + k <= 24) {
      this.write((1 << k) | (u & ((1 << k) - 1)), q + 1 + k)
      return
    }
    this.writeUnary(q)
    if (k > 0) this.write(u & ((1 << k) - 1), k)
  }

  /** Pads with zeros to a byte boundary. */
  align(): void {
    if (this.accBits > 0) this.write(0, 8 - this.accBits)
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}

const CRC8 = new Uint8Array(256)
const CRC16 = new Uint16Array(256)
for (let i = 0; i < 256; i++) {
  let c = i
  for (let k = 0; k < 8; k++) c = (c & 0x80 ? (c << 1) ^ 0x07 : c << 1) & 0xff
  CRC8[i] = c
  let d = i << 8
  for (let k = 0; k < 8; k++) d = (d & 0x8000 ? (d << 1) ^ 0x8005 : d << 1) & 0xffff
  CRC16[i] = d
}
function crc8(b: Uint8Array, from: number, to: number): number {
  let c = 0
  for (let i = from; i < to; i++) c = CRC8[c ^ b[i]]
  return c
}
function crc16(b: Uint8Array, from: number, to: number): number {
  let c = 0
  for (let i = from; i < to; i++) c = ((c << 8) & 0xffff) ^ CRC16[(c >> 8) ^ b[i]]
  return c
}

// ---------------------------------------------------------------------------------------------
// Subframes

interface RicePlan {
  order: number
  params: number[]
  /** 5-bit parameters (RICE2) when any parameter exceeds 14. */
  rice2: boolean
  bits: number
}

interface SubframePlan {
  kind: 'constant' | 'verbatim' | 'fixed'
  order: number
  bits: number
  rice?: RicePlan
  residual?: Int32Array
}

function fixedResidual(x: Int32Array, order: number, out: Int32Array): void {
  const n = x.length
  for (let i = order; i < n; i++) {
    let r: number
    switch (order) {
      case 0:
        r = x[i]
        break
      case 1:
        r = x[i] - x[i - 1]
        break
      case 2:
        r = x[i] - 2 * x[i - 1] + x[i - 2]
        break
      case 3:
        r = x[i] - 3 * x[i - 1] + 3 * x[i - 2] - x[i - 3]
        break
      default:
        r = x[i] - 4 * x[i - 1] + 6 * x[i - 2] - 4 * x[i - 3] + x[i - 4]
    }
    out[i - order] = r
  }
}

/** Residual -> unsigned Rice symbol (|r| < 2^30 always holds for bit depths <= 24 plus a side bit). */
const zigzag = (r: number): number => ((r << 1) ^ (r >> 31)) >>> 0

/**
 * Upper bound of the bits of a partition of n symbols summing to `sum` with parameter k:
 * sum(floor(u / 2^k)) <= sum / 2^k. Being an upper bound, a plan cheaper than verbatim by this count
 * is cheaper in fact.
 */
const riceBits = (n: number, sum: number, k: number): number => n * (k + 1) + Math.floor(sum / 2 ** k)

function bestParam(n: number, sum: number): { k: number; bits: number } {
  if (n === 0) return { k: 0, bits: 0 }
  const mean = sum / n
  const guess = mean > 1 ? Math.min(30, Math.floor(Math.log2(mean))) : 0
  let best = { k: guess, bits: riceBits(n, sum, guess) }
  for (const k of [guess - 1, guess + 1]) {
    if (k < 0 || k > 30) continue
    const bits = riceBits(n, sum, k)
    if (bits < best.bits) best = { k, bits }
  }
  return best
}

function planRice(res: Int32Array, blockSize: number, predOrder: number, maxOrder: number): RicePlan {
  // Sums of symbols per partition at the finest usable order, merged pairwise for coarser orders.
  let top = 0
  while (top < maxOrder && blockSize % (1 << (top + 1)) === 0 && blockSize >> (top + 1) > predOrder) top++
  const parts = 1 << top
  const size = blockSize >> top
  let sums = new Float64Array(parts)
  let counts = new Float64Array(parts)
  for (let j = 0, from = 0; j < parts; j++) {
    const to = from + (j === 0 ? size - predOrder : size)
    let s = 0
    for (let i = from; i < to; i++) s += zigzag(res[i])
    sums[j] = s
    counts[j] = to - from
    from = to
  }
  let best: RicePlan | undefined
  for (let p = top; p >= 0; p--) {
    const params: number[] = []
    let bits = 2 + 4
    for (let j = 0; j < sums.length; j++) {
      const b = bestParam(counts[j], sums[j])
      params.push(b.k)
      bits += b.bits
    }
    const rice2 = params.some((k) => k > 14)
    bits += sums.length * (rice2 ? 5 : 4)
    if (!best || bits < best.bits) best = { order: p, params, rice2, bits }
    if (p > 0) {
      const s2 = new Float64Array(sums.length / 2)
      const c2 = new Float64Array(sums.length / 2)
      for (let j = 0; j < s2.length; j++) {
        s2[j] = sums[2 * j] + sums[2 * j + 1]
        c2[j] = counts[2 * j] + counts[2 * j + 1]
      }
      sums = s2
      counts = c2
    }
  }
  return best as RicePlan
}

function planSubframe(x: Int32Array, bps: number, maxPartitionOrder: number): SubframePlan {
  const n = x.length
  let constant = true
  for (let i = 1; i < n && constant; i++) constant = x[i] === x[0]
  if (constant) return { kind: 'constant', order: 0, bits: 8 + bps }
  let best: SubframePlan = { kind: 'verbatim', order: 0, bits: 8 + n * bps }
  const res = new Int32Array(n)
  for (let order = 0; order <= 4 && order < n; order++) {
    fixedResidual(x, order, res)
    const r = res.subarray(0, n - order)
    // Residuals must fit in 32 bits signed; they always do for bps <= 24 (|r| <= 16 * 2^23).
    const rice = planRice(r, n, order, maxPartitionOrder)
    const bits = 8 + order * bps + rice.bits
    if (bits < best.bits) best = { kind: 'fixed', order, bits, rice, residual: Int32Array.from(r) }
  }
  return best
}

function writeSubframe(w: BitWriter, x: Int32Array, bps: number, plan: SubframePlan): void {
  if (plan.kind === 'constant') {
    w.write(0, 8)
    w.writeSigned(x[0], bps)
    return
  }
  if (plan.kind === 'verbatim') {
    w.write(0b00000010, 8)
    for (let i = 0; i < x.length; i++) w.writeSigned(x[i], bps)
    return
  }
  const order = plan.order
  w.write((0b001000 | order) << 1, 8)
  for (let i = 0; i < order; i++) w.writeSigned(x[i], bps)
  const rice = plan.rice as RicePlan
  const res = plan.residual as Int32Array
  w.write(rice.rice2 ? 1 : 0, 2)
  w.write(rice.order, 4)
  const parts = 1 << rice.order
  const size = x.length >> rice.order
  let from = 0
  for (let j = 0; j < parts; j++) {
    const to = from + (j === 0 ? size - order : size)
    const k = rice.params[j]
    w.write(k, rice.rice2 ? 5 : 4)
    for (let i = from; i < to; i++) w.writeRice(zigzag(res[i]), k)
    from = to
  }
}

// ---------------------------------------------------------------------------------------------
// Frames

const RATE_CODES: Record<number, number> = {
  88200: 1,
  176400: 2,
  192000: 3,
  8000: 4,
  16000: 5,
  22050: 6,
  24000: 7,
  32000: 8,
  44100: 9,
  48000: 10,
  96000: 11
}
const SIZE_CODES: Record<number, number> = { 8: 1, 12: 2, 16: 4, 20: 5, 24: 6 }

function blockSizeCode(n: number): { code: number; extra?: [number, number] } {
  if (n === 192) return { code: 1 }
  for (let k = 2; k <= 5; k++) if (n === 576 << (k - 2)) return { code: k }
  for (let k = 8; k <= 15; k++) if (n === 256 << (k - 8)) return { code: k }
  return n <= 256 ? { code: 6, extra: [n - 1, 8] } : { code: 7, extra: [n - 1, 16] }
}

function rateCode(rate: number): { code: number; extra?: [number, number] } {
  if (RATE_CODES[rate] !== undefined) return { code: RATE_CODES[rate] }
  if (rate % 1000 === 0 && rate / 1000 < 256) return { code: 12, extra: [rate / 1000, 8] }
  if (rate < 65536) return { code: 13, extra: [rate, 16] }
  if (rate % 10 === 0 && rate / 10 < 65536) return { code: 14, extra: [rate / 10, 16] }
  return { code: 0 }
}

/** The "UTF-8" coding of a frame number. */
function writeUtf8Number(w: BitWriter, v: number): void {
  if (v < 0x80) return w.write(v, 8)
  let bytes = 2
  while (v >= 2 ** (5 * bytes + 1)) bytes++
  const lead = (0xff00 >> bytes) & 0xff
  w.write(lead | Math.floor(v / 2 ** (6 * (bytes - 1))), 8)
  for (let i = bytes - 2; i >= 0; i--) w.write(0x80 | (Math.floor(v / 2 ** (6 * i)) & 0x3f), 8)
}

// ---------------------------------------------------------------------------------------------

/** Encodes audio as a FLAC file. Samples are quantised to `bitsPerSample` (scale 2^(bps-1)). */
export function encodeFlac(audio: AudioData, options: FlacEncodeOptions = {}): Uint8Array {
  const bps = options.bitsPerSample ?? 16
  if (SIZE_CODES[bps] === undefined)
    throw new B2mError('bad_request', `FLAC bit depth ${bps} is not supported (8, 12, 16, 20, 24)`)
  const blockSize = options.blockSize ?? 4096
  if (!Number.isInteger(blockSize) || blockSize < 16 || blockSize > 65535)
    throw new B2mError('bad_request', `FLAC block size ${blockSize} is out of range 16..65535`)
  const maxPartitionOrder = Math.max(0, Math.min(8, options.maxPartitionOrder ?? 8))
  const nch = audio.channels.length
  if (nch < 1 || nch > 8) throw new B2mError('bad_request', `FLAC holds 1 to 8 channels, not ${nch}`)
  const rate = audio.sampleRate
  if (!Number.isInteger(rate) || rate < 1 || rate > 655350)
    throw new B2mError('bad_request', `FLAC sample rate ${rate} is out of range`)
  const total = audio.channels[0].length
  if (audio.channels.some((c) => c.length !== total)) throw new B2mError('bad_request', 'channels differ in length')

  const ints = audio.channels.map((c) => Int32Array.from(c, (x) => quantise(x, bps)))

  // MD5 of the interleaved little-endian signed samples.
  const bytesPer = Math.ceil(bps / 8)
  const md5 = createHash('md5')
  const CHUNK = 8192
  for (let start = 0; start < total; start += CHUNK) {
    const end = Math.min(total, start + CHUNK)
    const buf = new Uint8Array((end - start) * nch * bytesPer)
    let q = 0
    for (let i = start; i < end; i++) {
      for (let c = 0; c < nch; c++) {
        const v = ints[c][i]
        for (let b = 0; b < bytesPer; b++) buf[q++] = (v >> (8 * b)) & 0xff
      }
    }
    md5.update(buf)
  }
  const digest = md5.digest()

  const w = new BitWriter(total * nch * bytesPer * 0.7 + 1024)
  // "fLaC" + STREAMINFO (last metadata block); frame sizes filled in at the end.
  w.write(0x664c6143, 32)
  w.write(0x80, 8)
  w.write(34, 24)
  const streamInfoAt = w.pos
  w.write(blockSize, 16)
  w.write(blockSize, 16)
  w.write(0, 24)
  w.write(0, 24)
  w.write(rate, 20)
  w.write(nch - 1, 3)
  w.write(bps - 1, 5)
  w.write(total, 36)
  for (const b of digest) w.write(b, 8)

  let minFrame = Infinity
  let maxFrame = 0
  const rc = rateCode(rate)
  for (let frame = 0, start = 0; start < total; frame++, start += blockSize) {
    const n = Math.min(blockSize, total - start)
    const block = ints.map((c) => c.subarray(start, start + n))
    // Channel assignment: independent, or for stereo the cheapest decorrelation.
    let assignment = nch - 1
    let chans: { x: Int32Array; bps: number; plan: SubframePlan }[] = block.map((x) => ({
      x,
      bps,
      plan: planSubframe(x, bps, maxPartitionOrder)
    }))
    if (nch === 2) {
      const [l, r] = block
      const side = new Int32Array(n)
      const mid = new Int32Array(n)
      for (let i = 0; i < n; i++) {
        side[i] = l[i] - r[i]
        mid[i] = (l[i] + r[i]) >> 1
      }
      const s = { x: side, bps: bps + 1, plan: planSubframe(side, bps + 1, maxPartitionOrder) }
      const m = { x: mid, bps, plan: planSubframe(mid, bps, maxPartitionOrder) }
      const options: [number, typeof chans][] = [
        [1, chans],
        [8, [chans[0], s]],
        [9, [s, chans[1]]],
        [10, [m, s]]
      ]
      let bestBits = Infinity
      for (const [a, cs] of options) {
        const bits = cs[0].plan.bits + cs[1].plan.bits
        if (bits < bestBits) {
          bestBits = bits
          assignment = a
          chans = cs
        }
      }
    }
    const frameStart = w.pos
    const bs = blockSizeCode(n)
    w.write(0xfff8, 16)
    w.write(bs.code, 4)
    w.write(rc.code, 4)
    w.write(assignment, 4)
    w.write(SIZE_CODES[bps], 3)
    w.write(0, 1)
    writeUtf8Number(w, frame)
    if (bs.extra) w.write(bs.extra[0], bs.extra[1])
    if (rc.extra) w.write(rc.extra[0], rc.extra[1])
    w.write(crc8(w.buf, frameStart, w.pos), 8)
    for (const ch of chans) writeSubframe(w, ch.x, ch.bps, ch.plan)
    w.align()
    w.write(crc16(w.buf, frameStart, w.pos), 16)
    const size = w.pos - frameStart
    minFrame = Math.min(minFrame, size)
    maxFrame = Math.max(maxFrame, size)
  }
  const out = w.bytes()
  if (total > 0) {
    const put24 = (at: number, v: number) => {
      out[at] = (v >> 16) & 0xff
      out[at + 1] = (v >> 8) & 0xff
      out[at + 2] = v & 0xff
    }
    put24(streamInfoAt + 4, minFrame)
    put24(streamInfoAt + 7, maxFrame)
  }
  return out.slice()
}
