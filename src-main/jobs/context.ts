import type { LogLevel } from './protocol'

/** Thrown inside a job when its cancel flag is seen; the worker reports it as a cancellation. */
export class JobCancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'JobCancelled'
  }
}

/** What a job's code sees: where it works, how it reports, and whether it should stop. */
export interface JobContext {
  readonly jobId: number
  readonly workspaceRoot: string
  /** fraction in [0, 1]; message says what is happening now. */
  progress(fraction: number, message?: string): void
  log(level: LogLevel, text: string): void
  readonly cancelled: boolean
  throwIfCancelled(): void
}

export type JobImpl<P, R> = (params: P, ctx: JobContext) => Promise<R> | R
