/**
 * Contract of training: per-subject decoders (fMRI -> embedding) and encoding models (embedding ->
 * every voxel), both ridge regressions with one alpha per target chosen by K-fold CV, their
 * evaluations on the test clips, and the models catalogue. Imports only zod.
 */
import { z } from 'zod'
import { GenreGeneralisation, PermutationEvaluation } from './evaluation'

const Name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^/\\\0]+$/, 'a name without slashes')

/** A feature set by name or id. */
const FeatureSetRef = z.union([z.string().min(1).max(100), z.number().int().positive()])

const Alphas = z.array(z.number().positive().finite()).min(1).max(200)

/** Which voxels a decoder reads. */
export const VoxelSelection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z
    .object({
      kind: z.literal('roi'),
      /** Label-volume NIfTI path in the run's space (e.g. a Destrieux atlas resampled to the EPI grid). */
      labels: z.string().min(1).max(4096),
      /** Keep the top this many ROIs by CV score (paper: 6 of 150). */
      top: z.number().int().min(1).max(1000).default(6)
    })
    .strict(),
  z
    .object({
      kind: z.literal('encoding'),
      /** Keep voxels whose encoding-model CV r on the training data exceeds this. */
      threshold: z.number().min(-1).max(1),
      /** The encoding model to take r from; default: the subject's latest for the same feature set. */
      encodingModel: z.number().int().positive().optional()
    })
    .strict()
])
export type VoxelSelection = z.infer<typeof VoxelSelection>

export const trainJobs = [
  z.object({
    kind: z.literal('train.decoder'),
    params: z
      .object({
        /** Subject label, e.g. "sub-001". */
        subject: z.string().min(1).max(100),
        featureSet: FeatureSetRef,
        /** Preprocessing id; default the subject's latest. */
        preprocessing: z.number().int().positive().optional(),
        selection: VoxelSelection.optional(),
        /** Default logspace(-2, 10, 25). */
        alphas: Alphas.optional(),
        folds: z.number().int().min(2).max(100).optional(),
        name: Name.optional(),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .optional()
      })
      .strict()
  }),
  z.object({
    kind: z.literal('train.encoding'),
    params: z
      .object({
        subject: z.string().min(1).max(100),
        featureSet: FeatureSetRef,
        preprocessing: z.number().int().positive().optional(),
        /** FIR delays in TRs, e.g. [1,2,3,4]; default none (clip-averaged responses). */
        delays: z.array(z.number().int().min(0).max(20)).min(1).max(10).optional(),
        alphas: Alphas.optional(),
        folds: z.number().int().min(2).max(100).optional(),
        name: Name.optional(),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .optional()
      })
      .strict()
  })
] as const

export type TrainDecoderParams = z.input<(typeof trainJobs)[0]['shape']['params']>
export type TrainEncodingParams = z.input<(typeof trainJobs)[1]['shape']['params']>

export const TrainDecoderResult = z.object({
  modelId: z.number().int(),
  identification: z.number().nullable(),
  meanTestR: z.number().nullable()
})
export type TrainDecoderResult = z.infer<typeof TrainDecoderResult>

export const TrainEncodingResult = z.object({
  modelId: z.number().int(),
  meanTestR: z.number().nullable(),
  mapId: z.number().int().nullable()
})
export type TrainEncodingResult = z.infer<typeof TrainEncodingResult>

export const ModelKind = z.enum(['decoder', 'encoder'])
export type ModelKind = z.infer<typeof ModelKind>

export const ModelInfo = z.object({
  id: z.number().int(),
  subject: z.string(),
  kind: ModelKind,
  name: z.string(),
  featureSet: z.string(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  trainRows: z.number().int(),
  testRows: z.number().int(),
  /** Embedding dimensions (decoders) or voxels (encoders). */
  targets: z.number().int(),
  meanTestR: z.number().nullable(),
  identification: z.number().nullable()
})
export type ModelInfo = z.infer<typeof ModelInfo>

export const ModelEvaluation = z.object({
  /** Mean over test clips of id_i (paper Eq. 2). */
  identification: z.number(),
  perSample: z.array(z.number()),
  chance: z.literal(0.5),
  oracle: z.number().nullable(),
  perGenre: z.array(z.object({ genre: z.string(), accuracy: z.number(), n: z.number().int() })),
  stimulusIds: z.array(z.number().int()),
  stimulusKeys: z.array(z.string()),
  genres: z.array(z.string()),
  /** Row-major n x n Pearson C_ij of predicted i vs true j. */
  matrix: z.array(z.number()),
  n: z.number().int()
})
export type ModelEvaluation = z.infer<typeof ModelEvaluation>

export const ModelDetail = ModelInfo.extend({
  provenance: z.record(z.string(), z.unknown()),
  alphas: z.array(z.number()),
  /** Mean CV score over targets per alpha (paper Fig. A.1). */
  cvCurve: z.array(z.number()),
  /** How many targets chose each alpha. */
  alphaCounts: z.array(z.number().int()),
  edgeWarning: z.string().nullable(),
  /** Decoders: held-out Pearson r per embedding dimension. */
  testRPerDim: z.array(z.number()).nullable(),
  /** Encoders: histogram of held-out r over voxels. */
  voxelRHistogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }).nullable(),
  /** Encoders: the held-out r map registered in maps. */
  mapId: z.number().int().nullable(),
  evaluation: ModelEvaluation.nullable(),
  /** Decoders: the latest genre generalisation (eval.genres), when one was run. */
  genreGeneralisation: GenreGeneralisation.optional(),
  /** Encoders: the latest clip-permutation test (eval.permutation), when one was run. */
  permutationTest: PermutationEvaluation.optional()
})
export type ModelDetail = z.infer<typeof ModelDetail>

const Id = z.object({ id: z.number().int().positive() }).strict()

export const trainMethods = {
  'models.list': {
    params: z
      .object({ subject: z.string().min(1).max(100).optional() })
      .strict()
      .default({}),
    result: z.array(ModelInfo)
  },
  'models.get': { params: Id, result: ModelDetail },
  'models.delete': { params: Id, result: z.object({ deleted: z.literal(true) }) }
} as const
