/**
 * Contract of music in: stimulus audio (attached from a GTZAN-like folder), feature sets (per-window
 * embeddings of the stimuli, normalised on the training stimuli) and music libraries (embeddings of
 * every file of a folder, for retrieval). Imports only zod.
 */
import { z } from 'zod'

/**
 * Which embedding: `builtin` (no network: log-mel, MFCC, chroma, contrast, rhythm, modulation; 296-d),
 * `onnx:<folder>` (an encoder folder `models/<folder>/` with model.onnx + manifest.json, looked up in the
 * workspace's models/ first, then the app's), or `clap` (CLAP through @huggingface/transformers).
 */
export const ExtractorSpec = z
  .string()
  .regex(
    /^(builtin|clap|onnx:[A-Za-z0-9][A-Za-z0-9._-]{0,99})$/,
    'extractor is builtin, clap or onnx:<model folder name under models/>'
  )
export type ExtractorSpec = z.infer<typeof ExtractorSpec>

/** A stimulus's place in the design: `train` when it occurs in a training run, `test` when only in test runs. */
export const StimulusRole = z.enum(['train', 'test', 'none'])
export type StimulusRole = z.infer<typeof StimulusRole>

export const StimulusInfo = z.object({
  id: z.number().int(),
  /** genre.track@start, e.g. "blues.98@6.46". */
  key: z.string(),
  genre: z.string().nullable(),
  track: z.string().nullable(),
  start: z.number().nullable(),
  end: z.number().nullable(),
  /** Whether the excerpt's audio is in the workspace. */
  audio: z.boolean(),
  /** Workspace-relative FLAC, e.g. "stimuli/blues.00098_6.46.flac". */
  audioPath: z.string().nullable(),
  audioSha256: z.string().nullable(),
  /** Presentations over every imported run. */
  occurrences: z.number().int(),
  role: StimulusRole
})
export type StimulusInfo = z.infer<typeof StimulusInfo>

export const StimuliAttachResult = z.object({
  folder: z.string(),
  /** Stimuli whose excerpt was cut and written now. */
  attached: z.number().int(),
  /** Stimuli that already had their audio (attach again with replace: true to re-cut). */
  skipped: z.number().int(),
  missing: z.array(
    z.object({
      stimulusId: z.number().int(),
      key: z.string(),
      /** Where the track was looked for first (genre/genre.000TT.wav|au), when the stimulus names one. */
      expected: z.string().nullable(),
      reason: z.string()
    })
  ),
  warnings: z.array(z.string())
})
export type StimuliAttachResult = z.infer<typeof StimuliAttachResult>

/** One row of a feature set's matrix: which stimulus and which window of it. */
export const FeatureRow = z.object({
  stimulusId: z.number().int(),
  key: z.string(),
  windowIndex: z.number().int(),
  /** Seconds from the clip's start. */
  windowStart: z.number(),
  windowEnd: z.number(),
  role: StimulusRole
})
export type FeatureRow = z.infer<typeof FeatureRow>

export const FeatureSetInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  extractor: z.string(),
  /** Columns of the stored matrix (after PCA when there is one). */
  dim: z.number().int(),
  rows: z.number().int(),
  stimuli: z.number().int(),
  /** Parameters of the computation: window, step, pca, normalise. */
  params: z.record(z.string(), z.unknown()),
  normalised: z.boolean(),
  pca: z.number().int().nullable(),
  createdAt: z.string()
})
export type FeatureSetInfo = z.infer<typeof FeatureSetInfo>

export const FeatureSetDetail = FeatureSetInfo.extend({
  summary: z.object({
    train: z.number().int(),
    test: z.number().int(),
    none: z.number().int(),
    /** Distinct window starts, seconds from the clip's start (e.g. 0, 1.5, 3, 4.5). */
    windowStarts: z.array(z.number()),
    windowsPerStimulus: z.number().int()
  }),
  /** The fitted normalisation (where its files are, dims, explained variance), or null. */
  transform: z.record(z.string(), z.unknown()).nullable(),
  provenance: z.record(z.string(), z.unknown())
})
export type FeatureSetDetail = z.infer<typeof FeatureSetDetail>

export const FeaturesComputeResult = z.object({
  id: z.number().int(),
  name: z.string(),
  rows: z.number().int(),
  dim: z.number().int(),
  stimuli: z.number().int(),
  /** Catalogued stimuli left out because their audio is not attached. */
  withoutAudio: z.number().int()
})
export type FeaturesComputeResult = z.infer<typeof FeaturesComputeResult>

