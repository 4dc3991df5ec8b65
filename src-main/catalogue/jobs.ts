/** Persisted job state and logs. The job runner (src-main/jobs) is the only writer during a run. */
import type Database from 'better-sqlite3'
import type { Job, JobLogLine, JobState } from '../../src-preload/api'
import { JobState as JobStateSchema } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'

export type LogLevel = JobLogLine['level']
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

export const INTERRUPTED_MESSAGE = 'interrupted: the app stopped while this job ran'

export interface JobPatch {
  state: JobState
  progress: number
  message: string
  error: string | null
  result: unknown
  startedAt: string | null
  finishedAt: string | null
}

interface JobRow {
  id: number
  kind: string
  params: string
  state: JobState
  progress: number
  message: string
  error: string | null
  result: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
}

interface LogRow {
  job_id: number
  seq: number
  time: string
  level: LogLevel
  text: string
}

const COLUMNS: Record<keyof JobPatch, string> = {
  state: 'state',
  progress: 'progress',
  message: 'message',
  error: 'error',
  result: 'result',
  startedAt: 'started_at',
  finishedAt: 'finished_at'
}

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind,
    params: JSON.parse(r.params) as Record<string, unknown>,
    state: r.state,
    progress: r.progress,
    message: r.message,
    error: r.error,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at
  }
}

function toLine(r: LogRow): JobLogLine {
  return { jobId: r.job_id, seq: r.seq, time: r.time, level: r.level, text: r.text }
}

function toJson(value: unknown, what: string): string {
  try {
    const s = JSON.stringify(value)
    if (s === undefined) throw new Error('not representable')
    return s
  } catch (err) {
    throw new B2mError('bad_request', `job ${what} cannot be stored as JSON: ${(err as Error).message}`)
  }
}

export class JobsRepo {
  private readonly db: Db
  private readonly insert
  private readonly byId
  private readonly newest
  private readonly insertLog
  private readonly logsAfter
  private readonly interrupt
  private readonly del
  private readonly updates = new Map<string, Database.Statement>()

  constructor(db: Db) {
    this.db = db
    this.insert = db.prepare<[string, string, string]>(
      `INSERT INTO jobs (kind, params, state, progress, message, created_at) VALUES (?, ?, 'queued', 0, '', ?)`
    )
    this.byId = db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?')
    this.newest = db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY id DESC LIMIT ?')
    this.insertLog = db.prepare<[{ jobId: number; time: string; level: string; text: string }], { seq: number }>(
      `INSERT INTO job_logs (job_id, seq, time, level, text)
       SELECT @jobId, COALESCE(MAX(seq), 0) + 1, @time, @level, @text FROM job_logs WHERE job_id = @jobId
       RETURNING seq`
    )
    this.logsAfter = db.prepare<[number, number, number], LogRow>(
      'SELECT job_id, seq, time, level, text FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?'
    )
    this.interrupt = db.prepare<[string, string]>(
      `UPDATE jobs SET state = 'interrupted', finished_at = ?, message = ? WHERE state IN ('running', 'queued')`
    )
    this.del = db.prepare<[number]>('DELETE FROM jobs WHERE id = ?')
  }

  /** Records a new job in state 'queued'. */
  create(kind: string, params: Record<string, unknown> = {}): Job {
    if (typeof kind !== 'string' || kind === '') throw new B2mError('bad_request', 'job kind is empty')
    const id = Number(this.insert.run(kind, toJson(params ?? {}, 'params'), nowIso()).lastInsertRowid)
    return this.get(id)!
  }

  get(id: number): Job | undefined {
    const r = this.byId.get(id)
    return r ? toJob(r) : undefined
  }

  /** The newest jobs first. */
  list(limit = 100): Job[] {
    return this.newest.all(Math.max(0, Math.floor(limit))).map(toJob)
  }

  /** Changes some fields of a job and returns it; `result: undefined` is stored as null. */
  update(id: number, patch: Partial<JobPatch>): Job {
    const keys = (Object.keys(patch) as (keyof JobPatch)[]).filter((k) => k in COLUMNS).sort()
    const values: Record<string, unknown> = { id }
    for (const k of keys) {
      const v = patch[k]
      if (k === 'state' && !JobStateSchema.options.includes(v as JobState)) {
        throw new B2mError(
          'bad_request',
          `unknown job state '${String(v)}' (one of ${JobStateSchema.options.join(', ')})`
        )
      }
      if (k === 'progress' && !(typeof v === 'number' && Number.isFinite(v))) {
        throw new B2mError('bad_request', `job progress must be a number in [0, 1], got ${String(v)}`)
      }
      values[k] =
        k === 'result'
          ? v === undefined || v === null
            ? null
            : toJson(v, 'result')
          : k === 'progress'
            ? Math.min(1, Math.max(0, v as number))
            : (v ?? null)
      if (k === 'message' && values[k] === null) values[k] = ''
    }
    if (keys.length > 0) {
      const sig = keys.join(',')
      let stmt = this.updates.get(sig)
      if (!stmt) {
        stmt = this.db.prepare(`UPDATE jobs SET ${keys.map((k) => `${COLUMNS[k]} = @${k}`).join(', ')} WHERE id = @id`)
        this.updates.set(sig, stmt)
      }
      if (stmt.run(values).changes === 0) throw new B2mError('not_found', `no job with id ${id}`)
    }
    const job = this.get(id)
    if (!job) throw new B2mError('not_found', `no job with id ${id}`)
    return job
  }

  /** Appends a log line; `seq` counts 1, 2, 3... per job. */
  appendLog(jobId: number, level: LogLevel, text: string): JobLogLine {
    if (!LOG_LEVELS.includes(level)) throw new B2mError('bad_request', `unknown log level '${String(level)}'`)
    if (!this.byId.get(jobId)) throw new B2mError('not_found', `no job with id ${jobId}`)
    const time = nowIso()
    const row = this.insertLog.get({ jobId, time, level, text: String(text) })!
    return { jobId, seq: row.seq, time, level, text: String(text) }
  }

  /** Log lines with seq > afterSeq, oldest first. */
  logs(jobId: number, afterSeq = 0, limit = 10_000): JobLogLine[] {
    return this.logsAfter.all(jobId, afterSeq, limit).map(toLine)
  }

  /**
   * At start-up: every job left 'running' or 'queued' by a previous process is marked 'interrupted'.
   * Returns how many.
   */
  markInterrupted(): number {
    return this.interrupt.run(nowIso(), INTERRUPTED_MESSAGE).changes
  }

  /** Deletes a job and (by cascade) its log. */
  remove(id: number): boolean {
    return this.del.run(id).changes > 0
  }
}
