/**
 * Feature sets: per-window embeddings of the stimuli. The matrix is a workspace array (rows x dim,
 * float32); `rows` (migration 4) holds one JSON record per matrix row; `transform` the fitted
 * normalisation (where its files are, and their hashes).
 */
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'

/** One matrix row: which stimulus and which window of it (src-preload/contract/music.ts FeatureRow). */
export interface FeatureSetRow {
  stimulusId: number
  key: string
  windowIndex: number
  windowStart: number
  windowEnd: number
  role: 'train' | 'test' | 'none'
}

export interface FeatureSet {
  id: number
  name: string
  extractor: string
  params: Record<string, unknown>
  dim: number | null
  arrayId: number | null
  transform: Record<string, unknown> | null
  provenance: Record<string, unknown>
  createdAt: string
}

export interface NewFeatureSet {
  name: string
  extractor: string
  params: Record<string, unknown>
  dim: number
  arrayId: number
  rows: FeatureSetRow[]
  transform: Record<string, unknown> | null
  provenance: Record<string, unknown>
}

interface Row {
  id: number
  name: string
  extractor: string
  params: string
  dims: number | null
  array_id: number | null
  transform: string | null
  provenance: string
  created_at: string
}

const COLUMNS = 'id, name, extractor, params, dims, array_id, transform, provenance, created_at'

const toRecord = (r: Row): FeatureSet => ({
  id: r.id,
  name: r.name,
  extractor: r.extractor,
  params: JSON.parse(r.params) as Record<string, unknown>,
  dim: r.dims,
  arrayId: r.array_id,
  transform: r.transform === null ? null : (JSON.parse(r.transform) as Record<string, unknown>),
  provenance: JSON.parse(r.provenance) as Record<string, unknown>,
  createdAt: r.created_at
})

export class FeatureSetsRepo {
  private readonly insert
  private readonly byId
  private readonly byName
  private readonly all
  private readonly rowsOf

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO feature_sets (name, extractor, params, dims, array_id, rows, transform, provenance, created_at)
       VALUES (@name, @extractor, @params, @dim, @arrayId, @rows, @transform, @provenance, @createdAt)`
    )
    // The rows column can be large: the record queries leave it out; rows() reads it alone.
    this.byId = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM feature_sets WHERE id = ?`)
    this.byName = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM feature_sets WHERE name = ? ORDER BY id DESC`)
    this.all = db.prepare<[], Row>(`SELECT ${COLUMNS} FROM feature_sets ORDER BY id`)
    this.rowsOf = db.prepare<[number], { rows: string }>('SELECT rows FROM feature_sets WHERE id = ?')
  }

  /** A new set; its name must be free (`conflict` otherwise: models refer to sets by id and name). */
  create(s: NewFeatureSet): FeatureSet {
    if (this.byName.get(s.name))
      throw new B2mError('conflict', `a feature set named "${s.name}" exists already; choose another name`)
    const info = this.insert.run({
      name: s.name,
      extractor: s.extractor,
      params: JSON.stringify(s.params),
      dim: s.dim,
      arrayId: s.arrayId,
      rows: JSON.stringify(s.rows),
      transform: s.transform === null ? null : JSON.stringify(s.transform),
      provenance: JSON.stringify(s.provenance),
      createdAt: nowIso()
    })
    return this.get(Number(info.lastInsertRowid))!
  }

  get(id: number): FeatureSet | undefined {
    const r = this.byId.get(id)
    return r ? toRecord(r) : undefined
  }

  getByName(name: string): FeatureSet | undefined {
    const r = this.byName.get(name)
    return r ? toRecord(r) : undefined
  }

  list(): FeatureSet[] {
    return this.all.all().map(toRecord)
  }

  /** The row records of a set, in matrix order. */
  rows(id: number): FeatureSetRow[] {
    const r = this.rowsOf.get(id)
    if (!r) throw new B2mError('not_found', `no feature set ${id}`)
    return JSON.parse(r.rows) as FeatureSetRow[]
  }
}
