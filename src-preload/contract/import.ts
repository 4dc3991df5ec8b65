/**
 * Contract of import and preprocessing: a BIDS preview, the import and preprocessing jobs, and the
 * runs a lab inspects afterwards (metadata, a slice of the mean image, a voxel's time series).
 * Imports only zod.
 */
import { z } from 'zod'
import { ArrayPayload } from './common'

const Vec3 = z.tuple([z.number().int(), z.number().int(), z.number().int()])

export const ImportRunPreview = z.object({
  subject: z.string(),
  session: z.string().nullable(),
  task: z.string(),
  run: z.number().int().nullable(),
  boldPath: z.string().nullable(),
  eventsPath: z.string().nullable(),
  tr: z.number().nullable(),
  shape: Vec3.nullable(),
  volumes: z.number().int().nullable(),
  datatype: z.string().nullable(),
  events: z.number().int(),
  importable: z.boolean(),
  /** Already in the catalogue with the same source file (re-importing skips it). */
  alreadyImported: z.boolean(),
  errors: z.array(z.string()),
  warnings: z.array(z.string())
})
export type ImportRunPreview = z.infer<typeof ImportRunPreview>

export const ImportPreview = z.object({
  root: z.string(),
  name: z.string().nullable(),
  subjects: z.array(z.object({ id: z.string(), sessions: z.array(z.string()), runs: z.array(ImportRunPreview) })),
  /** Derivative files found (e.g. fMRIPrep outputs); listed, not imported as raw runs. */
  derivatives: z.number().int(),
  errors: z.array(z.string()),
  warnings: z.array(z.string())
})
export type ImportPreview = z.infer<typeof ImportPreview>

export const RunInfo = z.object({
  id: z.number().int(),
  subject: z.string(),
  session: z.string().nullable(),
  task: z.string(),
  run: z.number().int(),
  shape: Vec3,
  volumes: z.number().int(),
  tr: z.number(),
  /** Voxels inside the subject's mask (columns of the run's masked data). */
  voxels: z.number().int().nullable(),
  events: z.number().int(),
  sourcePath: z.string(),
  sourceSha256: z.string(),
  eventsPath: z.string().nullable(),
  warnings: z.array(z.string()),
  createdAt: z.string()
})
export type RunInfo = z.infer<typeof RunInfo>

export const StimulusEvent = z.object({
  onset: z.number(),
  duration: z.number(),
  genre: z.string().nullable(),
  track: z.string().nullable(),
  start: z.number().nullable(),
  end: z.number().nullable()
})
export type StimulusEvent = z.infer<typeof StimulusEvent>

export const SliceAxis = z.enum(['axial', 'coronal', 'sagittal'])
export type SliceAxis = z.infer<typeof SliceAxis>

export const PreprocessingInfo = z.object({
  id: z.number().int(),
  subject: z.string(),
  params: z.record(z.string(), z.unknown()),
  train: z.object({ rows: z.number().int(), columns: z.number().int() }),
  test: z.object({ rows: z.number().int(), columns: z.number().int() }),
  warnings: z.array(z.string()),
  createdAt: z.string()
})
export type PreprocessingInfo = z.infer<typeof PreprocessingInfo>

/** `median:240` (seconds), `poly:2` (order) or `none`. */
export const DetrendSpec = z
  .string()
  .regex(/^(median:\d+(\.\d+)?|poly:\d|none)$/, 'detrend is median:<seconds>, poly:<order> or none')

export const importJobs = [
  z.object({
    kind: z.literal('import.bids'),
    params: z
      .object({
        path: z.string().min(1).max(4096),
        /** Subject labels to import (default: every importable subject). */
        subjects: z.array(z.string()).optional(),
        /** A mask NIfTI in the runs' voxel grid; default: computed from the first run's mean EPI. */
        mask: z.string().max(4096).optional()
      })
      .strict()
  }),
  z.object({
    kind: z.literal('preprocess'),
    params: z
      .object({
        subject: z.string().min(1),
        /** Hemodynamic shift in TRs (paper: 3 TR = 4.5 s). */
        shift: z.number().min(0).max(20).default(3),
        /** FIR delays in TRs for encoding models (overrides shift), e.g. [1,2,3,4]. */
        delays: z.array(z.number().int().min(0).max(20)).max(10).optional(),
        detrend: DetrendSpec.default('median:240'),
        /** Response rows per whole clip, or per feature window (length/step in seconds). */
        grid: z.enum(['clip', 'windows']).default('clip'),
        window: z.number().positive().max(60).default(10),
        step: z.number().positive().max(60).default(1.5)
      })
      .strict()
  }),
  z.object({
    kind: z.literal('import.responses'),
    params: z
      .object({
        subject: z.string().min(1).max(100),
        /** Preprocessed training responses .npy (e.g. Resp_Training.npy). */
        train: z.string().min(1).max(4096),
        /** Preprocessed test responses .npy, repeats averaged (e.g. Resp_Test_Mean.npy). */
        test: z.string().min(1).max(4096),
        /** The mask NIfTI whose nonzero voxels (x fastest) are the arrays' voxels, in order. */
        mask: z.string().min(1).max(4096),
        /** How the arrays are laid out: voxels x TRs (the circulating files) or TRs x voxels. */
        layout: z.enum(['voxels-by-time', 'time-by-voxels']).default('voxels-by-time'),
        tr: z.number().positive().max(10).default(1.5)
      })
      .strict()
  })
] as const

export const importMethods = {
  'import.preview': {
    params: z.object({ path: z.string().min(1).max(4096) }).strict(),
    result: ImportPreview
  },
  'runs.list': {
    params: z.object({ subject: z.string().optional() }).strict().default({}),
    result: z.array(RunInfo)
  },
  'runs.events': { params: z.object({ id: z.number().int().positive() }).strict(), result: z.array(StimulusEvent) },
  'runs.slice': {
    params: z
      .object({
        id: z.number().int().positive(),
        axis: SliceAxis.default('axial'),
        index: z.number().int().min(0).optional()
      })
      .strict(),
    result: z.object({
      axis: SliceAxis,
      index: z.number().int(),
      count: z.number().int(),
      /** float32 (rows x cols) of the run's mean image; rows run from the top of the displayed slice. */
      image: ArrayPayload,
      /** uint8 (rows x cols): 1 inside the subject's mask. */
      mask: ArrayPayload.nullable(),
      min: z.number(),
      max: z.number()
    })
  },
  'runs.timeseries': {
    params: z.object({ id: z.number().int().positive(), voxel: Vec3 }).strict(),
    result: z.object({
      voxel: Vec3,
      inMask: z.boolean(),
      tr: z.number(),
      /** Raw (scaled) float32 signal of the voxel over the run's volumes; empty outside the mask. */
      values: ArrayPayload
    })
  },
  'preprocessing.list': {
    params: z.object({ subject: z.string().optional() }).strict().default({}),
    result: z.array(PreprocessingInfo)
  }
} as const
