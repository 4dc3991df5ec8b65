/**
 * Small in-place effects for the demo synthesiser, all on mono Float32Array buses: one-pole and biquad
 * filters, a waveshaper with cabinet filtering, a feedback echo, a Schroeder/Freeverb-style reverb, a
 * compressor and a look-ahead limiter. Everything is sample-accurate and deterministic.
 */

/** One-pole low-pass, in place. */
export function lowpass1(buf: Float32Array, cutoff: number, sr: number): void {
  const a = 1 - Math.exp((-2 * Math.PI * Math.min(cutoff, sr * 0.49)) / sr)
  let y = 0
  for (let i = 0; i < buf.length; i++) {
    y += a * (buf[i] - y)
    buf[i] = y
  }
}

/** One-pole high-pass, in place. */
export function highpass1(buf: Float32Array, cutoff: number, sr: number): void {
  const a = 1 - Math.exp((-2 * Math.PI * Math.min(cutoff, sr * 0.49)) / sr)
  let y = 0
  for (let i = 0; i < buf.length; i++) {
    y += a * (buf[i] - y)
    buf[i] -= y
  }
}

export type BiquadType = 'lowpass' | 'highpass' | 'bandpass' | 'peak'

/** RBJ cookbook biquad, in place (`gainDb` only for 'peak'). */
export function biquad(
  buf: Float32Array,
  type: BiquadType,
  freq: number,
  q: number,
  sr: number,
  gainDb = 0,
  from = 0,
  to = buf.length
): void {
  const w = (2 * Math.PI * Math.min(freq, sr * 0.45)) / sr
  const cw = Math.cos(w)
  const alpha = Math.sin(w) / (2 * q)
  let b0: number, b1: number, b2: number, a0: number, a1: number, a2: number
  if (type === 'lowpass') {
    b0 = (1 - cw) / 2
    b1 = 1 - cw
    b2 = b0
    a0 = 1 + alpha
    a1 = -2 * cw
    a2 = 1 - alpha
  } else if (type === 'highpass') {
    b0 = (1 + cw) / 2
    b1 = -(1 + cw)
    b2 = b0
    a0 = 1 + alpha
    a1 = -2 * cw
    a2 = 1 - alpha
  } else if (type === 'bandpass') {
    b0 = alpha
    b1 = 0
    b2 = -alpha
    a0 = 1 + alpha
    a1 = -2 * cw
    a2 = 1 - alpha
  } else {
    const A = Math.pow(10, gainDb / 40)
    b0 = 1 + alpha * A
    b1 = -2 * cw
    b2 = 1 - alpha * A
    a0 = 1 + alpha / A
    a1 = -2 * cw
    a2 = 1 - alpha / A
  }
  b0 /= a0
  b1 /= a0
  b2 /= a0
  a1 /= a0
  a2 /= a0
  let x1 = 0
  let x2 = 0
  let y1 = 0
  let y2 = 0
  for (let i = from; i < to; i++) {
    const x = buf[i]
    const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
    x2 = x1
    x1 = x
    y2 = y1
    y1 = y
    buf[i] = y
  }
}

/**
 * Guitar-amp style distortion: tighten the lows, drive into an asymmetric soft clipper, then two poles of
 * cabinet low-pass at `tone` Hz. Output stays within about +-1.
 */
export function distort(buf: Float32Array, drive: number, tone: number, sr: number): void {
  highpass1(buf, 90, sr)
  for (let i = 0; i < buf.length; i++) {
    const x = buf[i] * drive + 0.08
    // x / (1 + |x|) is a cheap soft clipper; the bias gives even harmonics, removed by the DC filter below
    buf[i] = x / (1 + Math.abs(x)) - 0.074
  }
  highpass1(buf, 40, sr)
  lowpass1(buf, tone, sr)
  lowpass1(buf, tone * 1.4, sr)
  biquad(buf, 'peak', 1800, 0.8, sr, 3)
}

/** Feedback delay (echo) with a low-pass in the loop, mixed into the buffer. */
export function echo(
  buf: Float32Array,
  seconds: number,
  feedback: number,
  mix: number,
  damp: number,
  sr: number
): void {
  const d = Math.max(1, Math.round(seconds * sr))
  const line = new Float32Array(d)
  const a = 1 - Math.exp((-2 * Math.PI * damp) / sr)
  let idx = 0
  let lp = 0
  for (let i = 0; i < buf.length; i++) {
    const delayed = line[idx]
    lp += a * (delayed - lp)
    line[idx] = buf[i] + lp * feedback
    buf[i] += delayed * mix
    idx = idx + 1 === d ? 0 : idx + 1
  }
}

const COMB_TUNING = [557, 593, 641, 677, 719, 757]
const ALLPASS_TUNING = [278, 220, 169]

/**
 * Mono Freeverb-style reverb of `input`, returned as a new wet signal: parallel low-pass feedback combs,
 * then series all-passes. `size` in [0, 1] sets the decay, `damp` in [0, 1] the high-frequency damping.
 */
