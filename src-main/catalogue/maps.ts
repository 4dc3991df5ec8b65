/** Cortical maps: a volume (NIfTI copied into the workspace) or per-vertex values of a surface set. */
import type { MapInfo } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'
import { isForeignKeyViolation } from './sqlite-errors'

/** The voxel grid of a volume map: [X, Y, Z] and its voxel -> world affine (4x4, row-major). */
export interface MapGrid {
  shape: [number, number, number]
  affine: number[][]
}

/** A map with what the core needs beyond MapInfo: its arrays and grid. */
export interface MapRecord extends MapInfo {
  arrayId: number | null
  grid: MapGrid | null
  /** p-values, same shape as the values (migration 8); null when the map carries none. */
  pvaluesArrayId: number | null
  /** uint8, same shape as the values: 1 where Benjamini-Hochberg q <= significance.q. */
  significanceArrayId: number | null
  provenance: Record<string, unknown>
}

/** The FDR result a map carries with its p-values. */
export interface NewSignificance {
  pvaluesArrayId: number
  significanceArrayId: number
  /** The FDR level the mask was made at. */
  q: number
  /** Defined p-values (m) and how many passed. */
  tests: number
  significant: number
}

export interface NewMap {
  name: string
  kind: 'volume' | 'surface'
  sourcePath?: string | null
  arrayId?: number | null
  grid?: MapGrid | null
  surfaceSet?: string | null
  modelId?: number | null
  units?: string
  provenance?: Record<string, unknown>
  significance?: NewSignificance | null
}

interface MapRow {
  id: number
  name: string
  kind: 'volume' | 'surface'
  source_path: string | null
  array_id: number | null
  grid: string | null
  surface_set: string | null
  model_id: number | null
  units: string
  provenance: string
  created_at: string
  pvalues_array_id: number | null
  significance_array_id: number | null
  fdr_q: number | null
  fdr_tests: number | null
  fdr_significant: number | null
}

function toRecord(r: MapRow): MapRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    sourcePath: r.source_path,
    surfaceSet: r.surface_set,
    modelId: r.model_id,
    units: r.units,
    createdAt: r.created_at,
    significance:
      r.significance_array_id !== null && r.fdr_q !== null
        ? { q: r.fdr_q, tests: r.fdr_tests ?? 0, significant: r.fdr_significant ?? 0 }
        : null,
    arrayId: r.array_id,
    grid: r.grid === null ? null : (JSON.parse(r.grid) as MapGrid),
    pvaluesArrayId: r.pvalues_array_id,
    significanceArrayId: r.significance_array_id,
    provenance: JSON.parse(r.provenance) as Record<string, unknown>
  }
}

/** The contract's view of a map (drops the array ids, grid and provenance). */
export function mapInfo(r: MapRecord): MapInfo {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    sourcePath: r.sourcePath,
    surfaceSet: r.surfaceSet,
    modelId: r.modelId,
    units: r.units,
    createdAt: r.createdAt,
    significance: r.significance
  }
}

function validate(m: NewMap): void {
  const bad = (msg: string): never => {
    throw new B2mError('bad_request', `map "${m.name}": ${msg}`, m.sourcePath ?? undefined)
  }
  if (typeof m.name !== 'string' || m.name.trim() === '') bad('name is empty')
  if (m.kind !== 'volume' && m.kind !== 'surface') bad(`kind must be volume or surface, got ${String(m.kind)}`)
  if (m.kind === 'volume') {
    const g = m.grid
    if (!g) bad('a volume map needs its grid {shape, affine}')
    else {
      if (g.shape.length !== 3 || g.shape.some((d) => !Number.isInteger(d) || d <= 0))
        bad(`grid shape must be three positive integers, got ${JSON.stringify(g.shape)}`)
      if (g.affine.length !== 4 || g.affine.some((r) => r.length !== 4 || r.some((v) => !Number.isFinite(v))))
        bad('grid affine must be a 4x4 matrix of finite numbers')
    }
  }
  const sig = m.significance
  if (sig) {
    if (!(sig.q > 0 && sig.q < 1)) bad(`the FDR level must lie in (0, 1), got ${sig.q}`)
    if (!(Number.isInteger(sig.tests) && Number.isInteger(sig.significant) && sig.significant <= sig.tests))
      bad(`significance counts are inconsistent (${sig.significant} of ${sig.tests} tests)`)
  }
}

export class MapsRepo {
  private readonly insert
  private readonly byId
  private readonly all

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO maps (name, kind, source_path, array_id, grid, surface_set, model_id, units, provenance, created_at,
                         pvalues_array_id, significance_array_id, fdr_q, fdr_tests, fdr_significant)
       VALUES (@name, @kind, @sourcePath, @arrayId, @grid, @surfaceSet, @modelId, @units, @provenance, @createdAt,
               @pvaluesArrayId, @significanceArrayId, @fdrQ, @fdrTests, @fdrSignificant)`
    )
    this.byId = db.prepare<[number], MapRow>('SELECT * FROM maps WHERE id = ?')
    this.all = db.prepare<[], MapRow>('SELECT * FROM maps ORDER BY id')
  }

  create(m: NewMap): MapRecord {
    validate(m)
    try {
      const info = this.insert.run({
        name: m.name.trim(),
        kind: m.kind,
        sourcePath: m.sourcePath ?? null,
        arrayId: m.arrayId ?? null,
        grid: m.grid ? JSON.stringify(m.grid) : null,
        surfaceSet: m.surfaceSet ?? null,
        modelId: m.modelId ?? null,
        units: m.units ?? '',
        provenance: JSON.stringify(m.provenance ?? {}),
        createdAt: nowIso(),
        pvaluesArrayId: m.significance?.pvaluesArrayId ?? null,
        significanceArrayId: m.significance?.significanceArrayId ?? null,
        fdrQ: m.significance?.q ?? null,
        fdrTests: m.significance?.tests ?? null,
        fdrSignificant: m.significance?.significant ?? null
      })
      return this.get(Number(info.lastInsertRowid))!
    } catch (err) {
      if (isForeignKeyViolation(err)) {
        throw new B2mError('bad_request', `map "${m.name}" refers to an array or model that does not exist`)
      }
      throw err
    }
  }

  get(id: number): MapRecord | null {
    const r = this.byId.get(id)
    return r ? toRecord(r) : null
  }

  list(): MapRecord[] {
    return this.all.all().map(toRecord)
  }
}
