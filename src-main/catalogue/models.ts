/**
 * Trained models (decoders, encoding models) and their evaluations. A model is many arrays (weights,
 * centring, chosen alphas, CV scores, voxel selections; one set per part of an ROI ensemble), named in
 * `model_arrays` (migration 5); an evaluation's arrays (predictions, truth, correlation matrix, voxel r)
 * in `evaluation_arrays`. Constructed on `catalogue.db` by the training room.
 */
import { B2mError } from '../common/errors'
import { type Db, nowIso } from './open'

export type ModelKindName = 'decoder' | 'encoder'

export interface ModelRecord {
  id: number
  subjectId: number
  subject: string
  kind: ModelKindName
  name: string
  featureSetId: number | null
  featureSet: string
  preprocessingId: number | null
  params: Record<string, unknown>
  summary: Record<string, unknown>
  provenance: Record<string, unknown>
  /** Array id by name. */
  arrays: Record<string, number>
  createdAt: string
}

export interface NewModel {
  subjectId: number
  kind: ModelKindName
  name: string
  featureSetId: number
  preprocessingId: number
  params: Record<string, unknown>
  summary: Record<string, unknown>
  provenance: Record<string, unknown>
  arrays: Record<string, number>
  /** Which named arrays fill the legacy weights/alphas columns. */
  weightsArray?: string
  alphasArray?: string
}

export interface EvaluationRecord {
  id: number
  modelId: number
  metrics: Record<string, unknown>
  provenance: Record<string, unknown>
  arrays: Record<string, number>
  createdAt: string
}

interface ModelRow {
  id: number
  subject_id: number
  subject: string
  kind: ModelKindName
  name: string
  feature_set_id: number | null
  feature_set: string | null
  preprocessing_id: number | null
  params: string
  summary: string
  provenance: string
  created_at: string
}

interface EvalRow {
  id: number
  model_id: number
  metrics: string
  provenance: string
  created_at: string
}

const SELECT_MODEL = `SELECT m.id, m.subject_id, s.label AS subject, m.kind, m.name, m.feature_set_id,
  f.name AS feature_set, m.preprocessing_id, m.params, m.summary, m.provenance, m.created_at
  FROM models m JOIN subjects s ON s.id = m.subject_id LEFT JOIN feature_sets f ON f.id = m.feature_set_id`

export class ModelsRepo {
  private readonly insertModel
  private readonly insertModelArray
  private readonly insertEval
  private readonly insertEvalArray
  private readonly byId
  private readonly all
  private readonly bySubject
  private readonly arraysOf
  private readonly evalsOf
  private readonly evalArraysOf
  private readonly evalArrayIdsOfModel
  private readonly mapsOf
  private readonly del

  constructor(db: Db) {
    this.insertModel = db.prepare(
      `INSERT INTO models (subject_id, kind, name, feature_set_id, preprocessing_id, params, weights_array_id,
                           alphas_array_id, provenance, summary, created_at)
       VALUES (@subjectId, @kind, @name, @featureSetId, @preprocessingId, @params, @weights, @alphas, @provenance,
               @summary, @createdAt)`
    )
    this.insertModelArray = db.prepare('INSERT INTO model_arrays (model_id, name, array_id) VALUES (?, ?, ?)')
    this.insertEval = db.prepare(
      'INSERT INTO evaluations (model_id, metrics, scores_array_id, provenance, created_at) VALUES (?, ?, ?, ?, ?)'
    )
    this.insertEvalArray = db.prepare('INSERT INTO evaluation_arrays (evaluation_id, name, array_id) VALUES (?, ?, ?)')
    this.byId = db.prepare<[number], ModelRow>(`${SELECT_MODEL} WHERE m.id = ?`)
    this.all = db.prepare<[], ModelRow>(`${SELECT_MODEL} ORDER BY m.id`)
    this.bySubject = db.prepare<[string], ModelRow>(`${SELECT_MODEL} WHERE s.label = ? ORDER BY m.id`)
    this.arraysOf = db.prepare<[number], { name: string; array_id: number }>(
      'SELECT name, array_id FROM model_arrays WHERE model_id = ? ORDER BY name'
    )
    this.evalsOf = db.prepare<[number], EvalRow>('SELECT * FROM evaluations WHERE model_id = ? ORDER BY id')
    this.evalArraysOf = db.prepare<[number], { name: string; array_id: number }>(
      'SELECT name, array_id FROM evaluation_arrays WHERE evaluation_id = ? ORDER BY name'
    )
    this.evalArrayIdsOfModel = db.prepare<[number], { array_id: number }>(
      `SELECT ea.array_id FROM evaluation_arrays ea JOIN evaluations e ON e.id = ea.evaluation_id WHERE e.model_id = ?`
    )
    this.mapsOf = db.prepare<
      [number],
      { array_id: number | null; pvalues_array_id: number | null; significance_array_id: number | null }
    >('SELECT array_id, pvalues_array_id, significance_array_id FROM maps WHERE model_id = ?')
    this.del = db.prepare<[number]>('DELETE FROM models WHERE id = ?')
  }

