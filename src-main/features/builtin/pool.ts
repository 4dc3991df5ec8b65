/**
 * Pools frame-level descriptors over one window into the built-in embedding: statistics of log-mel,
 * MFCC, chroma, spectral contrast and spectral shape; rhythm from the onset autocorrelation (tempo,
 * pulse clarity, a coarse tempogram); and a spectro-temporal modulation block — the 2-D modulation power
 * spectrum of the log-mel spectrogram (Singh & Theunissen 2003; the MTF features of Nakai et al. 2021)
 * pooled into temporal-rate x spectral-scale bins.
 */
import FFT from 'fft.js'
import { SHAPE_NAMES, type FrameFeatures } from './frames'

/** Temporal modulation band edges in Hz (the last band ends at the frame rate's Nyquist). */
export const MTF_RATE_EDGES = [0.25, 0.5, 1, 2, 4, 8, 16]
/** Tempogram centres: 40 BPM * 2^(i/4), i = 0..11 (40-269 BPM). */
export const TEMPOGRAM_BPM = Array.from({ length: 12 }, (_, i) => 40 * 2 ** (i / 4))
const TEMPO_MIN = 30
const TEMPO_MAX = 300

/** Spectral-scale groups over |cycles per nMels bands|: [0], [1], [2,3], [4..7], ... up to nMels/2. */
function scaleGroups(nMels: number): [number, number][] {
  const g: [number, number][] = [[0, 0]]
  const half = Math.floor(nMels / 2)
  for (let lo = 1; lo <= half; lo *= 2) {
    const last = 2 * lo >= half
    g.push([lo, last ? half : 2 * lo - 1])
    if (last) break
  }
  return g
}

export interface BlockLayout {
  names: string[]
  dim: number
}

/** Names of every dimension, in order. */
export function builtinNames(nMels: number, nMfcc: number, nContrast: number): string[] {
  const n: string[] = []
  const seq = (p: string, k: number) => Array.from({ length: k }, (_, i) => `${p}${String(i).padStart(2, '0')}`)
  n.push(...seq('logmel_mean_', nMels), ...seq('logmel_std_', nMels))
  n.push(...seq('mfcc_mean_', nMfcc), ...seq('mfcc_std_', nMfcc), ...seq('mfcc_delta_std_', nMfcc))
  n.push(...seq('chroma_mean_', 12), ...seq('chroma_std_', 12))
  n.push(...seq('contrast_mean_', nContrast), ...seq('contrast_std_', nContrast))
  n.push(...SHAPE_NAMES.map((s) => `${s}_mean`), ...SHAPE_NAMES.map((s) => `${s}_std`))
  n.push(
    'onset_mean',
    'onset_std',
    'tempo_log2_rel120',
    'pulse_clarity',
    ...TEMPOGRAM_BPM.map((b) => `tempogram_${Math.round(b)}bpm`)
  )
  const groups = scaleGroups(nMels)
  const rates = [...MTF_RATE_EDGES, Infinity]
  for (let r = 0; r + 1 < rates.length; r++) {
    for (const [lo, hi] of groups)
      n.push(`mtf_rate${rates[r]}-${rates[r + 1] === Infinity ? 'nyq' : rates[r + 1]}hz_scale${lo}-${hi}`)
  }
  return n
}

/** Mean and standard deviation of columns [a, b) of a frames x w matrix, written at out[o..]. */
function meanStd(
  m: Float64Array,
  w: number,
  a: number,
  b: number,
  out: Float32Array,
  oMean: number,
  oStd: number
): void {
  const n = b - a
  for (let j = 0; j < w; j++) {
    let s = 0
    for (let t = a; t < b; t++) s += m[t * w + j]
    const mean = s / n
    let v = 0
    for (let t = a; t < b; t++) {
      const d = m[t * w + j] - mean
      v += d * d
    }
    out[oMean + j] = mean
    out[oStd + j] = Math.sqrt(v / n)
  }
}

