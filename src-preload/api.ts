/**
 * The API contract: every request, response and event the renderer can use, written once as zod
 * schemas with TypeScript types inferred from them. Main validates every input against these schemas
 * (src-main/api/dispatch.ts); preload and the browser transport carry them; the renderer consumes them.
 *
 * Each area of the pipeline writes its part in `contract/<area>.ts` (methods, job kinds, events); this
 * file joins them. Nothing here may import Node or DOM code: it is compiled into all three bundles.
 */
import { z } from 'zod'
import { coreEvents, coreJobs, coreMethods } from './contract/core'
import { cortexMethods } from './contract/cortex'
import { decodeJobs, decodeMethods } from './contract/decode'
import { evaluationJobs } from './contract/evaluation'
import { pipelineJobs } from './contract/pipeline'
import { importJobs, importMethods } from './contract/import'
import { listeningMethods } from './contract/listening'
import { musicJobs, musicMethods } from './contract/music'
import { trainJobs, trainMethods } from './contract/train'

export * from './contract/common'
export * from './contract/core'
export * from './contract/cortex'
export * from './contract/decode'
export * from './contract/evaluation'
export * from './contract/pipeline'
export * from './contract/import'
export * from './contract/listening'
export * from './contract/music'
export * from './contract/train'

/** Every kind of long work the core can run, with its parameters. */
export const JobRequest = z.discriminatedUnion('kind', [
  ...coreJobs,
  ...importJobs,
  ...musicJobs,
  ...trainJobs,
  ...pipelineJobs,
  ...decodeJobs,
  ...evaluationJobs
])
export type JobRequest = z.input<typeof JobRequest>
export type JobKind = JobRequest['kind']
export const JOB_KINDS = JobRequest.options.map((o) => o.shape.kind.value)

// ---------------------------------------------------------------------------------------------
// Methods: name -> { params, result }

export const methods = {
  ...coreMethods(JobRequest),
  ...cortexMethods,
  ...importMethods,
  ...listeningMethods,
  ...musicMethods,
  ...decodeMethods,
  ...trainMethods
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
  ...coreEvents
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
