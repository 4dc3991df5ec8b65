/** Spectral building blocks: STFT power, Slaney mel filter bank, DCT-II. Float64 throughout. */
import FFT from 'fft.js'

export interface StftParams {
  nFft: number
  hop: number
  /** librosa's center=True: frame t is centred on sample t*hop (the signal is padded by nFft/2). */
  center: boolean
  /** Padding for centred frames: 'constant' (zeros; librosa >= 0.10) or 'reflect' (torch, HF). */
  padMode?: 'constant' | 'reflect'
  /** Window length (<= nFft, centred in the frame as librosa does). Default nFft. */
  winLength?: number
}

/** Periodic Hann window (as scipy.signal.get_window('hann', n, fftbins=True)). */
export function hann(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n))
}

export function frameCountFor(samples: number, p: StftParams): number {
  if (p.center) return Math.floor(samples / p.hop) + 1
  return samples < p.nFft ? 0 : Math.floor((samples - p.nFft) / p.hop) + 1
}

/**
 * Power spectrogram |STFT|^2, frames x (nFft/2 + 1), row-major, Hann-windowed. Also hands each windowed
 * time frame's raw samples to `onFrame` (for time-domain features) when given.
 */
export function powerSpectrogram(
  x: Float32Array,
  p: StftParams
): { power: Float64Array; frames: number; bins: number } {
  const { nFft, hop } = p
  const bins = nFft / 2 + 1
  const frames = frameCountFor(x.length, p)
  const power = new Float64Array(frames * bins)
  const winLength = p.winLength ?? nFft
  const win = new Float64Array(nFft)
  win.set(hann(winLength), Math.floor((nFft - winLength) / 2))
  const reflect = p.center && p.padMode === 'reflect'
  const n = x.length
  const fft = new FFT(nFft)
  const buf = new Float64Array(nFft)
  const out = fft.createComplexArray() as number[]
  const offset = p.center ? nFft / 2 : 0
  for (let t = 0; t < frames; t++) {
    const s0 = t * hop - offset
    for (let i = 0; i < nFft; i++) {
      let j = s0 + i
      if (reflect && n > 1) {
        if (j < 0) j = -j
        if (j >= n) j = 2 * n - 2 - j
      }
      buf[i] = j >= 0 && j < n ? x[j] * win[i] : 0
    }
    fft.realTransform(out, buf)
    const row = t * bins
    for (let k = 0; k < bins; k++) {
      const re = out[2 * k]
      const im = out[2 * k + 1]
      power[row + k] = re * re + im * im
    }
  }
  return { power, frames, bins }
}

// Slaney's mel scale (librosa htk=False): linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3
const MIN_LOG_HZ = 1000
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP
const LOGSTEP = Math.log(6.4) / 27

export function hzToMel(f: number): number {
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP
}
export function melToHz(m: number): number {
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m
}

/** A sparse mel filter bank: for band b, weights over bins [start[b], start[b] + weights[b].length). */
export interface MelBank {
  nMels: number
  start: Int32Array
  weights: Float64Array[]
}

export const hzToMelHtk = (f: number): number => 2595 * Math.log10(1 + f / 700)
export const melToHzHtk = (m: number): number => 700 * (10 ** (m / 2595) - 1)

export interface MelOptions {
  fMin?: number
  fMax?: number
  /** 'slaney' (librosa default) or 'htk'. */
  scale?: 'slaney' | 'htk'
  /** 'slaney' area normalisation (librosa default) or none. */
  norm?: 'slaney' | 'none'
}

/** librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm), stored sparsely. */
export function melFilterBank(
  sampleRate: number,
  nFft: number,
  nMels: number,
  fMinOrOptions: number | MelOptions = 0,
  fMaxArg?: number
): MelBank {
  const o: MelOptions = typeof fMinOrOptions === 'number' ? { fMin: fMinOrOptions, fMax: fMaxArg } : fMinOrOptions
  const fMin = o.fMin ?? 0
  const fMax = o.fMax ?? sampleRate / 2
  const toMel = o.scale === 'htk' ? hzToMelHtk : hzToMel
  const toHz = o.scale === 'htk' ? melToHzHtk : melToHz
  const bins = nFft / 2 + 1
  const fftFreqs = Float64Array.from({ length: bins }, (_, k) => (k * sampleRate) / nFft)
  const mMin = toMel(fMin)
  const mMax = toMel(fMax)
  const pts = Float64Array.from({ length: nMels + 2 }, (_, i) => toHz(mMin + ((mMax - mMin) * i) / (nMels + 1)))
  const start = new Int32Array(nMels)
  const weights: Float64Array[] = []
  for (let b = 0; b < nMels; b++) {
    const lo = pts[b]
    const mid = pts[b + 1]
    const hi = pts[b + 2]
    const enorm = o.norm === 'none' ? 1 : 2 / (hi - lo)
    const w: number[] = []
    let first = -1
    for (let k = 0; k < bins; k++) {
      const f = fftFreqs[k]
      const v = Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid)))
      if (v > 0) {
        if (first < 0) first = k
        // fill gaps (cannot happen for a triangle, kept for safety)
        while (first + w.length < k) w.push(0)
        w.push(v * enorm)
      }
    }
    start[b] = Math.max(0, first)
    weights.push(Float64Array.from(w))
  }
  return { nMels, start, weights }
}

/** Applies a mel bank to one power-spectrum row. */
export function applyMel(
  bank: MelBank,
  row: Float64Array,
  rowOffset: number,
  out: Float64Array,
  outOffset: number
): void {
  for (let b = 0; b < bank.nMels; b++) {
    const w = bank.weights[b]
    const s = rowOffset + bank.start[b]
    let acc = 0
    for (let i = 0; i < w.length; i++) acc += w[i] * row[s + i]
    out[outOffset + b] = acc
  }
}

/** Orthonormal DCT-II matrix, nOut x nIn (scipy.fft.dct(type=2, norm='ortho')), row-major. */
export function dctMatrix(nOut: number, nIn: number): Float64Array {
  const m = new Float64Array(nOut * nIn)
  for (let k = 0; k < nOut; k++) {
    const scale = k === 0 ? Math.sqrt(1 / nIn) : Math.sqrt(2 / nIn)
    for (let n = 0; n < nIn; n++) m[k * nIn + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nIn))
  }
  return m
}
