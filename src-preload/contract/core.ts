/**
 * Contract of the foundation: app information, catalogue counts, subjects, jobs.
 * Imports only zod (this folder is compiled into main, preload and renderer alike).
 */
import { z } from 'zod'

// ---------------------------------------------------------------------------------------------
// Shared records

export const ExecutionProvider = z.enum(['cuda', 'cpu'])
export type ExecutionProvider = z.infer<typeof ExecutionProvider>

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  onnxruntime: z.string(),
  sqlite: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number().int(),
  workspace: z.string(),
  catalogue: z.object({ path: z.string(), schemaVersion: z.number().int() }),
  /** Providers this build of ONNX Runtime can create sessions with, in order of preference. */
  executionProviders: z.array(ExecutionProvider),
  /** Why a preferred provider is missing, e.g. "CUDA: libcudart.so.12 not found". */
  providerNotes: z.array(z.string()),
  face: z.enum(['electron', 'browser', 'cli']),
  /** Whether `app.pickFolder` shows a native dialog here (else the UI asks for a typed path). */
  canPickFolders: z.boolean()
})
export type AppInfo = z.infer<typeof AppInfo>

export const CatalogueCounts = z.object({
  subjects: z.number().int(),
  sessions: z.number().int(),
  runs: z.number().int(),
  stimuli: z.number().int(),
  featureSets: z.number().int(),
  models: z.number().int(),
  evaluations: z.number().int(),
  clips: z.number().int(),
  arrays: z.number().int(),
  jobs: z.number().int()
})
export type CatalogueCounts = z.infer<typeof CatalogueCounts>

export const Subject = z.object({
  id: z.number().int(),
  label: z.string(),
  createdAt: z.string(),
  sessions: z.number().int(),
  runs: z.number().int()
})
export type Subject = z.infer<typeof Subject>

// ---------------------------------------------------------------------------------------------
// Jobs

export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'])
export type JobState = z.infer<typeof JobState>

/** The foundation's kinds of long work; api.ts joins every area's kinds into JobRequest. */
export const coreJobs = [
  z.object({
    kind: z.literal('compute.benchmark'),
    params: z.object({
      /** Square matrix size for the MatMul throughput test. */
      size: z.number().int().min(16).max(8192).default(1024),
      repeats: z.number().int().min(1).max(10000).default(20),
      provider: ExecutionProvider.optional()
    })
  }),
  z.object({
    kind: z.literal('workspace.verify'),
    params: z.object({}).default({})
  })
] as const

export const Job = z.object({
  id: z.number().int(),
  kind: z.string(),
  params: z.record(z.string(), z.unknown()),
  state: JobState,
  progress: z.number().min(0).max(1),
  message: z.string(),
  error: z.string().nullable(),
  result: z.unknown().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable()
})
export type Job = z.infer<typeof Job>

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error'])
export const JobLogLine = z.object({
  jobId: z.number().int(),
  seq: z.number().int(),
  time: z.string(),
  level: LogLevel,
  text: z.string()
})
export type JobLogLine = z.infer<typeof JobLogLine>

// ---------------------------------------------------------------------------------------------
// Methods

const Empty = z.object({}).strict().default({})
const JobId = z.object({ id: z.number().int().positive() }).strict()

/** Job methods validate `jobs.start` against the joined JobRequest, so they are built by api.ts. */
export function coreMethods<R extends z.ZodType>(jobRequest: R) {
  return {
    'app.info': { params: Empty, result: AppInfo },
    'app.pickFolder': {
      params: z
        .object({ title: z.string().max(200).optional() })
        .strict()
        .default({}),
      result: z.object({ path: z.string().nullable() })
    },
    'catalogue.counts': { params: Empty, result: CatalogueCounts },
    'subjects.list': { params: Empty, result: z.array(Subject) },
    'jobs.list': {
      params: z
        .object({ limit: z.number().int().min(1).max(1000).default(100) })
        .strict()
        .default({ limit: 100 }),
      result: z.array(Job)
    },
    'jobs.get': { params: JobId, result: Job },
    'jobs.start': { params: jobRequest, result: Job },
    'jobs.cancel': { params: JobId, result: Job },
    'jobs.log': {
      params: z.object({ id: z.number().int().positive(), afterSeq: z.number().int().min(0).default(0) }).strict(),
      result: z.array(JobLogLine)
    }
  } as const
}

export const coreEvents = {
  'job.update': Job,
  'job.log': JobLogLine
} as const