  private record(r: ModelRow): ModelRecord {
    const arrays: Record<string, number> = {}
    for (const a of this.arraysOf.all(r.id)) arrays[a.name] = a.array_id
    return {
      id: r.id,
      subjectId: r.subject_id,
      subject: r.subject,
      kind: r.kind,
      name: r.name,
      featureSetId: r.feature_set_id,
      featureSet: r.feature_set ?? '',
      preprocessingId: r.preprocessing_id,
      params: JSON.parse(r.params) as Record<string, unknown>,
      summary: JSON.parse(r.summary) as Record<string, unknown>,
      provenance: JSON.parse(r.provenance) as Record<string, unknown>,
      arrays,
      createdAt: r.created_at
    }
  }

  /** A new model and its named arrays (call inside the transaction that registers the arrays). */
  create(m: NewModel): ModelRecord {
    if (m.name.trim() === '') throw new B2mError('bad_request', 'a model needs a name')
    const info = this.insertModel.run({
      subjectId: m.subjectId,
      kind: m.kind,
      name: m.name,
      featureSetId: m.featureSetId,
      preprocessingId: m.preprocessingId,
      params: JSON.stringify(m.params),
      weights: m.weightsArray ? (m.arrays[m.weightsArray] ?? null) : null,
      alphas: m.alphasArray ? (m.arrays[m.alphasArray] ?? null) : null,
      provenance: JSON.stringify(m.provenance),
      summary: JSON.stringify(m.summary),
      createdAt: nowIso()
    })
    const id = Number(info.lastInsertRowid)
    for (const [name, arrayId] of Object.entries(m.arrays)) this.insertModelArray.run(id, name, arrayId)
    return this.get(id)!
  }

  get(id: number): ModelRecord | undefined {
    const r = this.byId.get(id)
    return r ? this.record(r) : undefined
  }

  list(subject?: string): ModelRecord[] {
    return (subject === undefined ? this.all.all() : this.bySubject.all(subject)).map((r) => this.record(r))
  }

  addEvaluation(
    modelId: number,
    metrics: Record<string, unknown>,
    provenance: Record<string, unknown>,
    arrays: Record<string, number>,
    scoresArray?: string
  ): EvaluationRecord {
    const info = this.insertEval.run(
      modelId,
      JSON.stringify(metrics),
      scoresArray ? (arrays[scoresArray] ?? null) : null,
      JSON.stringify(provenance),
      nowIso()
    )
    const id = Number(info.lastInsertRowid)
    for (const [name, arrayId] of Object.entries(arrays)) this.insertEvalArray.run(id, name, arrayId)
    return this.evaluations(modelId).find((e) => e.id === id)!
  }

  evaluations(modelId: number): EvaluationRecord[] {
    return this.evalsOf.all(modelId).map((r) => {
      const arrays: Record<string, number> = {}
      for (const a of this.evalArraysOf.all(r.id)) arrays[a.name] = a.array_id
      return {
        id: r.id,
        modelId: r.model_id,
        metrics: JSON.parse(r.metrics) as Record<string, unknown>,
        provenance: JSON.parse(r.provenance) as Record<string, unknown>,
        arrays,
        createdAt: r.created_at
      }
    })
  }

  /**
   * Deletes a model with its evaluations and maps (cascade) and returns the ids of every array they
   * used, for the caller to unregister and delete in the same transaction.
   */
  remove(id: number): number[] {
    const rec = this.get(id)
    if (!rec) throw new B2mError('not_found', `no model ${id}`)
    const ids = new Set<number>(Object.values(rec.arrays))
    for (const a of this.evalArrayIdsOfModel.all(id)) ids.add(a.array_id)
    for (const m of this.mapsOf.all(id))
      for (const a of [m.array_id, m.pvalues_array_id, m.significance_array_id]) if (a !== null) ids.add(a)
    this.del.run(id)
    return [...ids]
  }
}
