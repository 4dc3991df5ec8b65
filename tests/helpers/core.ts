/**
 * What the core test files do with a Core: call API methods through the real dispatcher (the contract's
 * validation included), run jobs to their end, list what a folder holds.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Core } from '../../src-main/api/core'
import { dispatch } from '../../src-main/api/dispatch'
import type { Job } from '../../src-preload/api'

export interface CoreCalls {
  /** A method of the API, dispatched as a face would. */
  call<T>(method: string, params?: unknown): Promise<T>
  /** jobs.start, then waits for the job's end (whatever its state). */
  runJob(kind: string, params: Record<string, unknown>): Promise<Job>
  /** runJob that throws, naming the job's state and error, unless it succeeded; resolves with its result. */
  succeed<T>(kind: string, params: Record<string, unknown>): Promise<T>
}

/** The calls on a Core that a beforeAll opens later (hence the getter). */
export function coreCalls(core: () => Core): CoreCalls {
  const call = async <T>(method: string, params: unknown = {}): Promise<T> =>
    (await dispatch(core(), method, params)) as T
  const runJob = async (kind: string, params: Record<string, unknown>): Promise<Job> => {
    const job = await call<Job>('jobs.start', { kind, params })
    return core().jobs.waitFor(job.id)
  }
  const succeed = async <T>(kind: string, params: Record<string, unknown>): Promise<T> => {
    const job = await runJob(kind, params)
    if (job.state !== 'succeeded') throw new Error(`${kind} ${job.state}: ${job.error}`)
    return job.result as T
  }
  return { call, runJob, succeed }
}

/** Every file below a folder, sorted; none when the folder does not exist. */
export function filesUnder(d: string): string[] {
  if (!existsSync(d)) return []
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
}
