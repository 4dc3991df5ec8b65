/**
 * ONNX generator folders: `models/<name>/model.onnx` + `manifest.json`, so a lab can drop in its own
 * embedding-to-audio network. The model takes the embedding as float32 [1, D] (and, when the manifest
 * names one, a noise input [1, S] filled from the seed) and returns audio [1, samples] at the manifest's
 * sample rate. Clips longer than one output are made of successive runs (noise seeded per run).
 *
 *   { "name": "my-generator", "sampleRate": 16000,
 *     "input": { "name": "embedding", "dim": 512 },
 *     "noise": { "name": "noise", "size": 128 },
 *     "output": { "name": "audio" } }
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { z } from 'zod'
import { B2mError } from '../../common/errors'
import { zodText } from '../../features/transform'
import { resampleChannel } from '../../formats/audio'
import { sha256File } from '../../music/files'
import type { SessionHandle, SessionManager } from '../../onnx/sessions'
import { checkEmbedding, checkOptions, limitPeak, uniform } from './library'
import type { GenerateOptions, Generator } from './types'

export const GeneratorManifest = z
  .object({
    name: z.string().min(1).optional(),
    model: z.string().min(1).default('model.onnx'),
    sampleRate: z.number().int().min(1000).max(192000),
    input: z.object({ name: z.string().min(1), dim: z.number().int().positive() }).strict(),
    /** A standard normal noise input drawn from the seed. */
    noise: z
      .object({
        name: z.string().min(1),
        size: z
          .number()
          .int()
          .positive()
          .max(1 << 20)
      })
      .strict()
      .optional(),
    output: z.object({ name: z.string().min(1) }).strict()
  })
  .strict()
export type GeneratorManifest = z.infer<typeof GeneratorManifest>

/** Most model runs for one clip (a model returning a handful of samples would otherwise loop for ever). */
const MAX_RUNS = 4096

export function readGeneratorManifest(dir: string): {
  manifest: GeneratorManifest
  modelPath: string
  manifestPath: string
} {
  const manifestPath = join(dir, 'manifest.json')
  if (!existsSync(manifestPath))
    throw new B2mError(
      'not_found',
      `generator folder has no manifest.json (expected it beside model.onnx)`,
      manifestPath
    )
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (err) {
    throw new B2mError('bad_request', `manifest is not valid JSON: ${(err as Error).message}`, manifestPath)
  }
  const parsed = GeneratorManifest.safeParse(raw)
  if (!parsed.success)
    throw new B2mError('bad_request', `invalid generator manifest: ${zodText(parsed.error)}`, manifestPath)
  const modelPath = join(dir, parsed.data.model)
  if (!existsSync(modelPath))
    throw new B2mError(
      'not_found',
      `the manifest's model file ${parsed.data.model} is missing (field "model")`,
      modelPath
    )
  return { manifest: parsed.data, modelPath, manifestPath }
}

/** The seed of the noise of model run `run` for a clip generated with `seed`. */
export function noiseSeed(seed: number, run: number): number {
  return (Math.imul(seed, 7919) + run) >>> 0
}

/** Standard normal values (Box-Muller over the seeded uniform stream). */
export function seededNormal(seed: number, n: number): Float32Array {
  const u = uniform(seed)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()))
    const th = 2 * Math.PI * u()
    out[i] = r * Math.cos(th)
    if (i + 1 < n) out[i + 1] = r * Math.sin(th)
  }
  return out
}

export class OnnxGenerator implements Generator {
  readonly id: string
  readonly dim: number

  private constructor(
    readonly name: string,
    readonly manifest: GeneratorManifest,
    readonly modelPath: string,
    private readonly manifestPath: string,
    private readonly handle: SessionHandle,
    private readonly modelSha256: string
  ) {
    this.id = `onnx:${name}`
    this.dim = manifest.input.dim
  }

