/**
 * From a log-mel spectrogram back to audio: the mel pseudo-inverse gives a magnitude spectrogram, and the
 * fast Griffin-Lim algorithm (Perraudin, Balazs & Søndergaard 2013; librosa's momentum form) finds a
 * phase consistent with it in a fixed number of iterations, starting from a seeded random phase.
 * STFT conventions match features/builtin/dsp.ts: periodic Hann, centred frames, zero padding.
 */
import FFT from 'fft.js'
import { B2mError } from '../../common/errors'
import { frameCountFor, hann, type MelBank } from '../../features/builtin/dsp'
import { uniform } from './library'

/** The mel bank as a dense nMels x bins matrix. */
export function denseMel(bank: MelBank, bins: number): Float64Array {
  const m = new Float64Array(bank.nMels * bins)
  for (let b = 0; b < bank.nMels; b++) {
    const w = bank.weights[b]
    for (let i = 0; i < w.length; i++) if (bank.start[b] + i < bins) m[b * bins + bank.start[b] + i] = w[i]
  }
  return m
}

/**
 * Moore-Penrose pseudo-inverse of the mel matrix M (nMels x bins, full row rank), bins x nMels:
 * Mᵀ (M Mᵀ)⁻¹, with a tiny ridge on the diagonal so empty-ish bands cannot blow it up.
 */
export function melPseudoInverse(bank: MelBank, bins: number): Float64Array {
  const nm = bank.nMels
  const M = denseMel(bank, bins)
  const G = new Float64Array(nm * nm)
  for (let a = 0; a < nm; a++)
    for (let b = a; b < nm; b++) {
      let s = 0
      for (let k = 0; k < bins; k++) s += M[a * bins + k] * M[b * bins + k]
      G[a * nm + b] = G[b * nm + a] = s
    }
  let trace = 0
  for (let a = 0; a < nm; a++) trace += G[a * nm + a]
  for (let a = 0; a < nm; a++) G[a * nm + a] += 1e-10 * (trace / nm)
  const Ginv = invertSpd(G, nm)
  const P = new Float64Array(bins * nm)
  for (let k = 0; k < bins; k++)
    for (let b = 0; b < nm; b++) {
      let s = 0
      for (let a = 0; a < nm; a++) s += M[a * bins + k] * Ginv[a * nm + b]
      P[k * nm + b] = s
    }
  return P
}

/** Inverse of a symmetric positive definite n x n matrix by Cholesky (float64). */
function invertSpd(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2
    if (!(d > 0)) throw new B2mError('internal', 'mel filter bank is rank deficient')
    const ljj = Math.sqrt(d)
    L[j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k]
      L[i * n + j] = s / ljj
    }
  }
  // columns of the inverse: solve L Lᵀ x = e_c
  const inv = new Float64Array(n * n)
  const y = new Float64Array(n)
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0
      for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k]
      y[i] = s / L[i * n + i]
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]
      for (let k = i + 1; k < n; k++) s -= L[k * n + i] * inv[k * n + c]
      inv[i * n + c] = s / L[i * n + i]
    }
  }
  return inv
}

/**
 * Magnitude spectrogram (frames x bins) from mel power (frames x nMels) through the pseudo-inverse;
 * negative power (the pseudo-inverse is not non-negative) is clipped to zero before the square root.
 */
export function melToMagnitude(
  melPower: Float64Array,
  frames: number,
  pinv: Float64Array,
  nMels: number
): Float64Array {
  const bins = pinv.length / nMels
  const mag = new Float64Array(frames * bins)
  for (let t = 0; t < frames; t++) {
    const mo = t * nMels
    for (let k = 0; k < bins; k++) {
      let s = 0
      const po = k * nMels
      for (let b = 0; b < nMels; b++) s += pinv[po + b] * melPower[mo + b]
      mag[t * bins + k] = s > 0 ? Math.sqrt(s) : 0
    }
  }
  return mag
}

export interface GriffinLimOptions {
  nFft: number
  hop: number
  iterations: number
  /** 0 gives the classic algorithm; librosa's default 0.99. */
  momentum: number
  seed: number
  /** Samples of the output. */
  length: number
}

