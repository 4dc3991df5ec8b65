/**
 * Contract of the evaluation analyses run on a stored model: the paper's genre generalisation of a
 * decoder (retrained without each genre, tested on that genre's clips) and a clip-permutation null for an
 * encoding model's per-voxel held-out r. Both are stored as evaluations of the model (metrics `kind`
 * 'genre-generalisation' / 'clip-permutation'). Imports only zod.
 */
import { z } from 'zod'

const ModelId = z.number().int().positive()

export const evaluationJobs = [
  z.object({
    kind: z.literal('eval.genres'),
    params: z.object({ model: ModelId }).strict()
  }),
  z.object({
    kind: z.literal('eval.permutation'),
    params: z
      .object({
        model: ModelId,
        /** Clip permutations (default 1000). */
        permutations: z.number().int().min(1).max(100_000).default(1000),
        /** Seed of the shuffles: the same seed gives the same p-values. */
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .default(0),
        /** Benjamini-Hochberg FDR level. */
        q: z.number().gt(0).lt(1).default(0.05)
      })
      .strict()
  })
] as const

export type EvalGenresParams = z.input<(typeof evaluationJobs)[0]['shape']['params']>
export type EvalPermutationParams = z.output<(typeof evaluationJobs)[1]['shape']['params']>

/** Scores of one set of test clips. */
const Scores = z.object({
  /** Mean id_i (paper Eq. 2) of these clips, each against ALL test clips' true embeddings. */
  identification: z.number().nullable(),
  /** Mean over embedding dimensions of Pearson r across these clips (null with fewer than 3 clips). */
  meanR: z.number().nullable()
})

export const GenreGeneralisation = z.object({
  evaluationId: z.number().int(),
  modelId: z.number().int(),
  /**
   * The comparison set of identification: every held-out clip's prediction against the true embeddings of
   * ALL test clips (of every genre), so the accuracies are on the same scale as the full decoder's.
   */
  comparison: z.literal('all-test-clips'),
  chance: z.literal(0.5),
  /** Test clips. */
  n: z.number().int(),
  genres: z.array(
    z.object({
      genre: z.string(),
      /** Held-out test clips of this genre. */
      n: z.number().int(),
      /** Training rows removed for this genre's decoder. */
      trainRowsRemoved: z.number().int(),
      /** The decoder trained without this genre. */
      heldOut: Scores,
      /**
       * The same predictions minus the fold decoder's training-mean embedding (see `centred` below).
       */
      centred: Scores,
      /** Identification among this genre's clips only (null with fewer than 2). */
      withinGenre: z.number().nullable(),
      /** The full decoder (trained on every genre) on the same clips. */
      full: Scores
    })
  ),
  /** Every test clip predicted by the decoder that never saw its genre; identification over all clips. */
  heldOut: Scores.extend({ meanOverGenres: z.number().nullable() }),
  /**
   * The held-out predictions with each fold decoder's training-mean embedding subtracted. Removing a genre
   * moves the training mean (the intercept a ridge decoder shrinks towards) away from that genre, which
   * pushes held-out predictions away from their own clips; this scores the voxel-driven part alone. (The
   * full decoder's training mean is the embedding's own centre, so its scores need no such step.)
   */
  centred: Scores.extend({ meanOverGenres: z.number().nullable() }),
  full: Scores.extend({ meanOverGenres: z.number().nullable() }),
  seconds: z.number()
})
export type GenreGeneralisation = z.infer<typeof GenreGeneralisation>

export const PermutationEvaluation = z.object({
  evaluationId: z.number().int(),
  modelId: z.number().int(),
  /** The map "<encoding map> (permutation p)": the held-out r with the permutation p-values' FDR mask. */
  mapId: z.number().int(),
  permutations: z.number().int(),
  seed: z.number().int(),
  q: z.number(),
  /** Test clips, and those that share their row count with another (only they are permuted). */
  clips: z.number().int(),
  exchangeableClips: z.number().int(),
  /** Voxels with a defined p-value. */
  tests: z.number().int(),
  /** The smallest p the test can give: 1 / (permutations + 1). */
  minP: z.number(),
  /** Voxels at that smallest p: BH at q can only pass them when minP <= q * atMinP / tests. */
  atMinP: z.number().int(),
  /** Voxels significant at BH-FDR q: by the permutation p, by the analytic p, both, one only. */
  significant: z.object({
    permutation: z.number().int(),
    analytic: z.number().int(),
    both: z.number().int(),
    permutationOnly: z.number().int(),
    analyticOnly: z.number().int()
  }),
  /** Seconds of the permutation test itself. */
  seconds: z.number()
})
export type PermutationEvaluation = z.infer<typeof PermutationEvaluation>
