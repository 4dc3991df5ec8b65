/** Messages between the job runner (main thread) and a job's worker thread. */

export interface WorkerInput {
  jobId: number
  kind: string
  params: Record<string, unknown>
  workspaceRoot: string
  /** Int32Array view over this buffer; index 0 becomes 1 when the job is cancelled. */
  cancelFlag: SharedArrayBuffer
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export type WorkerMessage =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'log'; level: LogLevel; text: string }
  | { type: 'done'; result: unknown }
  | { type: 'cancelled' }
  | { type: 'error'; message: string; stack?: string }
