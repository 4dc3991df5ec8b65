/** Preprocessing records: the parameters and the train/test response matrices they produced. */
import { type Db, nowIso } from './open'

export interface Preprocessing {
  id: number
  subjectId: number
  params: Record<string, unknown>
  trainArrayId: number | null
  testArrayId: number | null
  trainSamples: Record<string, unknown>[]
  testSamples: Record<string, unknown>[]
  warnings: string[]
  provenance: Record<string, unknown>
  createdAt: string
}

export interface NewPreprocessing {
  subjectId: number
  params: Record<string, unknown>
  trainArrayId: number
  testArrayId: number
  trainSamples: Record<string, unknown>[]
  testSamples: Record<string, unknown>[]
  warnings: string[]
  provenance: Record<string, unknown>
}

interface Row {
  id: number
  subject_id: number
  params: string
  responses_array_id: number | null
  test_array_id: number | null
  train_samples: string
  test_samples: string
  warnings: string
  provenance: string
  created_at: string
}

const toRecord = (r: Row): Preprocessing => ({
  id: r.id,
  subjectId: r.subject_id,
  params: JSON.parse(r.params) as Record<string, unknown>,
  trainArrayId: r.responses_array_id,
  testArrayId: r.test_array_id,
  trainSamples: JSON.parse(r.train_samples) as Record<string, unknown>[],
  testSamples: JSON.parse(r.test_samples) as Record<string, unknown>[],
  warnings: JSON.parse(r.warnings) as string[],
  provenance: JSON.parse(r.provenance) as Record<string, unknown>,
  createdAt: r.created_at
})

export class PreprocessingRepo {
  private readonly insert
  private readonly byId
  private readonly bySubject
  private readonly all

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO preprocessing (subject_id, params, responses_array_id, test_array_id, train_samples, test_samples,
                                  warnings, provenance, created_at)
       VALUES (@subjectId, @params, @trainArrayId, @testArrayId, @trainSamples, @testSamples, @warnings, @provenance, @createdAt)`
    )
    this.byId = db.prepare<[number], Row>('SELECT * FROM preprocessing WHERE id = ?')
    this.bySubject = db.prepare<[number], Row>('SELECT * FROM preprocessing WHERE subject_id = ? ORDER BY id DESC')
    this.all = db.prepare<[], Row>('SELECT * FROM preprocessing ORDER BY id DESC')
  }

  create(p: NewPreprocessing): Preprocessing {
    const info = this.insert.run({
      subjectId: p.subjectId,
      params: JSON.stringify(p.params),
      trainArrayId: p.trainArrayId,
      testArrayId: p.testArrayId,
      trainSamples: JSON.stringify(p.trainSamples),
      testSamples: JSON.stringify(p.testSamples),
      warnings: JSON.stringify(p.warnings),
      provenance: JSON.stringify(p.provenance),
      createdAt: nowIso()
    })
    return this.get(Number(info.lastInsertRowid))!
  }

  get(id: number): Preprocessing | undefined {
    const r = this.byId.get(id)
    return r ? toRecord(r) : undefined
  }

  /** Newest first. */
  listBySubject(subjectId: number): Preprocessing[] {
    return this.bySubject.all(subjectId).map(toRecord)
  }

  list(): Preprocessing[] {
    return this.all.all().map(toRecord)
  }
}
