/** Log-mel front end for encoders whose ONNX graph takes [batch, mels, frames]. */
import { applyMel, frameCountFor, melFilterBank, powerSpectrogram } from '../builtin/dsp'
import type { MelFrontEnd } from './manifest'

/** Frames the front end makes from `samples` samples. */
export function melFrames(fe: MelFrontEnd, samples: number): number {
  return frameCountFor(samples, { nFft: fe.nFft, hop: fe.hop, center: fe.center })
}

/** Log-mel of `x` as mels x frames (row-major), written into `out` at `offset` (float32). */
export function logMel(
  fe: MelFrontEnd,
  sampleRate: number,
  x: Float32Array,
  out?: Float32Array,
  offset = 0
): Float32Array {
  const { power, frames, bins } = powerSpectrogram(x, {
    nFft: fe.nFft,
    hop: fe.hop,
    center: fe.center,
    padMode: fe.padMode,
    winLength: fe.winLength
  })
  const bank = melFilterBank(sampleRate, fe.nFft, fe.nMels, {
    fMin: fe.fMin,
    fMax: fe.fMax,
    scale: fe.melScale,
    norm: fe.melNorm
  })
  const M = fe.nMels
  const dst = out ?? new Float32Array(M * frames)
  const row = new Float64Array(bins)
  const mel = new Float64Array(M)
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) row[k] = fe.power === 2 ? power[t * bins + k] : Math.sqrt(power[t * bins + k])
    applyMel(bank, row, 0, mel, 0)
    for (let m = 0; m < M; m++) {
      const v = Math.max(fe.amin, mel[m])
      const l =
        fe.log === 'db' ? (fe.power === 2 ? 10 : 20) * Math.log10(v) : fe.log === 'ln' ? Math.log(v) : Math.log10(v)
      dst[offset + m * frames + t] = (l - fe.mean) / fe.std
    }
  }
  return dst
}
