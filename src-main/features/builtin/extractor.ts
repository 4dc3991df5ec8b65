/**
 * The built-in music embedding (no neural network): 296 dimensions per window at the defaults.
 * Deterministic: plain float64 arithmetic in a fixed order, so the same input gives bit-identical output.
 */
import { B2mError } from '../../common/errors'
import type { FeatureExtractor, WindowOptions, WindowedEmbedding } from '../types'
import { windowStarts } from '../types'
import { DEFAULT_PARAMS, frameFeatures, type BuiltinParams } from './frames'
import { builtinNames, poolWindow } from './pool'

export const BUILTIN_VERSION = 1

export class BuiltinExtractor implements FeatureExtractor {
  readonly name = 'builtin'
  readonly version = BUILTIN_VERSION
  readonly params: BuiltinParams
  readonly names: string[]

  constructor(params: Partial<BuiltinParams> = {}) {
    this.params = { ...DEFAULT_PARAMS, ...params }
    const { nFft, nMels } = this.params
    if (!Number.isInteger(Math.log2(nFft)))
      throw new B2mError('bad_request', `nFft must be a power of two, got ${nFft}`)
    if (!Number.isInteger(Math.log2(nMels)) || nMels < 4)
      throw new B2mError('bad_request', `nMels must be a power of two >= 4, got ${nMels}`)
    this.names = builtinNames(nMels, this.params.nMfcc, this.params.contrastBands + 1)
  }

  get dim(): number {
    return this.names.length
  }

  get sampleRate(): number {
    return this.params.sampleRate
  }

  /** Everything that defines the output, for provenance. */
  describe(): Record<string, unknown> {
    return { name: this.name, version: this.version, dim: this.dim, ...this.params }
  }

  embedWindows(signal: Float32Array, options: WindowOptions = {}): Promise<WindowedEmbedding> {
    return Promise.resolve(this.embedWindowsSync(signal, options))
  }

  /** `signal`: mono at `sampleRate`. */
  embedWindowsSync(signal: Float32Array, options: WindowOptions = {}): WindowedEmbedding {
    const p = this.params
    const duration = signal.length / p.sampleRate
    const { starts, window } = windowStarts(duration, options)
    const dim = this.dim
    const data = new Float32Array(starts.length * dim)
    if (starts.length === 0) return { dim, times: starts, window, data }
    const ff = frameFeatures(signal, p)
    for (let w = 0; w < starts.length; w++) {
      // frames whose centres (t * hop / sr) fall in [start, start + window)
      let a = Math.ceil(starts[w] * ff.frameRate - 1e-9)
      let b = Math.min(ff.frames, Math.ceil((starts[w] + window) * ff.frameRate - 1e-9))
      a = Math.min(a, ff.frames - 1)
      if (b <= a) b = a + 1
      const n = poolWindow(ff, p.nMfcc, p.contrastBands + 1, a, b, data, w * dim)
      if (n !== dim) throw new Error(`internal: pooled ${n} values, expected ${dim}`)
    }
    return { dim, times: starts, window, data }
  }
}