export function reverb(input: Float32Array, size: number, damp: number, sr: number, preDelay = 0.01): Float32Array {
  const scale = sr / 22050
  const n = input.length
  const wet = new Float32Array(n)
  const feedback = 0.7 + 0.28 * size
  const pre = Math.round(preDelay * sr)
  for (const t of COMB_TUNING) {
    const len = Math.max(1, Math.round(t * scale * (0.8 + 0.6 * size)))
    const line = new Float32Array(len)
    let idx = 0
    let store = 0
    for (let i = 0; i < n; i++) {
      const x = i >= pre ? input[i - pre] : 0
      const out = line[idx]
      store = out * (1 - damp) + store * damp
      line[idx] = x + store * feedback
      wet[i] += out
      idx = idx + 1 === len ? 0 : idx + 1
    }
  }
  for (const t of ALLPASS_TUNING) {
    const len = Math.max(1, Math.round(t * scale))
    const line = new Float32Array(len)
    let idx = 0
    for (let i = 0; i < n; i++) {
      const buffered = line[idx]
      const x = wet[i]
      line[idx] = x + buffered * 0.5
      wet[i] = buffered - x
      idx = idx + 1 === len ? 0 : idx + 1
    }
  }
  const g = 0.12 / COMB_TUNING.length
  for (let i = 0; i < n; i++) wet[i] *= g
  return wet
}

/** Feed-forward compressor with a peak detector; `threshold` is linear, `makeup` linear gain. */
export function compress(
  buf: Float32Array,
  threshold: number,
  ratio: number,
  attack: number,
  release: number,
  sr: number,
  makeup = 1
): void {
  const at = Math.exp(-1 / (attack * sr))
  const rt = Math.exp(-1 / (release * sr))
  const slope = 1 - 1 / ratio
  const logT = Math.log(threshold)
  let env = 0
  for (let i = 0; i < buf.length; i++) {
    const x = Math.abs(buf[i])
    env = x > env ? at * env + (1 - at) * x : rt * env + (1 - rt) * x
    let g = makeup
    if (env > threshold) g *= Math.exp(-slope * (Math.log(env) - logT))
    buf[i] *= g
  }
}

/**
 * Look-ahead brick-wall limiter: the gain at every sample is at most `ceiling / |x|` (so the output never
 * exceeds the ceiling), reached smoothly over `lookahead` seconds and released over `release` seconds.
 */
export function limit(buf: Float32Array, ceiling: number, sr: number, lookahead = 0.002, release = 0.08): void {
  const n = buf.length
  const L = Math.max(1, Math.round(lookahead * sr))
  const target = new Float32Array(n)
  let any = false
  for (let i = 0; i < n; i++) {
    const a = Math.abs(buf[i])
    const t = a > ceiling ? ceiling / a : 1
    if (t < 1) any = true
    target[i] = t
  }
  if (!any) return
  // hold[i] = min of target over [i - L, i + L] (monotonic deque)
  const hold = new Float32Array(n)
  const dq = new Int32Array(n + 2 * L + 1)
  let head = 0
  let tail = 0
  let next = 0
  for (let i = 0; i < n; i++) {
    const hi = Math.min(n - 1, i + L)
    while (next <= hi) {
      while (tail > head && target[dq[tail - 1]] >= target[next]) tail--
      dq[tail++] = next++
    }
    while (dq[head] < i - L) head++
    hold[i] = target[dq[head]]
  }
  // box average over [i - L/2, i + L/2] keeps the gain <= target at every sample
  const half = Math.floor(L / 2)
  const w = 2 * half + 1
  const rel = 1 - Math.exp(-1 / (release * sr))
  let sum = 0
  for (let k = -half; k <= half; k++) sum += hold[Math.min(n - 1, Math.max(0, k))]
  let g = 1
  for (let i = 0; i < n; i++) {
    const avg = sum / w
    g = Math.min(avg, g + rel * (avg - g))
    buf[i] *= Math.min(g, target[i])
    sum += hold[Math.min(n - 1, i + half + 1)] - hold[Math.max(0, i - half)]
  }
}

export function rms(buf: Float32Array): number {
  let s = 0
  for (let i = 0; i < buf.length; i++) s += buf[i] * buf[i]
  return Math.sqrt(s / Math.max(1, buf.length))
}

export function peak(buf: Float32Array): number {
  let p = 0
  for (let i = 0; i < buf.length; i++) {
    const a = Math.abs(buf[i])
    if (a > p) p = a
  }
  return p
}

export function scale(buf: Float32Array, g: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] *= g
}

/** Adds `src * gain` into `dst`. */
export function mixInto(dst: Float32Array, src: Float32Array, gain: number): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i] * gain
}

/**
 * Brings the mix to `targetRms` and keeps every sample within `ceiling`: normalise, limit, normalise again,
 * limit again, and finally scale down if anything still exceeds the ceiling.
 */
export function master(buf: Float32Array, targetRms: number, ceiling: number, sr: number): void {
  for (let pass = 0; pass < 3; pass++) {
    const r = rms(buf)
    if (r > 0) scale(buf, targetRms / r)
    limit(buf, ceiling * 0.985, sr)
  }
  const p = peak(buf)
  if (p > ceiling) scale(buf, ceiling / p)
}
