/**
 * Blinded two-alternative listening tests (tables of migration 7): one row per saved test with its score, one
 * row per trial (the stimulus, the two clips in the order played, which was right, what was chosen).
 */
import type { ListeningResult, ListeningSide, ListeningTrial } from '../../src-preload/api'
import { type Db, nowIso } from './open'

interface TestRow {
  id: number
  model_id: number | null
  n: number
  correct: number
  p: number
  created_at: string
}

interface TrialRow {
  stimulus_id: number
  clip_a: number | null
  clip_b: number | null
  correct: ListeningSide
  answer: ListeningSide
}

/** A stored trial; a clip deleted since reads as null. */
export interface StoredTrial extends Omit<ListeningTrial, 'clipA' | 'clipB'> {
  clipA: number | null
  clipB: number | null
}

export interface NewListeningTest {
  modelId: number | null
  trials: ListeningTrial[]
  correct: number
  p: number
  provenance: Record<string, unknown>
}

const toResult = (r: TestRow): ListeningResult => ({
  id: r.id,
  modelId: r.model_id,
  n: r.n,
  correct: r.correct,
  accuracy: r.correct / r.n,
  p: r.p,
  createdAt: r.created_at
})

export class ListeningRepo {
  private readonly db: Db
  private readonly insertTest
  private readonly insertTrial
  private readonly byId
  private readonly all
  private readonly trialsOf
  private readonly stimulusStmt
  private readonly clipStmt
  private readonly modelStmt

  constructor(db: Db) {
    this.db = db
    this.insertTest = db.prepare<{
      modelId: number | null
      n: number
      correct: number
      p: number
      provenance: string
      createdAt: string
    }>(
      `INSERT INTO listening_tests (model_id, n, correct, p, provenance, created_at)
       VALUES (@modelId, @n, @correct, @p, @provenance, @createdAt)`
    )
    this.insertTrial = db.prepare<{
      testId: number
      seq: number
      stimulusId: number
      clipA: number
      clipB: number
      correct: ListeningSide
      answer: ListeningSide
    }>(
      `INSERT INTO listening_trials (test_id, seq, stimulus_id, clip_a, clip_b, correct, answer)
       VALUES (@testId, @seq, @stimulusId, @clipA, @clipB, @correct, @answer)`
    )
    this.byId = db.prepare<[number], TestRow>('SELECT * FROM listening_tests WHERE id = ?')
    this.all = db.prepare<[], TestRow>('SELECT * FROM listening_tests ORDER BY id')
    this.trialsOf = db.prepare<[number], TrialRow>(
      'SELECT stimulus_id, clip_a, clip_b, correct, answer FROM listening_trials WHERE test_id = ? ORDER BY seq'
    )
    this.stimulusStmt = db.prepare<[number], { key: string }>('SELECT key FROM stimuli WHERE id = ?')
    this.clipStmt = db.prepare<[number], { stimulus_id: number | null; method: string }>(
      'SELECT stimulus_id, method FROM clips WHERE id = ?'
    )
    this.modelStmt = db.prepare<[number], { kind: string }>('SELECT kind FROM models WHERE id = ?')
  }

  /** The references a test may name, for validation before anything is written. */
  stimulusKey(id: number): string | undefined {
    return this.stimulusStmt.get(id)?.key
  }
  /** undefined: no such clip; otherwise the stimulus it was made for (null when none) and its method. */
  clipRef(id: number): { stimulusId: number | null; method: string } | undefined {
    const r = this.clipStmt.get(id)
    return r ? { stimulusId: r.stimulus_id, method: r.method } : undefined
  }
  modelKind(id: number): string | undefined {
    return this.modelStmt.get(id)?.kind
  }

  /** Inserts a test and its trials in one transaction (all or nothing). Callers validate references first. */
  add(t: NewListeningTest): ListeningResult {
    return this.db.transaction(() => {
      const id = Number(
        this.insertTest.run({
          modelId: t.modelId,
          n: t.trials.length,
          correct: t.correct,
          p: t.p,
          provenance: JSON.stringify(t.provenance),
          createdAt: nowIso()
        }).lastInsertRowid
      )
      t.trials.forEach((tr, seq) => this.insertTrial.run({ testId: id, seq, ...tr }))
      return this.get(id)!
    })()
  }

  get(id: number): ListeningResult | undefined {
    const r = this.byId.get(id)
    return r ? toResult(r) : undefined
  }

  list(): ListeningResult[] {
    return this.all.all().map(toResult)
  }

  trials(id: number): StoredTrial[] {
    return this.trialsOf.all(id).map((r) => ({
      stimulusId: r.stimulus_id,
      clipA: r.clip_a,
      clipB: r.clip_b,
      correct: r.correct,
      answer: r.answer
    }))
  }
}

const repos = new WeakMap<Db, ListeningRepo>()

/** The connection's one ListeningRepo, prepared on first use. */
export function listeningRepo(db: Db): ListeningRepo {
  let r = repos.get(db)
  if (!r) {
    r = new ListeningRepo(db)
    repos.set(db, r)
  }
  return r
}
