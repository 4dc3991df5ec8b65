import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import type { Job, JobLogLine } from '../../src-preload/api'
import type { Catalogue } from '../catalogue'
import { B2mError } from '../common/errors'
import { Emitter } from '../common/emitter'
import { acquireLock } from './lock'
import { jobWorkerScript } from './worker-script'
import type { LogLevel, WorkerInput, WorkerMessage } from './protocol'

export interface JobEvents {
  'job.update': Job
  'job.log': JobLogLine
}

export interface JobRunnerOptions {
  catalogue: Catalogue
  workspaceRoot: string
  /** Jobs running at once; the rest wait as 'queued'. */
  maxConcurrent?: number
  /** How long a cancelled job may take to stop by itself before its thread is terminated. */
  cancelGraceMs?: number
  /** Minimum interval between persisted progress updates. */
  progressIntervalMs?: number
  /** The worker's entry file; tests give a misbehaving one to see crashes handled. */
  workerScript?: string
}

interface Running {
  worker: Worker
  flag: Int32Array
  lastProgressWrite: number
  pending: { fraction: number; message: string } | null
  settled: boolean
  killTimer?: NodeJS.Timeout
}

/**
 * Runs long work in worker threads. The main thread alone writes job rows, so progress, logs and the
 * final state are persisted in one place and pushed to every face through the emitter.
 */
export class JobRunner {
  readonly events = new Emitter<JobEvents>()
  private readonly cat: Catalogue
  private readonly root: string
  private readonly maxConcurrent: number
  private readonly graceMs: number
  private readonly progressMs: number
  private readonly script: string
  private readonly running = new Map<number, Running>()
  private readonly queue: { id: number; kind: string; params: Record<string, unknown> }[] = []
  private readonly waiters = new Map<number, ((job: Job) => void)[]>()
  private readonly lock: ReturnType<typeof acquireLock>
  /** Jobs found 'running' or 'queued' from a process that died, now marked 'interrupted'. */
  readonly interruptedAtStart: number
  private closed = false

  constructor(opts: JobRunnerOptions) {
    this.cat = opts.catalogue
    this.root = opts.workspaceRoot
    this.maxConcurrent = opts.maxConcurrent ?? Math.max(1, Math.floor(availableParallelism() / 2))
    this.graceMs = opts.cancelGraceMs ?? 10_000
    this.progressMs = opts.progressIntervalMs ?? 200
    this.script = opts.workerScript ?? jobWorkerScript()
    this.lock = acquireLock(join(this.root, 'jobs.lock'))
    this.interruptedAtStart = this.cat.jobs.markInterrupted()
  }

  start(kind: string, params: Record<string, unknown>): Job {
    if (this.closed) throw new B2mError('conflict', 'the job runner is shutting down')
    const job = this.cat.jobs.create(kind, params)
    this.queue.push({ id: job.id, kind, params })
    this.events.emit('job.update', job)
    this.pump()
    return this.cat.jobs.get(job.id) ?? job
  }

  cancel(id: number): Job {
    const job = this.cat.jobs.get(id)
    if (!job) throw new B2mError('not_found', `no job ${id}`)
    const queued = this.queue.findIndex((q) => q.id === id)
    if (queued >= 0) {
      this.queue.splice(queued, 1)
      return this.finish(id, { state: 'cancelled', message: 'cancelled before it started' })
    }
    const run = this.running.get(id)
    // a job that already settled keeps its outcome: a late cancel must not overwrite it
    if (!run || run.settled) return this.cat.jobs.get(id) ?? job
    Atomics.store(run.flag, 0, 1)
    this.appendLog(id, 'info', 'cancel requested')
    run.killTimer = setTimeout(() => {
      if (run.settled) return
      this.appendLog(id, 'warn', `did not stop within ${this.graceMs} ms; thread terminated`)
      this.settle(id, { state: 'cancelled', message: 'cancelled' })
      void run.worker.terminate()
    }, this.graceMs)
    return this.update(id, { message: 'cancelling…' })
  }