  /** Loads `dir` (manifest.json + the model) through `sessions`, checking names and static shapes. */
  static async load(dir: string, sessions: SessionManager, name: string): Promise<OnnxGenerator> {
    const { manifest, modelPath, manifestPath } = readGeneratorManifest(dir)
    const handle = await sessions.session(modelPath)
    const { inputNames, outputNames } = handle.session
    const need = [manifest.input.name, ...(manifest.noise ? [manifest.noise.name] : [])]
    for (const [field, n] of [
      ['input.name', manifest.input.name],
      ...(manifest.noise ? [['noise.name', manifest.noise.name]] : [])
    ] as const)
      if (!inputNames.includes(n))
        throw new B2mError(
          'bad_request',
          `field ${field}: the model has no input "${n}" (it has ${inputNames.join(', ')})`,
          manifestPath
        )
    const extra = inputNames.filter((n) => !need.includes(n))
    if (extra.length > 0)
      throw new B2mError(
        'bad_request',
        `the model has inputs the manifest does not name: ${extra.join(', ')} (declare a noise input or remove them)`,
        manifestPath
      )
    if (!outputNames.includes(manifest.output.name))
      throw new B2mError(
        'bad_request',
        `field output.name: the model has no output "${manifest.output.name}" (it has ${outputNames.join(', ')})`,
        manifestPath
      )
    const meta = handle.session.inputMetadata?.find((v) => v.name === manifest.input.name)
    if (meta?.isTensor) {
      const last = meta.shape[meta.shape.length - 1]
      if (meta.shape.length !== 2 || (typeof last === 'number' && last !== manifest.input.dim))
        throw new B2mError(
          'bad_request',
          `field input.dim: the model's input "${manifest.input.name}" has shape [${meta.shape.join(', ')}], the manifest says [1, ${manifest.input.dim}]`,
          manifestPath
        )
    }
    return new OnnxGenerator(name, manifest, modelPath, manifestPath, handle, sha256File(modelPath))
  }

  get provider(): string {
    return this.handle.provider
  }

  describe(): Record<string, unknown> {
    return {
      method: this.id,
      manifest: this.manifest,
      modelSha256: this.modelSha256,
      manifestSha256: createHash('sha256').update(JSON.stringify(this.manifest)).digest('hex'),
      provider: this.handle.provider
    }
  }

  async generate(embedding: Float32Array, opts: GenerateOptions): Promise<Float32Array> {
    checkOptions(opts)
    checkEmbedding(this.id, embedding, this.dim)
    const m = this.manifest
    const want = Math.ceil(opts.seconds * m.sampleRate)
    const parts: Float32Array[] = []
    let have = 0
    for (let run = 0; have < want; run++) {
      if (run >= MAX_RUNS)
        throw new B2mError('failed', `the model gave only ${have} samples in ${MAX_RUNS} runs`, this.modelPath)
      const feeds: Record<string, ort.Tensor> = {
        [m.input.name]: new ort.Tensor('float32', Float32Array.from(embedding), [1, this.dim])
      }
      if (m.noise)
        feeds[m.noise.name] = new ort.Tensor('float32', seededNormal(noiseSeed(opts.seed, run), m.noise.size), [
          1,
          m.noise.size
        ])
      let out: ort.Tensor
      try {
        out = (await this.handle.session.run(feeds))[m.output.name]
      } catch (err) {
        throw new B2mError('failed', `the generator model failed: ${(err as Error).message}`, this.modelPath)
      }
      if (out.type !== 'float32' || out.dims.length !== 2 || out.dims[0] !== 1 || out.dims[1] < 1)
        throw new B2mError(
          'bad_request',
          `output "${m.output.name}" is ${out.type} [${out.dims.join(', ')}]; a generator returns float32 audio [1, samples]`,
          this.manifestPath
        )
      const data = out.data as Float32Array
      for (let i = 0; i < data.length; i++)
        if (!Number.isFinite(data[i]))
          throw new B2mError(
            'failed',
            `the model returned a non-finite sample (run ${run}, sample ${i})`,
            this.modelPath
          )
      parts.push(Float32Array.from(data))
      have += data.length
    }
    const joined = new Float32Array(want)
    let o = 0
    for (const p of parts) {
      joined.set(p.subarray(0, Math.min(p.length, want - o)), o)
      o += p.length
      if (o >= want) break
    }
    const n = Math.round(opts.seconds * opts.sampleRate)
    let y =
      m.sampleRate === opts.sampleRate ? joined : await resampleChannel(joined, m.sampleRate, opts.sampleRate, 'medium')
    if (y.length !== n) {
      const z2 = new Float32Array(n)
      z2.set(y.subarray(0, n))
      y = z2
    }
    limitPeak(y)
    return y
  }

  async dispose(): Promise<void> {
    // the session belongs to the manager, which may serve other generators
  }
}
