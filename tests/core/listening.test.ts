/**
 * The blinded two-alternative listening test: the one-sided binomial p against known values (and scipy
 * when installed), scoring, and listening.save / listening.list through the real dispatch on a real
 * SQLite catalogue, including refusals that leave the catalogue unchanged.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import { dispatch } from '../../src-main/api/dispatch'
import { ListeningRepo } from '../../src-main/catalogue/listening'
import { binomialUpperTail } from '../../src-main/evaluate/binomial'
import { scoreListening } from '../../src-main/evaluate/listening'
import type { ListeningResult, ListeningTrial } from '../../src-preload/api'

const hasScipy = spawnSync('python3', ['-c', 'import scipy.stats'], { encoding: 'utf8' }).status === 0

describe('one-sided binomial p', () => {
  it('matches exact sums of binomial coefficients', () => {
    expect(binomialUpperTail(8, 10)).toBeCloseTo(56 / 1024, 15) // 0.0546875
    expect(binomialUpperTail(8, 10)).toBe(0.0546875)
    expect(binomialUpperTail(10, 10)).toBeCloseTo(1 / 1024, 16)
    expect(binomialUpperTail(5, 10)).toBeCloseTo(638 / 1024, 14)
    expect(binomialUpperTail(0, 10)).toBe(1)
    expect(binomialUpperTail(1, 1)).toBe(0.5)
    expect(binomialUpperTail(3, 4)).toBeCloseTo(5 / 16, 15)
    // 15 of 20: (C(20,15)+...+C(20,20)) / 2^20 = 21700 / 1048576
    expect(binomialUpperTail(15, 20)).toBeCloseTo(21700 / 1048576, 15)
  })

  it('other chance levels, and large n without overflow', () => {
    // P(X >= 2 | n = 3, p = 0.25) = 3 * 0.0625 * 0.75 + 0.015625 = 0.15625
    expect(binomialUpperTail(2, 3, 0.25)).toBeCloseTo(0.15625, 15)
    const p = binomialUpperTail(600, 1000)
    expect(p).toBeGreaterThan(0)
    expect(p).toBeLessThan(1e-9)
    expect(binomialUpperTail(500, 1000)).toBeCloseTo(0.5126125, 6)
  })

  it.runIf(hasScipy)('agrees with scipy.stats.binom.sf', () => {
    const cases: [number, number][] = [
      [7, 12],
      [31, 50],
      [120, 200],
      [2, 9],
      [58, 100]
    ]
    const r = spawnSync(
      'python3',
      [
        '-c',
        'import json,sys; from scipy.stats import binom; print(json.dumps([binom.sf(k-1,n,0.5) for k,n in json.load(sys.stdin)]))'
      ],
      { input: JSON.stringify(cases), encoding: 'utf8' }
    )
    expect(r.status, r.stderr).toBe(0)
    const ref = JSON.parse(r.stdout) as number[]
    cases.forEach(([k, n], i) => expect(binomialUpperTail(k, n) / ref[i]!).toBeCloseTo(1, 12))
  })

  it('refuses impossible counts with a clear message', () => {
    expect(() => binomialUpperTail(11, 10)).toThrow(/successes must be a whole number in 0\.\.10, got 11/)
    expect(() => binomialUpperTail(1.5, 10)).toThrow(/whole number/)
    expect(() => binomialUpperTail(1, 2, 1)).toThrow(/chance level/)
  })

  it('scores trials: accuracy and p', () => {
    const t = (correct: 'A' | 'B', answer: 'A' | 'B') => ({ correct, answer })
    const s = scoreListening([...Array(8).fill(t('A', 'A')), t('B', 'A'), t('A', 'B')])
    expect(s).toEqual({ n: 10, correct: 8, accuracy: 0.8, p: 0.0546875 })
    expect(() => scoreListening([])).toThrow(/at least one trial/)
  })
})

describe('listening.save and listening.list', () => {
  let dir: string
  let core: Core
  const stim: number[] = []
  /** clip[i] was made for stim[i]; clip 3 has no stimulus. */
  const clip: number[] = []
  let decoder: number
  let encoder: number

  const call = async <T>(method: string, params: unknown = {}): Promise<T> =>
    (await dispatch(core, method, params)) as T
  const counts = () => {
    const db = core.workspace.catalogue.db
    return {
      tests: (db.prepare('SELECT COUNT(*) AS n FROM listening_tests').get() as { n: number }).n,
      trials: (db.prepare('SELECT COUNT(*) AS n FROM listening_trials').get() as { n: number }).n
    }
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'b2m-listening-'))
    core = Core.open(join(dir, 'ws'), { face: 'cli', runJobs: false })
    const cat = core.workspace.catalogue
    for (let i = 0; i < 3; i++)
      stim.push(
        cat.stimuli.ensure({ onset: i * 15, duration: 15, genre: 'jazz', track: String(10 + i), start: 3, end: 18 }).id
      )
    // Clips and models as the generation and training rooms write them (columns of migration 1).
    const db = cat.db
    const subject = cat.subjects.ensure('sub-001').id
    const model = db.prepare(
      "INSERT INTO models (subject_id, kind, name, params, provenance, created_at) VALUES (?, ?, 'm', '{}', '{}', '2026-01-01T00:00:00Z')"
    )
    decoder = Number(model.run(subject, 'decoder').lastInsertRowid)
    encoder = Number(model.run(subject, 'encoder').lastInsertRowid)
    const ins = db.prepare(
      "INSERT INTO clips (model_id, stimulus_id, method, provenance, created_at) VALUES (?, ?, 'retrieval', '{}', '2026-01-01T00:00:00Z')"
    )
    for (let i = 0; i < 3; i++) clip.push(Number(ins.run(decoder, stim[i]).lastInsertRowid))
    clip.push(Number(ins.run(decoder, null).lastInsertRowid))
  })

  afterAll(async () => {
    await core?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('stores a test with its trials and reports accuracy and the one-sided binomial p', async () => {
    // 10 trials, 8 right: the right clip on a side that alternates; two wrong answers.
    const trials: ListeningTrial[] = Array.from({ length: 10 }, (_, i) => {
      const s = i % 3
      const other = (s + 1) % 3
      const correct = i % 2 === 0 ? 'A' : 'B'
      const [clipA, clipB] = correct === 'A' ? [clip[s]!, clip[other]!] : [clip[other]!, clip[s]!]
      const wrong = i === 3 || i === 6
      return { stimulusId: stim[s]!, clipA, clipB, correct, answer: wrong ? (correct === 'A' ? 'B' : 'A') : correct }
    })
    const r = await call<ListeningResult>('listening.save', { modelId: decoder, trials })
    expect(r).toMatchObject({ modelId: decoder, n: 10, correct: 8, accuracy: 0.8, p: 0.0546875 })
    expect(typeof r.id).toBe('number')
    expect(new ListeningRepo(core.workspace.catalogue.db).trials(r.id)).toEqual(trials)

    // Without a model; a clip without a stimulus may be either side.
    const r2 = await call<ListeningResult>('listening.save', {
      trials: [{ stimulusId: stim[0], clipA: clip[0], clipB: clip[3], correct: 'A', answer: 'A' }]
    })
    expect(r2).toMatchObject({ modelId: null, n: 1, correct: 1, accuracy: 1, p: 0.5 })

    const list = await call<ListeningResult[]>('listening.list')
    expect(list.map((x) => [x.id, x.n, x.correct, x.p])).toEqual([
      [r.id, 10, 8, 0.0546875],
      [r2.id, 1, 1, 0.5]
    ])
    expect(counts()).toEqual({ tests: 2, trials: 11 })
    const prov = core.workspace.catalogue.db
      .prepare('SELECT provenance FROM listening_tests WHERE id = ?')
      .get(r.id) as { provenance: string }
    expect(JSON.parse(prov.provenance)).toMatchObject({
      test: 'one-sided binomial',
      chance: 0.5,
      methods: ['retrieval']
    })
  })

  it('the CLI saves a test from a JSON file and lists it; a bad file is refused by name', () => {
    const root = resolve(__dirname, '..', '..')
    const b2m = (...args: string[]) => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'b2m.cjs'), ...args, '--workspace', join(dir, 'ws')], {
        cwd: root,
        encoding: 'utf8'
      })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    const file = join(dir, 'trials.json')
    const trial = { stimulusId: stim[1], clipA: clip[1], clipB: clip[0], correct: 'A', answer: 'A' }
    writeFileSync(file, JSON.stringify([trial, { ...trial, answer: 'B' }, trial]))
    const saved = b2m('listening', 'save', '--trials', file, '--model', String(decoder), '--json')
    expect(saved.code, saved.stderr).toBe(0)
    // 2 of 3: P(X >= 2) = (3 + 1) / 8
    expect(JSON.parse(saved.stdout)).toMatchObject({ modelId: decoder, n: 3, correct: 2, p: 0.5 })
    const list = b2m('listening', 'list', '--json')
    expect(list.code, list.stderr).toBe(0)
    expect((JSON.parse(list.stdout) as ListeningResult[]).at(-1)).toMatchObject({ n: 3, correct: 2, p: 0.5 })

    const before = counts()
    writeFileSync(file, JSON.stringify([{ ...trial, clipB: 999 }]))
    const bad = b2m('listening', 'save', '--trials', file)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain(file)
    expect(bad.stderr).toMatch(/trial 1: no clip 999/)
    writeFileSync(file, '{ not json')
    const broken = b2m('listening', 'save', '--trials', file)
    expect(broken.code).toBe(2)
    expect(broken.stderr).toMatch(/not a readable JSON file/)
    expect(counts()).toEqual(before)
  })

  it('refuses bad references, naming the trial and the problem, and writes nothing', async () => {
    const before = counts()
    const ok = { stimulusId: stim[0], clipA: clip[0], clipB: clip[1], correct: 'A', answer: 'B' }
    const refuse = async (params: unknown, code: string, message: RegExp) => {
      await expect(call('listening.save', params)).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message)
      })
    }
    await refuse({ trials: [ok, { ...ok, clipB: 9999 }] }, 'not_found', /trial 2: no clip 9999/)
    await refuse({ trials: [ok, { ...ok, stimulusId: 777 }] }, 'not_found', /trial 2: no stimulus 777/)
    await refuse({ trials: [{ ...ok, clipB: clip[0] }] }, 'bad_request', /trial 1: A and B are the same clip/)
    await refuse(
      { trials: [ok, ok, { ...ok, correct: 'B' }] },
      'bad_request',
      /trial 3: the side marked correct \(B, clip \d+\) was made for stimulus \d+, not \d+/
    )
    await refuse({ modelId: encoder, trials: [ok] }, 'bad_request', /is an encoder, not a decoder/)
    await refuse({ modelId: 4242, trials: [ok] }, 'not_found', /no model 4242/)
    await refuse({ trials: [] }, 'bad_request', /trials/)
    await refuse({ trials: [{ ...ok, answer: 'C' }] }, 'bad_request', /answer/)
    expect(counts()).toEqual(before)
  })

  it('a result outlives its model and its clips', async () => {
    const trials = [{ stimulusId: stim[1], clipA: clip[2], clipB: clip[1], correct: 'B', answer: 'B' }]
    const r = await call<ListeningResult>('listening.save', { modelId: decoder, trials })
    const db = core.workspace.catalogue.db
    db.prepare('DELETE FROM clips WHERE id = ?').run(clip[2])
    expect(new ListeningRepo(db).trials(r.id)).toEqual([{ ...trials[0], clipA: null }])
    // Deleting the model deletes its clips too (migration 1's cascade); the result stays, unattributed.
    db.prepare('DELETE FROM models WHERE id = ?').run(decoder)
    const after = (await call<ListeningResult[]>('listening.list')).find((x) => x.id === r.id)!
    expect(after).toMatchObject({ modelId: null, n: 1, correct: 1, p: 0.5 })
    expect(new ListeningRepo(db).trials(r.id)).toEqual([{ ...trials[0], clipA: null, clipB: null }])
  })
})