  /** Resolves with the job once it reaches a final state. */
  waitFor(id: number): Promise<Job> {
    const job = this.cat.jobs.get(id)
    if (!job) return Promise.reject(new B2mError('not_found', `no job ${id}`))
    if (!['queued', 'running'].includes(job.state)) return Promise.resolve(job)
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? []
      list.push(resolve)
      this.waiters.set(id, list)
    })
  }

  /** Cancels what runs, waits for it briefly, and gives the workspace lock back. */
  async close(): Promise<void> {
    this.closed = true
    for (const q of this.queue.splice(0)) this.finish(q.id, { state: 'cancelled', message: 'app closed' })
    const ids = [...this.running.keys()]
    for (const id of ids) this.cancel(id)
    await Promise.all(ids.map((id) => this.waitFor(id)))
    this.lock.release()
  }

  private pump(): void {
    while (this.running.size < this.maxConcurrent && this.queue.length > 0) {
      const next = this.queue.shift()!
      this.launch(next.id, next.kind, next.params)
    }
  }

  private launch(id: number, kind: string, params: Record<string, unknown>): void {
    const cancelFlag = new SharedArrayBuffer(4)
    const input: WorkerInput = { jobId: id, kind, params, workspaceRoot: this.root, cancelFlag }
    const worker = new Worker(this.script, { workerData: input })
    const run: Running = {
      worker,
      flag: new Int32Array(cancelFlag),
      lastProgressWrite: 0,
      pending: null,
      settled: false
    }
    this.running.set(id, run)
    this.update(id, { state: 'running', startedAt: new Date().toISOString(), message: 'started' })
    worker.on('message', (msg: WorkerMessage) => this.onMessage(id, run, msg))
    worker.on('error', (err) => this.settle(id, { state: 'failed', error: err.message, message: 'failed' }))
    worker.on('exit', (code) => {
      if (!run.settled)
        this.settle(id, { state: 'failed', error: `worker exited unexpectedly (code ${code})`, message: 'failed' })
      if (run.killTimer) clearTimeout(run.killTimer)
      this.running.delete(id)
      this.pump()
    })
  }

  private onMessage(id: number, run: Running, msg: WorkerMessage): void {
    if (run.settled) return
    switch (msg.type) {
      case 'progress': {
        run.pending = { fraction: msg.fraction, message: msg.message }
        const now = Date.now()
        if (now - run.lastProgressWrite >= this.progressMs) {
          run.lastProgressWrite = now
          this.update(id, { progress: msg.fraction, message: msg.message })
          run.pending = null
        }
        break
      }
      case 'log':
        this.appendLog(id, msg.level, msg.text)
        break
      case 'done':
        this.settle(id, { state: 'succeeded', progress: 1, result: msg.result, message: 'done' })
        break
      case 'cancelled':
        this.settle(id, { state: 'cancelled', message: 'cancelled' })
        break
      case 'error':
        if (msg.stack) this.appendLog(id, 'debug', msg.stack)
        this.settle(id, { state: 'failed', error: msg.message, message: 'failed' })
        break
    }
  }

  private settle(id: number, patch: Parameters<Catalogue['jobs']['update']>[1]): void {
    const run = this.running.get(id)
    if (run) {
      if (run.settled) return
      run.settled = true
      if (run.pending && patch.progress === undefined) patch = { progress: run.pending.fraction, ...patch }
      // The worker has reported its end; let its thread go without waiting for handles to close.
      void run.worker.terminate()
    }
    if (patch.state === 'failed' && patch.error) this.appendLog(id, 'error', patch.error)
    this.finish(id, patch)
  }

  private finish(id: number, patch: Parameters<Catalogue['jobs']['update']>[1]): Job {
    const job = this.update(id, { ...patch, finishedAt: new Date().toISOString() })
    for (const resolve of this.waiters.get(id) ?? []) resolve(job)
    this.waiters.delete(id)
    return job
  }

  private update(id: number, patch: Parameters<Catalogue['jobs']['update']>[1]): Job {
    const job = this.cat.jobs.update(id, patch)
    this.events.emit('job.update', job)
    return job
  }

  private appendLog(id: number, level: LogLevel, text: string): void {
    this.events.emit('job.log', this.cat.jobs.appendLog(id, level, text))
  }
}
