/**
 * Log-mel spectrogram of a mono clip, computed in the renderer (the paper's Fig. 3 shows the original
 * and its reconstruction this way): Hann-windowed STFT through fft.js, power folded onto a triangular
 * mel filterbank (HTK mel scale, Slaney-style area normalisation), 10·log10 power with the top 80 dB kept.
 * A 15 s clip at 22.05 kHz is ~1,300 frames of a 1,024-point FFT: a few milliseconds, so no worker.
 */
import FFT from 'fft.js'

export interface MelSpectrogram {
  /** Row-major (frames x bands) dB values, band 0 the lowest; each in [maxDb - range, maxDb]. */
  db: Float32Array
  frames: number
  bands: number
  /** Seconds between frames. */
  hop: number
  sampleRate: number
  maxDb: number
  /** dB below maxDb that the colour scale spans. */
  range: number
}

export interface MelOptions {
  /** FFT length (power of two); default: the power of two nearest 46 ms. */
  nFft?: number
  /** Hop in samples; default nFft / 4. */
  hopSize?: number
  bands?: number
  fMin?: number
  /** Default: the Nyquist frequency. */
  fMax?: number
  /** Dynamic range kept below the loudest cell (dB). */
  range?: number
}

export const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700)
export const melToHz = (m: number): number => 700 * (10 ** (m / 2595) - 1)

/**
 * Triangular mel filters over the FFT bins 0..nFft/2: row-major (bands x bins), each filter scaled to
 * unit area in Hz so wide high bands do not dominate (Slaney normalisation).
 */
export function melFilterbank(
  sampleRate: number,
  nFft: number,
  bands: number,
  fMin = 0,
  fMax = sampleRate / 2
): Float32Array {
  if (!(fMax > fMin && fMin >= 0 && fMax <= sampleRate / 2))
    throw new Error(`mel filterbank: need 0 <= fMin < fMax <= ${sampleRate / 2} Hz, got ${fMin}..${fMax}`)
  const bins = nFft / 2 + 1
  const out = new Float32Array(bands * bins)
  const mLo = hzToMel(fMin)
  const mHi = hzToMel(fMax)
  const edges = new Float64Array(bands + 2)
  for (let i = 0; i < bands + 2; i++) edges[i] = melToHz(mLo + ((mHi - mLo) * i) / (bands + 1))
  for (let b = 0; b < bands; b++) {
    const lo = edges[b]!
    const mid = edges[b + 1]!
    const hi = edges[b + 2]!
    const norm = 2 / (hi - lo)
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / nFft
      const w = f <= lo || f >= hi ? 0 : f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid)
      out[b * bins + k] = w * norm
    }
  }
  return out
}

export function logMelSpectrogram(x: Float32Array, sampleRate: number, opts: MelOptions = {}): MelSpectrogram {
  const nFft = opts.nFft ?? 2 ** Math.round(Math.log2(0.046 * sampleRate))
  if (!Number.isInteger(Math.log2(nFft)) || nFft < 16)
    throw new Error(`spectrogram: nFft must be a power of two >= 16, got ${nFft}`)
  const hopSize = opts.hopSize ?? nFft / 4
  const bands = opts.bands ?? 64
  const range = opts.range ?? 80
  const bins = nFft / 2 + 1
  const fb = melFilterbank(sampleRate, nFft, bands, opts.fMin ?? 0, opts.fMax ?? sampleRate / 2)
  // Centred frames (the signal is zero-padded by nFft/2 on both sides), as librosa does.
  const frames = Math.max(1, 1 + Math.floor(x.length / hopSize))
  const half = nFft / 2
  const win = new Float64Array(nFft)
  for (let i = 0; i < nFft; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nFft)
  const fft = new FFT(nFft)
  const frame = new Array<number>(nFft)
  const spec = fft.createComplexArray() as number[]
  const power = new Float64Array(bins)
  const db = new Float32Array(frames * bands)
  let maxDb = -Infinity
  for (let t = 0; t < frames; t++) {
    const start = t * hopSize - half
    for (let i = 0; i < nFft; i++) {
      const j = start + i
      frame[i] = j >= 0 && j < x.length ? x[j]! * win[i]! : 0
    }
    fft.realTransform(spec, frame)
    for (let k = 0; k < bins; k++) {
      const re = spec[2 * k]!
      const im = spec[2 * k + 1]!
      power[k] = re * re + im * im
    }
    for (let b = 0; b < bands; b++) {
      let e = 0
      const row = b * bins
      for (let k = 0; k < bins; k++) {
        const w = fb[row + k]!
        if (w !== 0) e += w * power[k]!
      }
      const v = 10 * Math.log10(Math.max(e, 1e-20))
      db[t * bands + b] = v
      if (v > maxDb) maxDb = v
    }
  }
  const floor = maxDb - range
  for (let i = 0; i < db.length; i++) if (db[i]! < floor) db[i] = floor
  return { db, frames, bands, hop: hopSize / sampleRate, sampleRate, maxDb, range }
}

/**
 * RGBA pixels (width = frames, height = bands, low bands at the bottom) of a spectrogram through a
 * 256-entry RGBA lookup table (e.g. viridis).
 */
export function spectrogramPixels(s: MelSpectrogram, lut: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const px = new Uint8ClampedArray(s.frames * s.bands * 4)
  const lo = s.maxDb - s.range
  for (let t = 0; t < s.frames; t++)
    for (let b = 0; b < s.bands; b++) {
      const v = (s.db[t * s.bands + b]! - lo) / s.range
      const c = Math.max(0, Math.min(255, Math.round(v * 255))) * 4
      const o = ((s.bands - 1 - b) * s.frames + t) * 4
      px[o] = lut[c]!
      px[o + 1] = lut[c + 1]!
      px[o + 2] = lut[c + 2]!
      px[o + 3] = 255
    }
  return px
}
