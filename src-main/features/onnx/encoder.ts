/**
 * An audio encoder from a model folder (see manifest.ts), run through the session manager (CUDA when
 * present, else CPU). Each window of the TR grid is cut from the signal; a window shorter than the model's
 * is padded (zeros or repeat), a longer one is split into model-length chunks whose outputs are averaged.
 */
import * as ort from 'onnxruntime-node'
import { B2mError } from '../../common/errors'
import type { SessionHandle, SessionManager } from '../../onnx/sessions'
import type { FeatureExtractor, WindowOptions, WindowedEmbedding } from '../types'
import { windowStarts } from '../types'
import { logMel, melFrames } from './frontend'
import { readEncoderManifest, type EncoderManifest } from './manifest'

export class OnnxEncoder implements FeatureExtractor {
  readonly name: string
  readonly dim: number
  readonly sampleRate: number
  /** Samples per model example. */
  readonly exampleSamples: number

  private constructor(
    readonly manifest: EncoderManifest,
    readonly modelPath: string,
    private readonly handle: SessionHandle,
    name: string
  ) {
    this.name = name
    this.dim = manifest.output.dim
    this.sampleRate = manifest.sampleRate
    this.exampleSamples = Math.round(manifest.windowSeconds * manifest.sampleRate)
  }

  get provider(): string {
    return this.handle.provider
  }

