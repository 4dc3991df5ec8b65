/**
 * Contract of the pipeline's joined steps: decoding a model's test clips by retrieval from a library,
 * the HTML report of a subject, and the embedded demo study — one job runs the whole pipeline on it
 * (generate if absent -> import -> preprocess -> attach stimuli -> embed -> library -> train a decoder
 * and an encoding model -> evaluate -> retrieve -> generate -> report) and checks itself against the
 * known ground truth. Imports only zod.
 */
import { z } from 'zod'

export const DemoCheck = z.object({
  name: z.string(),
  passed: z.boolean(),
  value: z.number(),
  /** The value must reach this (>=). */
  threshold: z.number(),
  detail: z.string()
})
export type DemoCheck = z.infer<typeof DemoCheck>

export const DemoRunResult = z.object({
  /** The demo study's folder (bids/, stimuli/, library/, ground-truth/). */
  folder: z.string(),
  quick: z.boolean(),
  seed: z.number().int(),
  subject: z.string(),
  featureSet: z.string(),
  library: z.string(),
  decoderId: z.number().int(),
  encoderId: z.number().int(),
  mapId: z.number().int().nullable(),
  identification: z.number(),
  chance: z.number(),
  oracle: z.number().nullable(),
  /** Mean over test clips of the fraction of the top-k retrieved library clips of the stimulus's genre. */
  genreAgreement: z.number(),
  /** Chance level of that agreement (share of each genre in the library, weighted by the test clips). */
  genreAgreementChance: z.number(),
  topK: z.number().int(),
  meanTestR: z.number().nullable(),
  clips: z.object({ retrieved: z.number().int(), generated: z.number().int() }),
  report: z.string(),
  /** A PNG of the encoding map on the cortex, when Chromium could render it. */
  cortexShot: z.string().nullable(),
  checks: z.array(DemoCheck),
  /** Seconds per stage. */
  seconds: z.record(z.string(), z.number())
})
export type DemoRunResult = z.infer<typeof DemoRunResult>

export const RetrievedItem = z.object({
  rank: z.number().int(),
  score: z.number(),
  itemId: z.number().int(),
  path: z.string(),
  genre: z.string().nullable(),
  title: z.string().nullable(),
  clipId: z.number().int()
})

export const DecodeRetrieveResult = z.object({
  model: z.number().int(),
  library: z.string(),
  top: z.number().int(),
  clips: z.number().int(),
  /** Mean over test clips of the share of the top k of the stimulus's genre, and its chance level. */
  genreAgreement: z.number(),
  genreAgreementChance: z.number(),
  /** Share of test clips with at least one top-k item of their genre. */
  hitRate: z.number(),
  results: z.array(
    z.object({
      stimulusId: z.number().int(),
      key: z.string(),
      genre: z.string().nullable(),
      items: z.array(RetrievedItem)
    })
  )
})
export type DecodeRetrieveResult = z.infer<typeof DecodeRetrieveResult>

export const ReportResult = z.object({
  path: z.string(),
  oracle: z.number().nullable(),
  cortexShot: z.string().nullable(),
  decoderId: z.number().int().nullable(),
  encoderId: z.number().int().nullable()
})
export type ReportResult = z.infer<typeof ReportResult>

export const pipelineJobs = [
  z.object({
    kind: z.literal('decode.retrieve'),
    params: z
      .object({
        /** A decoder's id. */
        model: z.number().int().positive(),
        /** A music library by name or id. */
        library: z.union([z.string().min(1).max(100), z.number().int().positive()]),
        top: z.number().int().min(1).max(100).default(5),
        /** When given, the model must be this subject's. */
        subject: z.string().min(1).max(100).optional()
      })
      .strict()
  }),
  z.object({
    kind: z.literal('report.write'),
    params: z
      .object({
        subject: z.string().min(1).max(100),
        /** An .html path. */
        out: z.string().min(1).max(4096),
        screenshot: z.boolean().default(true)
      })
      .strict()
  }),
  z.object({
    kind: z.literal('demo.run'),
    params: z
      .object({
        /** Where the demo study lives (default: demo/ in the workspace). */
        folder: z.string().min(1).max(4096).optional(),
        /** Fewer runs and clips, for a first look in about a minute. */
        quick: z.boolean().default(false),
        seed: z.number().int().min(0).max(0x7fffffff).optional(),
        /** The report's path (default: report.html in the demo folder). */
        report: z.string().min(1).max(4096).optional(),
        /** Methods of the generated clips (default spectral and mosaic). */
        generate: z.array(z.string().min(1).max(100)).max(4).optional(),
        /** Render the cortex screenshot with Chromium when it is installed (default true). */
        screenshot: z.boolean().default(true)
      })
      .strict()
  })
] as const
