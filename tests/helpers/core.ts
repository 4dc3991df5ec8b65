/**
 * What the core test files do with a Core: call API methods through the real dispatcher (the contract's
 * validation included), run jobs to their end, list what a folder holds, run the CLI.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'vitest'
import type { Core } from '../../src-main/api/core'
import { dispatch } from '../../src-main/api/dispatch'
import { B2mError } from '../../src-main/common/errors'
import type { Job } from '../../src-preload/api'

export interface CoreCalls {
  /** A method of the API, dispatched as a face would. */
  call<T>(method: string, params?: unknown): Promise<T>
  /** jobs.start, then waits for the job's end (whatever its state). */
  runJob(kind: string, params: Record<string, unknown>): Promise<Job>
  /** runJob that throws, naming the job's state and error, unless it succeeded; resolves with its result. */
  succeed<T>(kind: string, params: Record<string, unknown>): Promise<T>
  /** A call that must fail with a B2mError; resolves with it. */
  rejects(method: string, params?: unknown): Promise<B2mError>
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
  const rejects = async (method: string, params: unknown = {}): Promise<B2mError> => {
    try {
      await call(method, params)
    } catch (err) {
      expect(err).toBeInstanceOf(B2mError)
      return err as B2mError
    }
    throw new Error(`${method} did not fail`)
  }
  return { call, runJob, succeed, rejects }
}

/** Every file below a folder, sorted; none when the folder does not exist. */
export function filesUnder(d: string): string[] {
  if (!existsSync(d)) return []
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

const REPO = join(__dirname, '..', '..')
const execFileAsync = promisify(execFile)

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `b2m <args>` (bin/b2m.cjs) as a child process on a workspace (B2M_WORKSPACE), without blocking the
 * test process; resolves with its exit code and output, also when it fails.
 */
export async function runCli(workspace: string, args: string[]): Promise<CliRun> {
  try {
    const r = await execFileAsync(process.execPath, [join(REPO, 'bin', 'b2m.cjs'), ...args], {
      cwd: REPO,
      env: { ...process.env, B2M_WORKSPACE: workspace },
      maxBuffer: 64 << 20
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}