  /** Loads `dir` (a folder holding manifest.json and the model) through `sessions`. */
  static async load(dir: string, sessions: SessionManager, options: { name?: string } = {}): Promise<OnnxEncoder> {
    const { manifest, modelPath, manifestPath } = readEncoderManifest(dir)
    const handle = await sessions.session(modelPath)
    const { inputNames, outputNames } = handle.session
    if (!inputNames.includes(manifest.input.name)) {
      throw new B2mError(
        'bad_request',
        `field input.name: the model has no input "${manifest.input.name}" (it has ${inputNames.join(', ')})`,
        manifestPath
      )
    }
    if (!outputNames.includes(manifest.output.name)) {
      throw new B2mError(
        'bad_request',
        `field output.name: the model has no output "${manifest.output.name}" (it has ${outputNames.join(', ')})`,
        manifestPath
      )
    }
    // Static shapes in the model must agree with the manifest.
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[] | undefined, n: string) =>
      list?.find((v) => v.name === n)
    const outMeta = meta(handle.session.outputMetadata, manifest.output.name)
    if (outMeta?.isTensor && outMeta.shape.length > 0) {
      const last = outMeta.shape[outMeta.shape.length - 1]
      if (typeof last === 'number' && last !== manifest.output.dim) {
        throw new B2mError(
          'bad_request',
          `field output.dim: the model's output "${manifest.output.name}" has ${last} values per example, the manifest says ${manifest.output.dim}`,
          manifestPath
        )
      }
    }
    const inMeta = meta(handle.session.inputMetadata, manifest.input.name)
    if (inMeta?.isTensor && inMeta.shape.length > 0) {
      const want = manifest.input.layout === 'waveform' ? 2 : 3
      if (inMeta.shape.length !== want) {
        throw new B2mError(
          'bad_request',
          `field input.layout: "${manifest.input.layout}" needs a rank-${want} input, the model's "${manifest.input.name}" has shape [${inMeta.shape.join(', ')}]`,
          manifestPath
        )
      }
      const samples = Math.round(manifest.windowSeconds * manifest.sampleRate)
      const last = inMeta.shape[want - 1]
      const expected = manifest.input.layout === 'waveform' ? samples : melFrames(manifest.input.frontEnd, samples)
      if (typeof last === 'number' && last !== expected) {
        throw new B2mError(
          'bad_request',
          `field windowSeconds: ${manifest.windowSeconds} s gives ${expected} ${manifest.input.layout === 'waveform' ? 'samples' : 'frames'}, the model's input takes ${last}`,
          manifestPath
        )
      }
    }
    const name = options.name ?? manifest.name ?? dir.split(/[\\/]/).filter(Boolean).pop() ?? 'onnx'
    return new OnnxEncoder(manifest, modelPath, handle, `onnx:${name}`)
  }

  describe(): Record<string, unknown> {
    return { name: this.name, dim: this.dim, provider: this.provider, manifest: this.manifest }
  }

  /** One model example from `seg` (length <= exampleSamples), padded as the manifest says. */
  private example(seg: Float32Array): Float32Array {
    const L = this.exampleSamples
    if (seg.length === L) return seg
    const out = new Float32Array(L)
    out.set(seg.subarray(0, L))
    if (this.manifest.pad === 'repeat' && seg.length > 0)
      for (let i = seg.length; i < L; i++) out[i] = seg[i % seg.length]
    return out
  }

  /** Runs the model on examples (each exampleSamples long); returns examples x dim. */
  async run(examples: Float32Array[]): Promise<Float32Array> {
    const m = this.manifest
    const out = new Float32Array(examples.length * this.dim)
    const L = this.exampleSamples
    for (let b0 = 0; b0 < examples.length; b0 += m.batch) {
      const batch = examples.slice(b0, b0 + m.batch)
      let tensor: ort.Tensor
      if (m.input.layout === 'waveform') {
        const data = new Float32Array(batch.length * L)
        batch.forEach((e, i) => data.set(e, i * L))
        tensor = new ort.Tensor('float32', data, [batch.length, L])
      } else {
        const fe = m.input.frontEnd
        const frames = melFrames(fe, L)
        const data = new Float32Array(batch.length * fe.nMels * frames)
        batch.forEach((e, i) => logMel(fe, m.sampleRate, e, data, i * fe.nMels * frames))
        tensor = new ort.Tensor('float32', data, [batch.length, fe.nMels, frames])
      }
      let result: ort.InferenceSession.OnnxValueMapType
      try {
        result = await this.handle.session.run({ [m.input.name]: tensor }, [m.output.name])
      } catch (err) {
        throw new B2mError('failed', `running the encoder failed: ${(err as Error).message}`, this.modelPath)
      }
      const y = result[m.output.name] as ort.Tensor
      if (y.type !== 'float32' || y.data.length !== batch.length * this.dim) {
        throw new B2mError(
          'bad_request',
          `output "${m.output.name}" has shape [${y.dims.join(', ')}] (${y.type}); the manifest says ${this.dim} float32 values per example (field output.dim)`,
          this.modelPath
        )
      }
      out.set(y.data as Float32Array, b0 * this.dim)
    }
    return out
  }

  async embedWindows(signal: Float32Array, options: WindowOptions = {}): Promise<WindowedEmbedding> {
    const sr = this.sampleRate
    const opts = options.window === undefined && options.step === undefined ? {} : options
    const { starts, window } = windowStarts(signal.length / sr, opts)
    const examples: Float32Array[] = []
    const owner: number[] = []
    const L = this.exampleSamples
    starts.forEach((s, w) => {
      const a = Math.round(s * sr)
      const b = Math.min(signal.length, a + Math.round(window * sr))
      const seg = signal.subarray(a, b)
      const chunks = Math.max(1, Math.ceil(seg.length / L))
      for (let c = 0; c < chunks; c++) {
        examples.push(this.example(seg.subarray(c * L, Math.min(seg.length, (c + 1) * L))))
        owner.push(w)
      }
    })
    const y = await this.run(examples)
    const D = this.dim
    const acc = new Float64Array(starts.length * D)
    const counts = new Float64Array(starts.length)
    owner.forEach((w, e) => {
      counts[w]++
      for (let j = 0; j < D; j++) acc[w * D + j] += y[e * D + j]
    })
    const data = new Float32Array(starts.length * D)
    for (let w = 0; w < starts.length; w++) {
      let norm = 0
      for (let j = 0; j < D; j++) norm += (acc[w * D + j] / counts[w]) ** 2
      const scale = this.manifest.normalise === 'l2' && norm > 0 ? 1 / Math.sqrt(norm) : 1
      for (let j = 0; j < D; j++) data[w * D + j] = (acc[w * D + j] / counts[w]) * scale
    }
    return { dim: D, times: starts, window, data }
  }
}