function stdOnly(m: Float64Array, w: number, a: number, b: number, out: Float32Array, o: number): void {
  const tmp = new Float32Array(2 * w)
  meanStd(m, w, a, b, tmp, 0, w)
  out.set(tmp.subarray(w), o)
}

function rhythm(onset: Float64Array, a: number, b: number, frameRate: number, out: Float32Array, o: number): void {
  const n = b - a
  let mean = 0
  for (let t = a; t < b; t++) mean += onset[t]
  mean /= n
  let v = 0
  for (let t = a; t < b; t++) v += (onset[t] - mean) ** 2
  out[o] = mean
  out[o + 1] = Math.sqrt(v / n)
  // Smooth the envelope (triangle over +-2 frames, ~46 ms) so that periodicity peaks between integer
  // lags are not lost, then autocorrelate (mean removed, unbiased, normalised to lag 0).
  const env = new Float64Array(n)
  const K = [1, 2, 3, 2, 1]
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let k = -2; k <= 2; k++) s += K[k + 2] * onset[a + Math.min(n - 1, Math.max(0, i + k))]
    env[i] = s / 9
  }
  let em = 0
  for (let i = 0; i < n; i++) em += env[i]
  em /= n
  for (let i = 0; i < n; i++) env[i] -= em
  const maxLag = Math.min(n - 1, Math.ceil((60 * frameRate) / TEMPO_MIN) + 1)
  const ac = new Float64Array(maxLag + 1)
  for (let l = 0; l <= maxLag; l++) {
    let s = 0
    for (let i = 0; i + l < n; i++) s += env[i] * env[i + l]
    ac[l] = s / (n - l)
  }
  const ac0 = ac[0]
  if (!(ac0 > 1e-12) || maxLag < 2) {
    out.fill(0, o + 2, o + 4 + TEMPOGRAM_BPM.length)
    return
  }
  for (let l = 0; l <= maxLag; l++) ac[l] /= ac0
  const acAt = (lag: number): number => {
    if (lag > maxLag || lag < 0) return 0
    const i = Math.floor(lag)
    const f = lag - i
    return i + 1 <= maxLag ? ac[i] * (1 - f) + ac[i + 1] * f : ac[i]
  }
  const lagLo = Math.max(1, Math.floor((60 * frameRate) / TEMPO_MAX))
  const lagHi = Math.min(maxLag - 1, Math.ceil((60 * frameRate) / TEMPO_MIN))
  let bestLag = -1
  let bestScore = -Infinity
  let clarity = 0
  for (let l = lagLo; l <= lagHi; l++) {
    const bpm = (60 * frameRate) / l
    // librosa's log-normal tempo prior: centre 120 BPM, one octave standard deviation.
    const score = ac[l] * Math.exp(-0.5 * Math.log2(bpm / 120) ** 2)
    if (ac[l] > clarity) clarity = ac[l]
    if (ac[l] >= ac[l - 1] && ac[l] >= ac[l + 1] && score > bestScore) {
      bestScore = score
      bestLag = l
    }
  }
  let tempoLog = 0
  if (bestLag > 0) {
    // parabolic interpolation of the peak
    const y0 = ac[bestLag - 1]
    const y1 = ac[bestLag]
    const y2 = ac[bestLag + 1]
    const den = y0 - 2 * y1 + y2
    const lag = den < 0 ? bestLag + (0.5 * (y0 - y2)) / den : bestLag
    tempoLog = Math.log2((60 * frameRate) / lag / 120)
  }
  out[o + 2] = tempoLog
  out[o + 3] = clarity
  for (let i = 0; i < TEMPOGRAM_BPM.length; i++) out[o + 4 + i] = acAt((60 * frameRate) / TEMPOGRAM_BPM[i])
}

const ffts = new Map<number, FFT>()
function fftOf(n: number): FFT {
  let f = ffts.get(n)
  if (!f) ffts.set(n, (f = new FFT(n)))
  return f
}