export const LibraryInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  root: z.string(),
  /** Audio files found (readable or not). */
  items: z.number().int(),
  /** Rows of the embedding matrix (readable items). */
  embedded: z.number().int(),
  unreadable: z.number().int(),
  dim: z.number().int().nullable(),
  extractor: z.string(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string()
})
export type LibraryInfo = z.infer<typeof LibraryInfo>

export const LibraryItem = z.object({
  id: z.number().int(),
  /** Row in the library's embedding matrix; null when the file could not be read. */
  row: z.number().int().nullable(),
  /** Relative to the library's root, '/' separated. */
  path: z.string(),
  size: z.number().int(),
  mtimeMs: z.number(),
  duration: z.number().nullable(),
  title: z.string().nullable(),
  artist: z.string().nullable(),
  album: z.string().nullable(),
  genre: z.string().nullable(),
  error: z.string().nullable()
})
export type LibraryItem = z.infer<typeof LibraryItem>

export const LibraryAddResult = z.object({
  id: z.number().int(),
  name: z.string(),
  root: z.string(),
  dim: z.number().int(),
  /** Audio files found by this scan. */
  files: z.number().int(),
  /** Embedded now (new or changed files). */
  embedded: z.number().int(),
  /** Unchanged since the last scan (path, size and mtime), not decoded again. */
  unchanged: z.number().int(),
  /** Items of the previous scan whose file is gone. */
  removed: z.number().int(),
  /** Unreadable files (the first 100; library.items with unreadable: true pages through all). */
  unreadable: z.array(z.object({ path: z.string(), error: z.string() })),
  unreadableTotal: z.number().int(),
  seconds: z.number()
})
export type LibraryAddResult = z.infer<typeof LibraryAddResult>

const Name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^/\\\0]+$/, 'a name without slashes')

export const musicJobs = [
  z.object({
    kind: z.literal('stimuli.attach'),
    params: z
      .object({
        /** A folder laid out like GTZAN: genre/genre.000TT.wav|au (also under genres/ or genres_original/). */
        folder: z.string().min(1).max(4096),
        /** Cut again the stimuli that already have audio. */
        replace: z.boolean().default(false)
      })
      .strict()
  }),
  z.object({
    kind: z.literal('features.compute'),
    params: z
      .object({
        name: Name,
        extractor: ExtractorSpec.default('builtin'),
        /** Window length in seconds (the paper: 10); window 15 + step 15 embeds whole clips. */
        window: z.number().positive().max(60).default(10),
        step: z.number().positive().max(60).default(1.5),
        /** Keep this many principal components (fitted on the training stimuli only). */
        pca: z.number().int().min(1).max(4096).optional(),
        /** z-score every dimension on the training stimuli (needed for pca). */
        normalise: z.boolean().default(true)
      })
      .strict()
  }),
  z.object({
    kind: z.literal('library.add'),
    params: z
      .object({
        folder: z.string().min(1).max(4096),
        /** Default: the library already scanned from this folder, else the folder's name. */
        name: Name.optional(),
        extractor: ExtractorSpec.default('builtin'),
        /** Embed the first this many seconds of every file. */
        seconds: z.number().positive().max(600).default(15),
        /** Embed windows of this length (every `window` s) within those seconds and average them. */
        window: z.number().positive().max(60).optional()
      })
      .strict()
  })
] as const

const Id = z.object({ id: z.number().int().positive() }).strict()
const Empty = z.object({}).strict().default({})

export const musicMethods = {
  'stimuli.list': { params: Empty, result: z.array(StimulusInfo) },
  'stimuli.audio': {
    params: Id,
    result: z.object({
      id: z.number().int(),
      key: z.string(),
      mime: z.literal('audio/wav'),
      sampleRate: z.number().int(),
      channels: z.number().int(),
      duration: z.number(),
      /** The excerpt as a 16-bit PCM WAV file, base64. */
      base64: z.string()
    })
  },
  'features.list': { params: Empty, result: z.array(FeatureSetInfo) },
  'features.get': { params: Id, result: FeatureSetDetail },
  'library.list': { params: Empty, result: z.array(LibraryInfo) },
  'library.items': {
    params: z
      .object({
        id: z.number().int().positive(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
        /** Only the unreadable files. */
        unreadable: z.boolean().default(false)
      })
      .strict(),
    result: z.object({ total: z.number().int(), offset: z.number().int(), items: z.array(LibraryItem) })
  }
} as const