/** Audio whose STFT magnitude approximates `mag` (frames x (nFft/2+1)). */
export function griffinLim(mag: Float64Array, frames: number, o: GriffinLimOptions): Float32Array {
  const { nFft, hop } = o
  const bins = nFft / 2 + 1
  if (mag.length !== frames * bins)
    throw new B2mError('internal', `griffinLim: ${mag.length} magnitudes for ${frames} x ${bins}`)
  if (frameCountFor(o.length, { nFft, hop, center: true }) !== frames)
    throw new B2mError('internal', `griffinLim: ${frames} frames do not match ${o.length} samples`)
  const win = hann(nFft)
  const fft = new FFT(nFft)
  const half = nFft / 2
  // window-square sum for the least-squares ISTFT
  const wsum = new Float64Array(o.length)
  for (let t = 0; t < frames; t++)
    for (let i = 0; i < nFft; i++) {
      const j = t * hop - half + i
      if (j >= 0 && j < o.length) wsum[j] += win[i] * win[i]
    }
  const rand = uniform(o.seed ^ 0x5eed)
  // angles: unit complex numbers, frames x bins interleaved (re, im)
  const ang = new Float64Array(frames * bins * 2)
  for (let i = 0; i < frames * bins; i++) {
    const ph = 2 * Math.PI * rand()
    ang[2 * i] = Math.cos(ph)
    ang[2 * i + 1] = Math.sin(ph)
  }
  let rebuilt = new Float64Array(frames * bins * 2)
  let prev = new Float64Array(frames * bins * 2)
  // Two real frames share one complex FFT each way (x_a + i x_b), halving the transforms.
  const zin = fft.createComplexArray() as number[]
  const zout = fft.createComplexArray() as number[]
  const y = new Float64Array(o.length)

  const istft = (): void => {
    y.fill(0)
    for (let t = 0; t < frames; t += 2) {
      const ra = t * bins
      const rb = (t + 1) * bins
      const two = t + 1 < frames
      // Z = X_a + i X_b over the full (Hermitian-extended) spectrum; the DC and Nyquist bins are real
      for (let k = 0; k < nFft; k++) {
        const kk = k < bins ? k : nFft - k
        const sg = k < bins ? 1 : -1
        const ma = mag[ra + kk]
        const are = ma * ang[2 * (ra + kk)]
        let aim = sg * ma * ang[2 * (ra + kk) + 1]
        let bre = 0
        let bim = 0
        if (two) {
          const mb = mag[rb + kk]
          bre = mb * ang[2 * (rb + kk)]
          bim = sg * mb * ang[2 * (rb + kk) + 1]
        }
        if (kk === 0 || kk === half) {
          aim = 0
          bim = 0
        }
        zin[2 * k] = are - bim
        zin[2 * k + 1] = aim + bre
      }
      fft.inverseTransform(zout, zin)
      const s0 = t * hop - half
      for (let i = 0; i < nFft; i++) {
        const j = s0 + i
        if (j >= 0 && j < o.length) y[j] += win[i] * zout[2 * i]
        if (two) {
          const j2 = j + hop
          if (j2 >= 0 && j2 < o.length) y[j2] += win[i] * zout[2 * i + 1]
        }
      }
    }
    for (let j = 0; j < o.length; j++) if (wsum[j] > 1e-10) y[j] /= wsum[j]
  }
  const stft = (): void => {
    for (let t = 0; t < frames; t += 2) {
      const two = t + 1 < frames
      const s0 = t * hop - half
      for (let i = 0; i < nFft; i++) {
        const j = s0 + i
        const j2 = j + hop
        zin[2 * i] = j >= 0 && j < o.length ? y[j] * win[i] : 0
        zin[2 * i + 1] = two && j2 >= 0 && j2 < o.length ? y[j2] * win[i] : 0
      }
      fft.transform(zout, zin)
      const ra = 2 * t * bins
      const rb = 2 * (t + 1) * bins
      for (let k = 0; k < bins; k++) {
        const m = (nFft - k) % nFft
        const zr = zout[2 * k]
        const zi = zout[2 * k + 1]
        const cr = zout[2 * m]
        const ci = -zout[2 * m + 1]
        // X_a = (Z[k] + conj Z[N-k]) / 2, X_b = (Z[k] - conj Z[N-k]) / 2i
        rebuilt[ra + 2 * k] = 0.5 * (zr + cr)
        rebuilt[ra + 2 * k + 1] = 0.5 * (zi + ci)
        if (two) {
          rebuilt[rb + 2 * k] = 0.5 * (zi - ci)
          rebuilt[rb + 2 * k + 1] = -0.5 * (zr - cr)
        }
      }
    }
  }

  const beta = o.momentum / (1 + o.momentum)
  for (let it = 0; it < o.iterations; it++) {
    istft()
    // the previous iteration's rebuilt spectrum (zeros at first) becomes prev
    const swap = prev
    prev = rebuilt
    rebuilt = swap
    stft()
    for (let i = 0; i < frames * bins; i++) {
      const re = rebuilt[2 * i] - beta * prev[2 * i]
      const im = rebuilt[2 * i + 1] - beta * prev[2 * i + 1]
      const n = Math.sqrt(re * re + im * im) + 1e-16
      ang[2 * i] = re / n
      ang[2 * i + 1] = im / n
    }
  }
  istft()
  return Float32Array.from(y)
}
