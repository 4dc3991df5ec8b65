/**
 * The API contract: every request, response and event the renderer can use, written once as zod
 * schemas with TypeScript types inferred from them. Main validates every input against these schemas
 * (src-main/api/dispatch.ts); preload and the browser transport carry them; the renderer consumes them.
 * This file must stay free of Node and DOM imports: it is compiled into all three.
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
  face: z.enum(['electron', 'browser', 'cli'])
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

/** Every kind of long work the core can run, with its parameters. New kinds are added here. */
export const JobRequest = z.discriminatedUnion('kind', [
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
])
export type JobRequest = z.input<typeof JobRequest>
export type JobKind = JobRequest['kind']
export const JOB_KINDS = JobRequest.options.map((o) => o.shape.kind.value)

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
// Methods: name -> { params, result }

const Empty = z.object({}).strict().default({})
const JobId = z.object({ id: z.number().int().positive() }).strict()

export const methods = {
  'app.info': { params: Empty, result: AppInfo },
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
  'jobs.start': { params: JobRequest, result: Job },
  'jobs.cancel': { params: JobId, result: Job },
  'jobs.log': {
    params: z.object({ id: z.number().int().positive(), afterSeq: z.number().int().min(0).default(0) }).strict(),
    result: z.array(JobLogLine)
  }
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>

export type Methods = typeof methods
export type MethodName = keyof Methods
export type Params<M extends MethodName> = z.input<Methods[M]['params']>
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>
export type Result<M extends MethodName> = z.output<Methods[M]['result']>
export const METHOD_NAMES = Object.keys(methods) as MethodName[]

// ---------------------------------------------------------------------------------------------
// Events pushed from main to every face

export const events = {
  'job.update': Job,
  'job.log': JobLogLine
} as const satisfies Record<string, z.ZodType>

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>
export const EVENT_NAMES = Object.keys(events) as EventName[]

// ---------------------------------------------------------------------------------------------
// Errors crossing the boundary

export const ApiErrorCode = z.enum(['bad_request', 'not_found', 'conflict', 'failed', 'unauthorized', 'internal'])
export type ApiErrorCode = z.infer<typeof ApiErrorCode>
export const ApiErrorBody = z.object({
  code: ApiErrorCode,
  message: z.string(),
  /** The file the problem is about, when there is one. */
  file: z.string().optional()
})
export type ApiErrorBody = z.infer<typeof ApiErrorBody>

/** What every face's transport must provide; the renderer sees only this. */
export interface Transport {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void
  /** Which face carries the calls: shown in the status bar, never branched on for behaviour. */
  readonly face: 'electron' | 'browser'
}

/** Raw bridge the Electron preload exposes on `window.b2mBridge` (untyped across contextBridge). */
export interface ElectronBridge {
  call(method: string, params: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: ApiErrorBody }>
  on(event: string, handler: (payload: unknown) => void): () => void
}

export { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from './channels'
