/**
 * Contract of the blinded listening test: for a stimulus, two candidate reconstructions (clips) in
 * random order, one made for that stimulus and one for another; the listener picks the one that
 * matches the original. A saved test reports its accuracy and a one-sided binomial p against chance
 * (0.5). Imports only zod.
 */
import { z } from 'zod'

const Side = z.enum(['A', 'B'])
export type ListeningSide = z.infer<typeof Side>

export const ListeningTrial = z
  .object({
    /** The original the listener heard first. */
    stimulusId: z.number().int().positive(),
    /** The clip played as A and the clip played as B. */
    clipA: z.number().int().positive(),
    clipB: z.number().int().positive(),
    /** Which side holds the reconstruction of this stimulus. */
    correct: Side,
    /** Which side the listener chose. */
    answer: Side
  })
  .strict()
export type ListeningTrial = z.infer<typeof ListeningTrial>

export const ListeningResult = z.object({
  id: z.number().int(),
  /** The decoder whose clips were judged, when the test was about one model. */
  modelId: z.number().int().nullable(),
  n: z.number().int(),
  correct: z.number().int(),
  accuracy: z.number(),
  /** One-sided binomial p: P(X >= correct) for X ~ Binomial(n, 0.5). */
  p: z.number(),
  createdAt: z.string()
})
export type ListeningResult = z.infer<typeof ListeningResult>

export const listeningMethods = {
  'listening.save': {
    params: z
      .object({
        modelId: z.number().int().positive().nullable().default(null),
        trials: z.array(ListeningTrial).min(1).max(10_000)
      })
      .strict(),
    result: ListeningResult
  },
  'listening.list': { params: z.object({}).strict().default({}), result: z.array(ListeningResult) }
} as const
