/**
 * The model folder contract: `models/<name>/model.onnx` + `models/<name>/manifest.json`, so a lab can drop
 * in its own exported audio encoder. Example:
 *
 *   { "name": "my-encoder", "sampleRate": 16000, "windowSeconds": 10,
 *     "input": { "name": "waveform", "layout": "waveform" },
 *     "output": { "name": "embedding", "dim": 512 }, "batch": 8, "normalise": "l2" }
 *
 * or a log-mel input ([batch, mels, frames]) with its front end:
 *
 *   "input": { "name": "mel", "layout": "logmel",
 *              "frontEnd": { "nFft": 1024, "hop": 320, "nMels": 64, "fMin": 50, "fMax": 8000,
 *                            "melScale": "slaney", "melNorm": "slaney", "power": 2, "log": "db" } }
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { B2mError } from '../../common/errors'
import { zodText } from '../transform'

export const MelFrontEnd = z
  .object({
    nFft: z
      .number()
      .int()
      .min(16)
      .refine((n) => Number.isInteger(Math.log2(n)), 'must be a power of two'),
    hop: z.number().int().positive(),
    winLength: z.number().int().positive().optional(),
    nMels: z.number().int().positive(),
    fMin: z.number().min(0).default(0),
    fMax: z.number().positive().optional(),
    melScale: z.enum(['slaney', 'htk']).default('slaney'),
    melNorm: z.enum(['slaney', 'none']).default('slaney'),
    /** 1: magnitude, 2: power. */
    power: z.union([z.literal(1), z.literal(2)]).default(2),
    /** 'db': 10 log10 (power) or 20 log10 (magnitude); 'ln': natural log; 'log10'. */
    log: z.enum(['db', 'ln', 'log10']).default('db'),
    amin: z.number().positive().default(1e-10),
    center: z.boolean().default(true),
    padMode: z.enum(['constant', 'reflect']).default('constant'),
    /** Applied after the log: (x - mean) / std. */
    mean: z.number().default(0),
    std: z.number().positive().default(1)
  })
  .strict()
export type MelFrontEnd = z.infer<typeof MelFrontEnd>

export const EncoderManifest = z
  .object({
    name: z.string().min(1).optional(),
    /** ONNX file relative to the folder. */
    model: z.string().min(1).default('model.onnx'),
    sampleRate: z.number().int().min(1000).max(192000),
    /** Seconds of audio the model takes per example. */
    windowSeconds: z.number().positive().max(600),
    input: z.discriminatedUnion('layout', [
      z.object({ name: z.string().min(1), layout: z.literal('waveform') }).strict(),
      z.object({ name: z.string().min(1), layout: z.literal('logmel'), frontEnd: MelFrontEnd }).strict()
    ]),
    output: z.object({ name: z.string().min(1), dim: z.number().int().positive() }).strict(),
    /** Most examples per run (1 for models exported with a fixed batch of 1). */
    batch: z.number().int().positive().default(8),
    /** How a window shorter than the model's is filled: zeros or repeating the audio. */
    pad: z.enum(['zero', 'repeat']).default('zero'),
    /** Applied to the (window-averaged) output. */
    normalise: z.enum(['none', 'l2']).default('none')
  })
  .strict()
export type EncoderManifest = z.infer<typeof EncoderManifest>

/** Reads and validates `<dir>/manifest.json`; errors name the file and the field. */
export function readEncoderManifest(dir: string): {
  manifest: EncoderManifest
  modelPath: string
  manifestPath: string
} {
  const manifestPath = join(dir, 'manifest.json')
  if (!existsSync(manifestPath)) {
    throw new B2mError(
      'not_found',
      `encoder folder has no manifest.json (expected ${manifestPath} beside model.onnx)`,
      manifestPath
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (err) {
    throw new B2mError('bad_request', `manifest is not valid JSON: ${(err as Error).message}`, manifestPath)
  }
  const parsed = EncoderManifest.safeParse(raw)
  if (!parsed.success)
    throw new B2mError('bad_request', `invalid encoder manifest: ${zodText(parsed.error)}`, manifestPath)
  const manifest = parsed.data
  if (manifest.input.layout === 'logmel') {
    const fe = manifest.input.frontEnd
    const nyq = manifest.sampleRate / 2
    if (fe.fMax !== undefined && fe.fMax > nyq) {
      throw new B2mError(
        'bad_request',
        `invalid encoder manifest: input.frontEnd.fMax: ${fe.fMax} Hz exceeds the Nyquist frequency ${nyq} Hz`,
        manifestPath
      )
    }
    if (fe.winLength !== undefined && fe.winLength > fe.nFft) {
      throw new B2mError(
        'bad_request',
        `invalid encoder manifest: input.frontEnd.winLength: ${fe.winLength} exceeds nFft ${fe.nFft}`,
        manifestPath
      )
    }
  }
  const modelPath = join(dir, manifest.model)
  if (!existsSync(modelPath))
    throw new B2mError('not_found', `the manifest's model file ${manifest.model} is missing (field "model")`, modelPath)
  return { manifest, modelPath, manifestPath }
}
