/**
 * Frame-level descriptors computed once per signal (librosa conventions: 22,050 Hz, n_fft 2048, hop 512,
 * centred frames). Windows on the TR grid then pool these (see pool.ts), so overlapping windows cost
 * almost nothing extra.
 */
import { applyMel, dctMatrix, melFilterBank, powerSpectrogram, type MelBank } from './dsp'

export interface BuiltinParams {
  sampleRate: number
  nFft: number
  hop: number
  nMels: number
  nMfcc: number
  /** Spectral-contrast octave bands start here (librosa: 200 Hz, 6 bands + the rest). */
  contrastFmin: number
  contrastBands: number
  /** Chroma uses bins between these frequencies. */
  chromaFmin: number
  chromaFmax: number
}

export const DEFAULT_PARAMS: BuiltinParams = {
  sampleRate: 22050,
  nFft: 2048,
  hop: 512,
  nMels: 64,
  nMfcc: 20,
  contrastFmin: 200,
  contrastBands: 6,
  chromaFmin: 65,
  chromaFmax: 5000
}

/** Per-frame descriptors, each frames x width, row-major. */
export interface FrameFeatures {
  frames: number
  frameRate: number
  nMels: number
  /** log-mel power in dB (10 log10(max(mel, 1e-10))). */
  logmel: Float64Array
  mfcc: Float64Array
  /** Regression deltas of the MFCC (+-2 frames). */
  dmfcc: Float64Array
  /** Chroma, each frame scaled to max 1 (0 in silence). */
  chroma: Float64Array
  /** Spectral contrast in dB, contrastBands + 1 per frame. */
  contrast: Float64Array
  /** centroid kHz, bandwidth kHz, roll-off (85%) kHz, flatness (over mel bands), zero-crossing rate, RMS dB. */
  shape: Float64Array
  /** Onset strength: mean positive log-mel flux. */
  onset: Float64Array
}

export const SHAPE_NAMES = ['centroid_khz', 'bandwidth_khz', 'rolloff85_khz', 'flatness', 'zcr', 'rms_db']

interface Plan {
  mel: MelBank
  dct: Float64Array
  chromaBins: Int32Array
  chromaClass: Int32Array
  chromaWeight: Float64Array
  contrastEdges: Int32Array
}

const plans = new Map<string, Plan>()

function planFor(p: BuiltinParams): Plan {
  const key = JSON.stringify(p)
  let plan = plans.get(key)
  if (plan) return plan
  const bins = p.nFft / 2 + 1
  const binHz = p.sampleRate / p.nFft
  // Chroma: each bin votes for the two pitch classes nearest its log-frequency (linear interpolation in
  // semitones), weighted by a Gaussian over octaves centred on C5 (librosa: ctroct 5, octwidth 2).
  const cb: number[] = []
  const cc: number[] = []
  const cw: number[] = []
  for (let k = 1; k < bins; k++) {
    const f = k * binHz
    if (f < p.chromaFmin || f > p.chromaFmax) continue
    const midi = 69 + 12 * Math.log2(f / 440)
    const oct = midi / 12 - 1
    const ow = Math.exp(-0.5 * ((oct - 5) / 2) ** 2)
    const lo = Math.floor(midi)
    const frac = midi - lo
    cb.push(k, k)
    cc.push(((lo % 12) + 12) % 12, (((lo + 1) % 12) + 12) % 12)
    cw.push(ow * (1 - frac), ow * frac)
  }
  const edges = [0]
  for (let b = 0; b < p.contrastBands; b++) edges.push(Math.min(bins, Math.round((p.contrastFmin * 2 ** b) / binHz)))
  edges.push(bins)
  plan = {
    mel: melFilterBank(p.sampleRate, p.nFft, p.nMels),
    dct: dctMatrix(p.nMfcc, p.nMels),
    chromaBins: Int32Array.from(cb),
    chromaClass: Int32Array.from(cc),
    chromaWeight: Float64Array.from(cw),
    contrastEdges: Int32Array.from(edges)
  }
  plans.set(key, plan)
  return plan
}

const AMIN = 1e-10

