/**
 * Integrated loudness after ITU-R BS.1770-4 (LUFS): K-weighting (a high-shelf "pre-filter" and the RLB
 * high-pass), mean square over 400 ms blocks with 75 % overlap, an absolute gate at -70 LUFS and a
 * relative gate 10 LU below the loudness of the blocks that pass it. The filter coefficients are derived
 * for any sample rate from the analogue prototypes (as libebur128 does), so 22.05 kHz GTZAN excerpts and
 * 48 kHz generated clips are measured alike. Pure functions on typed arrays; no DOM.
 */

/** Biquad coefficients, a0 normalised to 1. */
export interface Biquad {
  b0: number
  b1: number
  b2: number
  a1: number
  a2: number
}

/** The two K-weighting stages for a sample rate. At 48 kHz they equal the tables printed in BS.1770. */
export function kWeighting(sampleRate: number): [Biquad, Biquad] {
  // Stage 1: high shelf, +4 dB above ~1.7 kHz (the head's acoustic effect).
  let f0 = 1681.974450955533
  const G = 3.999843853973347
  let Q = 0.7071752369554196
  let K = Math.tan((Math.PI * f0) / sampleRate)
  const Vh = 10 ** (G / 20)
  const Vb = Vh ** 0.4996667741545416
  let a0 = 1 + K / Q + K * K
  const shelf: Biquad = {
    b0: (Vh + (Vb * K) / Q + K * K) / a0,
    b1: (2 * (K * K - Vh)) / a0,
    b2: (Vh - (Vb * K) / Q + K * K) / a0,
    a1: (2 * (K * K - 1)) / a0,
    a2: (1 - K / Q + K * K) / a0
  }
  // Stage 2: the revised low-frequency B-weighting (RLB) high-pass at ~38 Hz.
  f0 = 38.13547087602444
  Q = 0.5003270373238773
  K = Math.tan((Math.PI * f0) / sampleRate)
  a0 = 1 + K / Q + K * K
  const highpass: Biquad = { b0: 1, b1: -2, b2: 1, a1: (2 * (K * K - 1)) / a0, a2: (1 - K / Q + K * K) / a0 }
  return [shelf, highpass]
}

/** Squares of the K-weighted signal (Float64: the sums over millions of samples need the precision). */
function kWeightedSquares(x: Float32Array, sampleRate: number): Float64Array {
  const [s, h] = kWeighting(sampleRate)
  const out = new Float64Array(x.length)
  // Direct form I, both stages in one pass.
  let x1 = 0
  let x2 = 0
  let y1 = 0
  let y2 = 0
  let z1 = 0
  let z2 = 0
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!
    const y = s.b0 * xi + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2
    x2 = x1
    x1 = xi
    const z = h.b0 * y + h.b1 * y1 + h.b2 * y2 - h.a1 * z1 - h.a2 * z2
    y2 = y1
    y1 = y
    z2 = z1
    z1 = z
    out[i] = z * z
  }
  return out
}

const toLufs = (meanSquare: number): number => (meanSquare > 0 ? -0.691 + 10 * Math.log10(meanSquare) : -Infinity)

/**
 * Integrated loudness in LUFS of one clip (channels of equal length; mono, or left/right with weight 1
 * each as the standard gives them). -Infinity for silence. Clips shorter than one 400 ms block are
 * measured over their whole length, ungated.
 */
export function integratedLoudness(channels: readonly Float32Array[], sampleRate: number): number {
  if (!(sampleRate > 0)) throw new Error(`loudness: sample rate must be positive, got ${sampleRate}`)
  const n = channels[0]?.length ?? 0
  if (n === 0) return -Infinity
  // Per-channel prefix sums of squares make every block's mean square O(1).
  const prefix = channels.map((c) => {
    if (c.length !== n) throw new Error(`loudness: channels differ in length (${c.length} vs ${n})`)
    const sq = kWeightedSquares(c, sampleRate)
    const p = new Float64Array(n + 1)
    for (let i = 0; i < n; i++) p[i + 1] = p[i]! + sq[i]!
    return p
  })
  const block = Math.round(0.4 * sampleRate)
  const step = Math.round(0.1 * sampleRate)
  if (n < block) return toLufs(prefix.reduce((a, p) => a + p[n]! / n, 0))
  const blocks = Math.floor((n - block) / step) + 1
  const z = new Float64Array(blocks)
  for (let j = 0; j < blocks; j++) {
    const a = j * step
    let sum = 0
    for (const p of prefix) sum += (p[a + block]! - p[a]!) / block
    z[j] = sum
  }
  const gated = (threshold: number): number => {
    let sum = 0
    let k = 0
    for (let j = 0; j < blocks; j++)
      if (toLufs(z[j]!) > threshold) {
        sum += z[j]!
        k++
      }
    return k > 0 ? sum / k : 0
  }
  const absolute = gated(-70)
  if (absolute === 0) return -Infinity
  // A block must pass both gates; the relative one can lie below -70 for very quiet material.
  return toLufs(gated(Math.max(-70, toLufs(absolute) - 10)))
}

/**
 * Linear gains that bring clips of the given loudness (LUFS) to the level of the quietest of them, so
 * switching between them is level-matched without ever amplifying (and so clipping) a clip. Silent or
 * unmeasured clips keep gain 1.
 */
export function matchGains(loudness: readonly number[]): number[] {
  const finite = loudness.filter((l) => Number.isFinite(l))
  if (finite.length === 0) return loudness.map(() => 1)
  const target = Math.min(...finite)
  return loudness.map((l) => (Number.isFinite(l) ? 10 ** ((target - l) / 20) : 1))
}

/** Gain in dB, for display ("−3.2 dB"). */
export const gainDb = (g: number): number => 20 * Math.log10(g)