/** Spectro-temporal modulation power of log-mel frames [a, b), pooled; returns the count written. */
function modulation(ff: FrameFeatures, a: number, b: number, out: Float32Array, o: number): number {
  const M = ff.nMels
  const T = b - a
  let NT = 16
  while (NT < T) NT *= 2
  const half = NT / 2
  const win = Float64Array.from({ length: T }, (_, i) =>
    T > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / T) : 1
  )
  let winPow = 0
  for (let i = 0; i < T; i++) winPow += win[i] * win[i]
  // temporal FFT of each mel band (mean removed, Hann-weighted): spec[j][band] complex
  const ft = fftOf(NT)
  const buf = new Float64Array(NT)
  const tOut = ft.createComplexArray() as number[]
  const re = new Float64Array((half + 1) * M)
  const im = new Float64Array((half + 1) * M)
  for (let m = 0; m < M; m++) {
    let mean = 0
    for (let t = 0; t < T; t++) mean += ff.logmel[(a + t) * M + m]
    mean /= T
    buf.fill(0)
    for (let t = 0; t < T; t++) buf[t] = (ff.logmel[(a + t) * M + m] - mean) * win[t]
    ft.realTransform(tOut, buf)
    for (let j = 0; j <= half; j++) {
      re[j * M + m] = tOut[2 * j]
      im[j * M + m] = tOut[2 * j + 1]
    }
  }
  // spectral FFT across bands for each temporal frequency; fold +-scale.
  const fm = fftOf(M)
  const cin = new Float64Array(2 * M)
  const cout = fm.createComplexArray() as number[]
  const nScale = M / 2 + 1
  const power = new Float64Array((half + 1) * nScale)
  const norm = 1 / (winPow * M)
  for (let j = 1; j <= half; j++) {
    for (let m = 0; m < M; m++) {
      cin[2 * m] = re[j * M + m]
      cin[2 * m + 1] = im[j * M + m]
    }
    fm.transform(cout, cin)
    for (let s = 0; s < M; s++) {
      const p = (cout[2 * s] ** 2 + cout[2 * s + 1] ** 2) * norm
      power[j * nScale + Math.min(s, M - s)] += p
    }
  }
  const groups = scaleGroups(M)
  const nyq = ff.frameRate / 2
  const edges = [...MTF_RATE_EDGES, nyq]
  let k = 0
  for (let r = 0; r + 1 < edges.length; r++) {
    let j0 = Math.max(1, Math.ceil((edges[r] * NT) / ff.frameRate))
    let j1 = Math.min(half, Math.floor((edges[r + 1] * NT) / ff.frameRate))
    if (j1 < j0) {
      const centre = Math.min(half, Math.max(1, Math.round((Math.sqrt(edges[r] * edges[r + 1]) * NT) / ff.frameRate)))
      j0 = j1 = centre
    }
    for (const [lo, hi] of groups) {
      let s = 0
      for (let j = j0; j <= j1; j++) for (let q = lo; q <= hi; q++) s += power[j * nScale + q]
      out[o + k++] = Math.log10(s / ((j1 - j0 + 1) * (hi - lo + 1)) + 1e-6)
    }
  }
  return k
}

/** Pools frames [a, b) into `out` at offset o; returns the number of values written. */
export function poolWindow(
  ff: FrameFeatures,
  nMfcc: number,
  nContrast: number,
  a: number,
  b: number,
  out: Float32Array,
  o: number
): number {
  const M = ff.nMels
  const start = o
  meanStd(ff.logmel, M, a, b, out, o, o + M)
  o += 2 * M
  meanStd(ff.mfcc, nMfcc, a, b, out, o, o + nMfcc)
  o += 2 * nMfcc
  stdOnly(ff.dmfcc, nMfcc, a, b, out, o)
  o += nMfcc
  meanStd(ff.chroma, 12, a, b, out, o, o + 12)
  o += 24
  meanStd(ff.contrast, nContrast, a, b, out, o, o + nContrast)
  o += 2 * nContrast
  meanStd(ff.shape, 6, a, b, out, o, o + 6)
  o += 12
  rhythm(ff.onset, a, b, ff.frameRate, out, o)
  o += 4 + TEMPOGRAM_BPM.length
  o += modulation(ff, a, b, out, o)
  return o - start
}