/** Computes every frame-level descriptor of a mono signal at p.sampleRate. */
export function frameFeatures(x: Float32Array, p: BuiltinParams = DEFAULT_PARAMS): FrameFeatures {
  const plan = planFor(p)
  const { power, frames, bins } = powerSpectrogram(x, { nFft: p.nFft, hop: p.hop, center: true })
  const nMels = p.nMels
  const nC = p.contrastBands + 1
  const logmel = new Float64Array(frames * nMels)
  const mfcc = new Float64Array(frames * p.nMfcc)
  const chroma = new Float64Array(frames * 12)
  const contrast = new Float64Array(frames * nC)
  const shape = new Float64Array(frames * 6)
  const onset = new Float64Array(frames)
  const binHz = p.sampleRate / p.nFft
  const maxQ = Math.max(1, Math.round(0.02 * bins)) + 1
  const lowBuf = new Float64Array(maxQ)
  const highBuf = new Float64Array(maxQ)
  const { contrastEdges } = plan

  for (let t = 0; t < frames; t++) {
    const row = t * bins
    // log-mel
    applyMel(plan.mel, power, row, logmel, t * nMels)
    // spectral flatness over the mel bands: geometric / arithmetic mean of mel power
    let melSum = 0
    let melLog = 0
    for (let b = 0; b < nMels; b++) {
      const i = t * nMels + b
      const v = Math.max(AMIN, logmel[i])
      melSum += v
      const db = 10 * Math.log10(v)
      melLog += db
      logmel[i] = db
    }
    const melFlatness = 10 ** (melLog / nMels / 10) / (melSum / nMels)
    // MFCC
    for (let c = 0; c < p.nMfcc; c++) {
      let acc = 0
      const d = c * nMels
      for (let b = 0; b < nMels; b++) acc += plan.dct[d + b] * logmel[t * nMels + b]
      mfcc[t * p.nMfcc + c] = acc
    }
    // chroma
    const ch = t * 12
    for (let j = 0; j < plan.chromaBins.length; j++)
      chroma[ch + plan.chromaClass[j]] += plan.chromaWeight[j] * power[row + plan.chromaBins[j]]
    let mx = 0
    for (let c = 0; c < 12; c++) mx = Math.max(mx, chroma[ch + c])
    for (let c = 0; c < 12; c++) chroma[ch + c] = mx > 1e-12 ? chroma[ch + c] / mx : 0
    // spectral shape
    let sum = 0
    let wsum = 0
    for (let k = 0; k < bins; k++) {
      const v = power[row + k]
      sum += v
      wsum += v * k
    }
    const centroidBin = sum > 0 ? wsum / sum : 0
    let var2 = 0
    let cum = 0
    let rolloff = bins - 1
    let rolled = false
    for (let k = 0; k < bins; k++) {
      const v = power[row + k]
      var2 += v * (k - centroidBin) ** 2
      cum += v
      if (!rolled && cum >= 0.85 * sum) {
        rolloff = k
        rolled = true
      }
    }
    const s = t * 6
    shape[s] = (centroidBin * binHz) / 1000
    shape[s + 1] = sum > 0 ? (Math.sqrt(var2 / sum) * binHz) / 1000 : 0
    shape[s + 2] = (rolloff * binHz) / 1000
    shape[s + 3] = melFlatness
    // spectral contrast (power, quantile 0.02 as librosa): means of the q smallest and q largest bins
    for (let b = 0; b < nC; b++) {
      const lo = contrastEdges[b]
      const hi = Math.min(bins, Math.max(lo + 1, contrastEdges[b + 1]))
      const q = Math.max(1, Math.round(0.02 * (hi - lo)))
      contrast[t * nC + b] = contrastOf(power, row + lo, row + hi, q, lowBuf, highBuf)
    }
    // onset strength: mean positive log-mel difference to the previous frame
    if (t > 0) {
      let acc = 0
      for (let b = 0; b < nMels; b++) acc += Math.max(0, logmel[t * nMels + b] - logmel[(t - 1) * nMels + b])
      onset[t] = acc / nMels
    }
  }
  // time-domain: zero-crossing rate and RMS over the same centred frames
  const half = p.nFft / 2
  for (let t = 0; t < frames; t++) {
    const a = t * p.hop - half
    let zc = 0
    let e = 0
    let prev = 0
    for (let i = 0; i < p.nFft; i++) {
      const j = a + i
      const v = j >= 0 && j < x.length ? x[j] : 0
      e += v * v
      if (i > 0 && v >= 0 !== prev >= 0) zc++
      prev = v
    }
    shape[t * 6 + 4] = zc / p.nFft
    shape[t * 6 + 5] = 10 * Math.log10(Math.max(AMIN, e / p.nFft))
  }
  // MFCC deltas (regression over +-2 frames, edges clamped)
  const dmfcc = new Float64Array(frames * p.nMfcc)
  for (let t = 0; t < frames; t++) {
    for (let c = 0; c < p.nMfcc; c++) {
      let acc = 0
      for (let n = 1; n <= 2; n++) {
        const ta = Math.min(frames - 1, t + n)
        const tb = Math.max(0, t - n)
        acc += n * (mfcc[ta * p.nMfcc + c] - mfcc[tb * p.nMfcc + c])
      }
      dmfcc[t * p.nMfcc + c] = acc / 10
    }
  }
  return { frames, frameRate: p.sampleRate / p.hop, nMels, logmel, mfcc, dmfcc, chroma, contrast, shape, onset }
}

/**
 * 10 log10(mean of the q largest / mean of the q smallest) of power[from..to), by keeping the q extremes
 * in small sorted buffers (q is at most a few per cent of the band).
 */
function contrastOf(
  power: Float64Array,
  from: number,
  to: number,
  q: number,
  low: Float64Array,
  high: Float64Array
): number {
  let nl = 0
  let nh = 0
  for (let k = from; k < to; k++) {
    const v = power[k]
    // low: ascending, keep q smallest
    if (nl < q || v < low[nl - 1]) {
      let i = nl < q ? nl++ : nl - 1
      while (i > 0 && low[i - 1] > v) {
        low[i] = low[i - 1]
        i--
      }
      low[i] = v
    }
    // high: descending, keep q largest
    if (nh < q || v > high[nh - 1]) {
      let i = nh < q ? nh++ : nh - 1
      while (i > 0 && high[i - 1] < v) {
        high[i] = high[i - 1]
        i--
      }
      high[i] = v
    }
  }
  let valley = 0
  let peak = 0
  for (let i = 0; i < nl; i++) valley += low[i]
  for (let i = 0; i < nh; i++) peak += high[i]
  return 10 * Math.log10((peak / nh + AMIN) / (valley / nl + AMIN))
}
