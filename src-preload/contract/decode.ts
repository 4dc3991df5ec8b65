/**
 * Contract of decoding back to music: the clips catalogue (retrieved library items and generated audio
 * for each test stimulus of a decoder), their audio for playback, export with provenance sidecars, and
 * the job that generates clips from a decoder's predicted embeddings. Imports only zod.
 */
import { z } from 'zod'

/** Generation methods: `spectral`, `mosaic`, `onnx:<model folder>`, `musicgen`. */
export const GenerateMethod = z
  .string()
  .regex(
    /^(spectral|mosaic|musicgen|onnx:[A-Za-z0-9][A-Za-z0-9._-]{0,99})$/,
    'method is spectral, mosaic, musicgen or onnx:<model folder name under models/>'
  )
export type GenerateMethod = z.infer<typeof GenerateMethod>

export const ClipInfo = z.object({
  id: z.number().int(),
  modelId: z.number().int().nullable(),
  stimulusId: z.number().int().nullable(),
  stimulusKey: z.string().nullable(),
  libraryId: z.number().int().nullable(),
  libraryItemId: z.number().int().nullable(),
  /** 'retrieval' | 'spectral' | 'mosaic' | 'onnx:<name>' | 'musicgen'. */
  method: z.string(),
  /** Retrieval: 1 for the nearest library item. */
  rank: z.number().int().nullable(),
  /** Retrieval: cosine similarity to the predicted embedding. */
  score: z.number().nullable(),
  genre: z.string().nullable(),
  title: z.string().nullable(),
  /** Whether audio can be played (a generated FLAC in the workspace, or a library file on disk). */
  audio: z.boolean(),
  /** Seconds. */
  duration: z.number().nullable(),
  createdAt: z.string(),
  provenance: z.record(z.string(), z.unknown())
})
export type ClipInfo = z.infer<typeof ClipInfo>

/** The shape `stimuli.audio` returns: a 16-bit PCM WAV, base64. */
export const WavAudio = z.object({
  id: z.number().int(),
  key: z.string(),
  mime: z.literal('audio/wav'),
  sampleRate: z.number().int(),
  channels: z.number().int(),
  duration: z.number(),
  base64: z.string()
})
export type WavAudio = z.infer<typeof WavAudio>

export const ClipsExportResult = z.object({
  files: z.array(z.object({ clipId: z.number().int(), path: z.string(), sidecar: z.string() }))
})
export type ClipsExportResult = z.infer<typeof ClipsExportResult>

export const GenerateClipsResult = z.object({ clips: z.array(z.number().int()) })
export type GenerateClipsResult = z.infer<typeof GenerateClipsResult>

const Seed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1)

export const decodeJobs = [
  z.object({
    kind: z.literal('generate.clips'),
    params: z
      .object({
        /** A decoder (models.list). */
        model: z.number().int().positive(),
        method: GenerateMethod,
        /** The music library the generator learns from or draws on: name or id. */
        library: z.union([z.string().min(1).max(100), z.number().int().positive()]),
        seed: Seed.default(0),
        /** Default: every test stimulus of the model. */
        stimuli: z.array(z.number().int().positive()).min(1).max(10000).optional()
      })
      .strict()
  })
] as const

const Id = z.object({ id: z.number().int().positive() }).strict()

export const decodeMethods = {
  'clips.list': {
    params: z
      .object({ model: z.number().int().positive().optional(), stimulus: z.number().int().positive().optional() })
      .strict()
      .default({}),
    result: z.array(ClipInfo)
  },
  /** A generated clip's FLAC, or the first 15 s of a retrieved library file, as WAV. */
  'clips.audio': { params: Id, result: WavAudio },
  /** The first `seconds` (default 15) of a library item, as WAV. */
  'library.audio': {
    params: z
      .object({ itemId: z.number().int().positive(), seconds: z.number().positive().max(600).default(15) })
      .strict(),
    result: WavAudio
  },
  /** Writes each clip as <folder>/clip-<id>-<method>.<format> with a JSON provenance sidecar beside it. */
  'clips.export': {
    params: z
      .object({
        ids: z.array(z.number().int().positive()).min(1).max(10000),
        format: z.enum(['wav', 'flac']),
        folder: z.string().min(1).max(4096)
      })
      .strict(),
    result: ClipsExportResult
  }
} as const
