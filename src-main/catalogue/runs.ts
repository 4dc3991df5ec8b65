/** Functional runs: one imported 4D scan of a session, with where it came from. */
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'
import { isForeignKeyViolation, isUniqueViolation } from './sqlite-errors'

export interface Run {
  id: number
  sessionId: number
  subjectId: number
  task: string
  run: number
  /** Image dimensions, e.g. [x, y, z, t]. */
  shape: number[]
  /** 4x4 voxel -> world matrix (row-major rows), or null when unknown. */
  affine: number[][] | null
  /** Repetition time in seconds. */
  tr: number
  volumes: number
  sourcePath: string
  sourceSha256: string
  /** Masked float32 data (T x V) and the mean volume, as workspace arrays (migration 2). */
  dataArrayId: number | null
  meanArrayId: number | null
  datasetRoot: string | null
  eventsPath: string | null
  sidecar: Record<string, unknown>
  warnings: string[]
  createdAt: string
}

export interface NewRun {
  sessionId: number
  task: string
  run: number
  shape: number[]
  affine?: number[][] | null
  tr: number
  volumes: number
  sourcePath: string
  sourceSha256: string
  dataArrayId?: number | null
  meanArrayId?: number | null
  datasetRoot?: string | null
  eventsPath?: string | null
  sidecar?: Record<string, unknown>
  warnings?: string[]
}

interface RunRow {
  id: number
  session_id: number
  subject_id: number
  task: string
  run: number
  shape: string
  affine: string | null
  tr: number
  volumes: number
  source_path: string
  source_sha256: string
  data_array_id: number | null
  mean_array_id: number | null
  dataset_root: string | null
  events_path: string | null
  sidecar: string
  warnings: string
  created_at: string
}

const RUN_SELECT = `SELECT r.*, se.subject_id FROM runs r JOIN sessions se ON se.id = r.session_id`

function toRun(r: RunRow): Run {
  return {
    id: r.id,
    sessionId: r.session_id,
    subjectId: r.subject_id,
    task: r.task,
    run: r.run,
    shape: JSON.parse(r.shape) as number[],
    affine: r.affine === null ? null : (JSON.parse(r.affine) as number[][]),
    tr: r.tr,
    volumes: r.volumes,
    sourcePath: r.source_path,
    sourceSha256: r.source_sha256,
    dataArrayId: r.data_array_id,
    meanArrayId: r.mean_array_id,
    datasetRoot: r.dataset_root,
    eventsPath: r.events_path,
    sidecar: JSON.parse(r.sidecar) as Record<string, unknown>,
    warnings: JSON.parse(r.warnings) as string[],
    createdAt: r.created_at
  }
}

function validate(input: NewRun): void {
  const bad = (msg: string): never => {
    throw new B2mError('bad_request', `run ${input.task} #${input.run} (${input.sourcePath}): ${msg}`, input.sourcePath)
  }
  if (typeof input.task !== 'string' || input.task === '') bad('task label is empty')
  if (!Number.isInteger(input.run) || input.run < 0) bad(`run number must be a non-negative integer, got ${input.run}`)
  if (
    !Array.isArray(input.shape) ||
    input.shape.length === 0 ||
    input.shape.some((d) => !Number.isInteger(d) || d < 0)
  ) {
    bad(`shape must be a list of non-negative integers, got ${JSON.stringify(input.shape)}`)
  }
  if (input.affine != null) {
    const a = input.affine
    if (
      !Array.isArray(a) ||
      a.length !== 4 ||
      a.some((row) => !Array.isArray(row) || row.length !== 4 || row.some((v) => !Number.isFinite(v)))
    ) {
      bad('affine must be a 4x4 matrix of finite numbers')
    }
  }
  if (!(Number.isFinite(input.tr) && input.tr > 0)) bad(`TR must be a positive number of seconds, got ${input.tr}`)
  if (!Number.isInteger(input.volumes) || input.volumes < 0)
    bad(`volume count must be a non-negative integer, got ${input.volumes}`)
  if (!/^[0-9a-f]{64}$/.test(input.sourceSha256)) bad('source SHA-256 must be 64 lower-case hex digits')
}

export class RunsRepo {
  private readonly insert
  private readonly byId
  private readonly bySubject
  private readonly bySession
  private readonly all

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO runs (session_id, task, run, shape, affine, tr, volumes, source_path, source_sha256,
                         data_array_id, mean_array_id, dataset_root, events_path, sidecar, warnings, created_at)
       VALUES (@sessionId, @task, @run, @shape, @affine, @tr, @volumes, @sourcePath, @sourceSha256,
               @dataArrayId, @meanArrayId, @datasetRoot, @eventsPath, @sidecar, @warnings, @createdAt)`
    )
    this.byId = db.prepare<[number], RunRow>(`${RUN_SELECT} WHERE r.id = ?`)
    this.bySubject = db.prepare<[number], RunRow>(
      `${RUN_SELECT} WHERE se.subject_id = ? ORDER BY se.label, r.task, r.run, r.id`
    )
    this.bySession = db.prepare<[number], RunRow>(`${RUN_SELECT} WHERE r.session_id = ? ORDER BY r.task, r.run, r.id`)
    this.all = db.prepare<[], RunRow>(
      `${RUN_SELECT} JOIN subjects su ON su.id = se.subject_id ORDER BY su.label, se.label, r.task, r.run, r.id`
    )
  }

  create(input: NewRun): Run {
    validate(input)
    try {
      const info = this.insert.run({
        sessionId: input.sessionId,
        task: input.task,
        run: input.run,
        shape: JSON.stringify(input.shape),
        affine: input.affine == null ? null : JSON.stringify(input.affine),
        tr: input.tr,
        volumes: input.volumes,
        sourcePath: input.sourcePath,
        sourceSha256: input.sourceSha256,
        dataArrayId: input.dataArrayId ?? null,
        meanArrayId: input.meanArrayId ?? null,
        datasetRoot: input.datasetRoot ?? null,
        eventsPath: input.eventsPath ?? null,
        sidecar: JSON.stringify(input.sidecar ?? {}),
        warnings: JSON.stringify(input.warnings ?? []),
        createdAt: nowIso()
      })
      return this.get(Number(info.lastInsertRowid))!
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new B2mError(
          'conflict',
          `session ${input.sessionId} already has run ${input.run} of task '${input.task}'`,
          input.sourcePath
        )
      }
      if (isForeignKeyViolation(err)) throw new B2mError('not_found', `no session with id ${input.sessionId}`)
      throw err
    }
  }

  get(id: number): Run | undefined {
    const r = this.byId.get(id)
    return r ? toRun(r) : undefined
  }

  /** Runs of a subject across sessions, ordered by session label, task and run number. */
  listBySubject(subjectId: number): Run[] {
    return this.bySubject.all(subjectId).map(toRun)
  }

  /** Every run, ordered by subject, session, task and run number. */
  list(): Run[] {
    return this.all.all().map(toRun)
  }

  listBySession(sessionId: number): Run[] {
    return this.bySession.all(sessionId).map(toRun)
  }
}
