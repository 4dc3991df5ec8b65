/** Subjects and their scanning sessions. */
import type { Subject } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'
import { isForeignKeyViolation, isUniqueViolation } from './sqlite-errors'

export interface Session {
  id: number
  subjectId: number
  label: string
  createdAt: string
}

interface SubjectRow {
  id: number
  label: string
  created_at: string
  sessions: number
  runs: number
}

interface SessionRow {
  id: number
  subject_id: number
  label: string
  created_at: string
}

const SUBJECT_SELECT = `
  SELECT s.id, s.label, s.created_at,
    (SELECT COUNT(*) FROM sessions se WHERE se.subject_id = s.id) AS sessions,
    (SELECT COUNT(*) FROM runs r JOIN sessions se ON r.session_id = se.id WHERE se.subject_id = s.id) AS runs
  FROM subjects s`

function toSubject(r: SubjectRow): Subject {
  return { id: r.id, label: r.label, createdAt: r.created_at, sessions: r.sessions, runs: r.runs }
}

function toSession(r: SessionRow): Session {
  return { id: r.id, subjectId: r.subject_id, label: r.label, createdAt: r.created_at }
}

function checkLabel(what: string, label: string, allowEmpty = false): void {
  if (typeof label !== 'string' || (!allowEmpty && label.trim() === '') || label !== label.trim()) {
    throw new B2mError(
      'bad_request',
      `${what} label must be a non-empty string without surrounding spaces: ${JSON.stringify(label)}`
    )
  }
}

/** The voxel grid and mask a subject's runs are stored in (masked columns follow the mask's order). */
export interface SubjectGrid {
  maskArrayId: number
  /** Spatial shape [X, Y, Z] and the 4x4 voxel -> world affine (mm). */
  grid: { shape: [number, number, number]; affine: number[][] }
  source: string
}

export class SubjectsRepo {
  private readonly setGridStmt
  private readonly gridStmt
  private readonly insert
  private readonly byId
  private readonly byLabel
  private readonly all

  constructor(db: Db) {
    this.insert = db.prepare<[string, string]>('INSERT INTO subjects (label, created_at) VALUES (?, ?)')
    this.setGridStmt = db.prepare<[number, string, string, number]>(
      'UPDATE subjects SET mask_array_id = ?, grid = ?, mask_source = ? WHERE id = ?'
    )
    this.gridStmt = db.prepare<
      [number],
      { mask_array_id: number | null; grid: string | null; mask_source: string | null }
    >('SELECT mask_array_id, grid, mask_source FROM subjects WHERE id = ?')
    this.byId = db.prepare<[number], SubjectRow>(`${SUBJECT_SELECT} WHERE s.id = ?`)
    this.byLabel = db.prepare<[string], SubjectRow>(`${SUBJECT_SELECT} WHERE s.label = ?`)
    this.all = db.prepare<[], SubjectRow>(`${SUBJECT_SELECT} ORDER BY s.label`)
  }

  setGrid(subjectId: number, g: SubjectGrid): void {
    this.setGridStmt.run(g.maskArrayId, JSON.stringify(g.grid), g.source, subjectId)
  }

  /** The subject's mask and grid, or null before its first import. */
  grid(subjectId: number): SubjectGrid | null {
    const r = this.gridStmt.get(subjectId)
    if (!r || r.mask_array_id === null || r.grid === null) return null
    return {
      maskArrayId: r.mask_array_id,
      grid: JSON.parse(r.grid) as SubjectGrid['grid'],
      source: r.mask_source ?? ''
    }
  }

  /** Creates a subject; a label already in use is a `conflict`. */
  create(label: string): Subject {
    checkLabel('subject', label)
    try {
      const id = Number(this.insert.run(label, nowIso()).lastInsertRowid)
      return this.get(id)!
    } catch (err) {
      if (isUniqueViolation(err)) throw new B2mError('conflict', `subject '${label}' already exists`)
      throw err
    }
  }

  /** The subject with this label, created if missing. */
  ensure(label: string): Subject {
    return this.getByLabel(label) ?? this.create(label)
  }

  get(id: number): Subject | undefined {
    const r = this.byId.get(id)
    return r ? toSubject(r) : undefined
  }

  getByLabel(label: string): Subject | undefined {
    const r = this.byLabel.get(label)
    return r ? toSubject(r) : undefined
  }

  /** Every subject, by label, with its session and run counts. */
  list(): Subject[] {
    return this.all.all().map(toSubject)
  }
}

export class SessionsRepo {
  private readonly insert
  private readonly byId
  private readonly byLabel
  private readonly bySubject

  constructor(db: Db) {
    this.insert = db.prepare<[number, string, string]>(
      'INSERT INTO sessions (subject_id, label, created_at) VALUES (?, ?, ?)'
    )
    this.byId = db.prepare<[number], SessionRow>('SELECT * FROM sessions WHERE id = ?')
    this.byLabel = db.prepare<[number, string], SessionRow>('SELECT * FROM sessions WHERE subject_id = ? AND label = ?')
    this.bySubject = db.prepare<[number], SessionRow>('SELECT * FROM sessions WHERE subject_id = ? ORDER BY label')
  }

  /** Creates a session of a subject. The label may be '' for data sets without sessions. */
  create(subjectId: number, label: string): Session {
    checkLabel('session', label, true)
    try {
      const id = Number(this.insert.run(subjectId, label, nowIso()).lastInsertRowid)
      return this.get(id)!
    } catch (err) {
      if (isUniqueViolation(err))
        throw new B2mError('conflict', `subject ${subjectId} already has a session '${label}'`)
      if (isForeignKeyViolation(err)) throw new B2mError('not_found', `no subject with id ${subjectId}`)
      throw err
    }
  }

  ensure(subjectId: number, label: string): Session {
    return this.getByLabel(subjectId, label) ?? this.create(subjectId, label)
  }

  get(id: number): Session | undefined {
    const r = this.byId.get(id)
    return r ? toSession(r) : undefined
  }

  getByLabel(subjectId: number, label: string): Session | undefined {
    const r = this.byLabel.get(subjectId, label)
    return r ? toSession(r) : undefined
  }

  listBySubject(subjectId: number): Session[] {
    return this.bySubject.all(subjectId).map(toSession)
  }
}
