/**
 * The evaluation analyses of stored models, run through the real job runner on the quick demo study (built
 * as tests/core/train.test.ts builds it: generated, imported, preprocessed, stimuli attached and embedded):
 * a decoder's genre generalisation (retrained without each genre) and an encoding model's clip-permutation
 * null, checked against the simulation's ground truth; determinism by seed, cancellation, clear errors,
 * the CLI and the report section.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import { ModelsRepo } from '../../src-main/catalogue/models'
import { ROLE_CORTEX, generateDemo, readGroundTruth, type GroundTruth } from '../../src-main/demo'
import { benjaminiHochberg, clipPermutationTest, identificationAccuracy } from '../../src-main/evaluate'
import {
  decoderTestPredictions,
  evaluateEncodingPermutation,
  evaluateGenreGeneralisation,
  voxelPearson
} from '../../src-main/train'
import { unstackDelays } from '../../src-main/train/permutation'
import type { GenreGeneralisation, Job, MapInfo, ModelDetail, PermutationEvaluation } from '../../src-preload/api'
import { coreCalls, filesUnder, runCli } from '../helpers/core'

let dir: string
let core: Core
let truth: GroundTruth
const featureSet = 'clips16'
let decoderId: number
let encoderId: number
let genres: GenreGeneralisation
let perm: PermutationEvaluation
let cliReference: PermutationEvaluation

const { call, runJob, succeed } = coreCalls(() => core)

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}

/** What a failed or cancelled analysis must leave exactly as it was. */
function snapshot() {
  const ws = core.workspace
  return {
    counts: { ...ws.catalogue.counts(), jobs: 0 },
    evaluations: [decoderId, encoderId].map((id) => new ModelsRepo(ws.catalogue.db).evaluations(id).length),
    maps: ws.catalogue.maps.list().length,
    arrays: filesUnder(ws.arraysDir),
    trained: filesUnder(join(ws.root, 'trained')),
    tmp: filesUnder(ws.tmpDir)
  }
}

/** Response column of each mask voxel (flat index -> column). */
function maskColumns(): Map<number, number> {
  const cat = core.workspace.catalogue
  const subject = cat.subjects.getByLabel('sub-001')!
  const mask = core.workspace.readArray(cat.subjects.grid(subject.id)!.maskArrayId).data as Uint8Array
  const column = new Map<number, number>()
  let k = 0
  for (let v = 0; v < mask.length; v++) if (mask[v]) column.set(v, k++)
  return column
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-evaljobs-'))
  // one Training run (40 clips, 4 a genre) and one Test run (10 clips, one a genre, 4 repeats)
  const demo = await generateDemo(join(dir, 'demo'), {
    quick: true,
    trainingRuns: 1,
    libraryPerGenre: 1,
    trackSeconds: 15,
    gzipLevel: 1
  })
  truth = readGroundTruth(demo.paths.groundTruth)
  core = Core.open(join(dir, 'ws'), { face: 'cli', runJobs: true })
  await succeed('import.bids', { path: demo.paths.bids })
  await succeed('preprocess', { subject: 'sub-001' })
  await succeed('stimuli.attach', { folder: demo.paths.stimuli })
  await succeed('features.compute', { name: featureSet, window: 15, step: 15, pca: 16 })
  decoderId = (await succeed<{ modelId: number }>('train.decoder', { subject: 'sub-001', featureSet })).modelId
  encoderId = (await succeed<{ modelId: number }>('train.encoding', { subject: 'sub-001', featureSet })).modelId
}, 400_000)

afterAll(async () => {
  await core?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('eval.genres: genre generalisation of a decoder', () => {
  it('decodes held-out genres above chance, below the full decoder, and stores the evaluation', async () => {
    const before = await call<ModelDetail>('models.get', { id: decoderId })
    expect(before.genreGeneralisation).toBeUndefined()
    const logs: string[] = []
    const job = await call<Job>('jobs.start', { kind: 'eval.genres', params: { model: decoderId } })
    const off = core.events.on('job.log', (l) => l.jobId === job.id && logs.push(l.text))
    const end = await core.jobs.waitFor(job.id)
    off()
    expect(end.state, end.error ?? '').toBe('succeeded')
    genres = end.result as GenreGeneralisation
    // one retraining per held-out genre, each logged
    for (const g of genres.genres)
      expect(logs.some((m) => m.startsWith(`without ${g.genre}: 36 training rows`))).toBe(true)

    expect(genres.comparison).toBe('all-test-clips')
    expect(genres.n).toBe(10)
    expect(genres.genres).toHaveLength(10)
    for (const g of genres.genres) {
      expect(g.n).toBe(1)
      expect(g.trainRowsRemoved).toBe(4)
      // one clip a genre: no within-genre identification, no r across the genre's clips
      expect(g.withinGenre).toBeNull()
      expect(g.heldOut.meanR).toBeNull()
    }
    // the voxel-driven part of each held-out prediction (the fold decoder's training mean taken off) picks
    // out its clip among all test clips for most genres, though worse than the decoder that saw the genre
    const centred = genres.genres.map((g) => g.centred.identification!)
    expect(centred.filter((a) => a > 0.5).length).toBeGreaterThanOrEqual(7)
    expect(genres.centred.identification!).toBeGreaterThan(0.6)
    expect(genres.centred.meanOverGenres!).toBeCloseTo(genres.centred.identification!, 10)
    expect(genres.centred.identification!).toBeLessThan(genres.full.identification!)
    expect(genres.centred.meanR!).toBeLessThan(genres.full.meanR!)
    // as predicted, the training mean without a genre points away from it: the raw scores are lower still
    expect(genres.heldOut.identification!).toBeLessThan(genres.centred.identification!)
    expect(genres.heldOut.meanR!).toBeLessThan(genres.centred.meanR!)
    expect(genres.heldOut.meanOverGenres!).toBeCloseTo(genres.heldOut.identification!, 10)
    // the full decoder's numbers are its stored evaluation's
    expect(genres.full.identification).toBeCloseTo(before.identification!, 10)
    for (const g of genres.genres) {
      const i = before.evaluation!.genres.indexOf(g.genre)
      expect(g.full.identification).toBeCloseTo(before.evaluation!.perSample[i], 10)
    }

    // stored: the held-out predictions as an array, re-scored independently give the same accuracy
    const repo = new ModelsRepo(core.workspace.catalogue.db)
    const ev = repo.evaluations(decoderId).find((e) => e.id === genres.evaluationId)!
    expect(ev.metrics.kind).toBe('genre-generalisation')
    const pred = core.workspace.readArray(ev.arrays.pred, { verify: true })
    expect(pred.shape).toEqual([10, 16])
    const t = decoderTestPredictions(core.workspace, decoderId)
    const id = await identificationAccuracy(core.sessions, pred.data as Float32Array, t.truth, t.n, t.dim)
    expect(id.accuracy).toBeCloseTo(genres.heldOut.identification!, 6)
    // held-out predictions differ from the full decoder's (each came from a decoder without its genre)
    expect(Array.from(pred.data as Float32Array)).not.toEqual(Array.from(t.pred))

    // models.get: the new field, every existing one intact
    const after = await call<ModelDetail>('models.get', { id: decoderId })
    expect(after.genreGeneralisation).toEqual(genres)
    expect({ ...after, genreGeneralisation: undefined }).toEqual({ ...before, genreGeneralisation: undefined })
  }, 300_000)

  it('the report shows the genre generalisation table and bars', async () => {
    const out = join(dir, 'report', 'report.html')
    await succeed('report.write', { subject: 'sub-001', out, screenshot: false })
    const html = readFileSync(out, 'utf8')
    expect(html).toContain('<h3>Genre generalisation</h3>')
    expect(html).toContain('Identification of held-out genres')
    for (const g of genres.genres) expect(html).toContain(`<td>${g.genre}</td>`)
    expect(html).toContain(genres.heldOut.identification!.toFixed(3))
  }, 120_000)
})

describe('eval.permutation: clip-permutation null of an encoding model', () => {
  it('gives uniform p for undriven voxels, small p for driven ones, a map and the analytic comparison', async () => {
    const beforeDetail = await call<ModelDetail>('models.get', { id: encoderId })
    const logs: string[] = []
    const job = await call<Job>('jobs.start', { kind: 'eval.permutation', params: { model: encoderId } })
    const off = core.events.on('job.log', (l) => l.jobId === job.id && logs.push(l.text))
    const end = await core.jobs.waitFor(job.id)
    off()
    expect(end.state, end.error ?? '').toBe('succeeded')
    perm = end.result as PermutationEvaluation
    expect(perm).toMatchObject({ permutations: 1000, seed: 0, q: 0.05, clips: 10, exchangeableClips: 10 })
    expect(perm.minP).toBeCloseTo(1 / 1001, 12)
    const repo = new ModelsRepo(core.workspace.catalogue.db)
    const ev = repo.evaluations(encoderId).find((e) => e.id === perm.evaluationId)!
    expect(ev.metrics.kind).toBe('clip-permutation')
    const p = core.workspace.readArray(ev.arrays.p, { verify: true }).data as Float64Array
    const column = maskColumns()
    expect(p.length).toBe(column.size)
    // p on the permutation grid: (1 + k) / 1001
    for (let v = 0; v < p.length; v += 97) expect(Math.abs(p[v] * 1001 - Math.round(p[v] * 1001))).toBeLessThan(1e-6)

    const driven: number[] = []
    truth.voxels.forEach((v, j) => {
      const c = column.get(v)
      if (c !== undefined && truth.rTarget[j] >= 0.45) driven.push(p[c])
    })
    const others: number[] = []
    truth.roles.forEach((role, v) => {
      const c = column.get(v)
      if (role === ROLE_CORTEX && c !== undefined) others.push(p[c])
    })
    expect(driven.length).toBeGreaterThan(50)
    expect(others.length).toBeGreaterThan(500)
    expect(median(driven)).toBeLessThan(0.01)
    const small = others.filter((x) => x < 0.05).length / others.length
    expect(small).toBeGreaterThan(0.01)
    expect(small).toBeLessThan(0.1)
    expect(median(others)).toBeGreaterThan(0.3)
    expect(median(others)).toBeLessThan(0.7)

    // the comparison with the analytic p of training, recounted here
    const analyticP = core.workspace.readArray(repo.evaluations(encoderId)[0].arrays.p).data as Float64Array
    const a = benjaminiHochberg(analyticP, 0.05)
    const b = benjaminiHochberg(p, 0.05)
    let both = 0
    for (let v = 0; v < p.length; v++) if (a.significant[v] && b.significant[v]) both++
    expect(perm.significant).toEqual({
      permutation: b.count,
      analytic: a.count,
      both,
      permutationOnly: b.count - both,
      analyticOnly: a.count - both
    })
    // p >= 1/(n+1): BH over every voxel passes those at the floor only when 1/(n+1) <= q * atMinP / tests,
    // and says how many permutations it would take when it cannot
    let floor = 0
    for (const x of p) if (x === perm.minP) floor++
    expect(perm.atMinP).toBe(floor)
    const reachable = perm.minP <= (0.05 * perm.atMinP) / perm.tests
    expect(b.count > 0).toBe(reachable)
    expect(logs.some((l) => /use at least \d+ permutations/.test(l))).toBe(!reachable)

    // the map: the held-out r with the permutation p's FDR mask, for the Cortex view's FDR toggle
    const maps = await call<MapInfo[]>('maps.list')
    const original = maps.find((m) => m.id === beforeDetail.mapId)!
    const map = maps.find((m) => m.id === perm.mapId)!
    expect(map.name).toBe(`${original.name} (permutation p)`)
    expect(map.modelId).toBe(encoderId)
    expect(map.significance).toMatchObject({ q: 0.05, tests: b.tests, significant: b.count })

    // models.get: the new field; the histogram and the original map still the training's
    const after = await call<ModelDetail>('models.get', { id: encoderId })
    expect(after.permutationTest).toEqual(perm)
    expect(after.mapId).toBe(beforeDetail.mapId)
    expect(after.voxelRHistogram).toEqual(beforeDetail.voxelRHistogram)
  }, 300_000)

  it('FIR models: rows x delays unstacked, the observed r is the r pooled over rows and delays', async () => {
    const rows = 12
    const V = 7
    const D = 3
    let s = 11
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
    const pred = Float32Array.from({ length: rows * D * V }, rnd)
    const meas = Float32Array.from(pred, (x) => 0.5 * x + rnd())
    const clips = new Int32Array(rows * D)
    for (let i = 0; i < rows; i++) clips.fill(i >> 1, i * D, (i + 1) * D)
    const r = await clipPermutationTest({
      predicted: unstackDelays(pred, rows, V, D),
      measured: unstackDelays(meas, rows, V, D),
      n: rows * D,
      voxels: V,
      clips,
      permutations: 10
    })
    const pooled = voxelPearson(pred, meas, rows, V, D)
    for (let v = 0; v < V; v++) expect(r.r[v]).toBeCloseTo(pooled[v], 5)
    expect(r.clips).toBe(rows / 2)
  })

  it('the same seed gives the same p-values, another seed other ones', async () => {
    const hooks = { progress: () => {}, log: () => {}, cancelled: () => false, sessions: core.sessions }
    const repo = new ModelsRepo(core.workspace.catalogue.db)
    const pOf = (id: number) =>
      Array.from(core.workspace.readArray(repo.evaluations(encoderId).find((e) => e.id === id)!.arrays.p).data)
    const a = await evaluateEncodingPermutation(core.workspace, encoderId, { permutations: 200, seed: 5 }, hooks)
    const b = await evaluateEncodingPermutation(core.workspace, encoderId, { permutations: 200, seed: 5 }, hooks)
    const c = await evaluateEncodingPermutation(core.workspace, encoderId, { permutations: 200, seed: 6 }, hooks)
    expect(pOf(b.evaluationId)).toEqual(pOf(a.evaluationId))
    expect(pOf(c.evaluationId)).not.toEqual(pOf(a.evaluationId))
    expect(a.significant).toEqual(b.significant)
    // the latest run is what models.get shows
    expect((await call<ModelDetail>('models.get', { id: encoderId })).permutationTest?.evaluationId).toBe(
      c.evaluationId
    )
    // the CLI test below runs the same analysis
    cliReference = await evaluateEncodingPermutation(core.workspace, encoderId, { permutations: 100, seed: 3 }, hooks)
  }, 120_000)
})

describe('cancellation and errors', () => {
  it('a cancelled analysis leaves catalogue and workspace as they were', async () => {
    const before = snapshot()
    for (const after of [1, 4]) {
      let calls = 0
      const hooks = {
        progress: () => void calls++,
        log: () => {},
        cancelled: () => calls > after,
        sessions: core.sessions
      }
      await expect(evaluateGenreGeneralisation(core.workspace, decoderId, hooks)).rejects.toThrow(/cancelled/)
      calls = 0
      await expect(evaluateEncodingPermutation(core.workspace, encoderId, {}, hooks)).rejects.toThrow(/cancelled/)
    }
    expect(snapshot()).toEqual(before)
    // through the runner, cancelled while it works
    for (const [kind, params] of [
      ['eval.genres', { model: decoderId }],
      ['eval.permutation', { model: encoderId, permutations: 20000 }]
    ] as const) {
      const job = await call<Job>('jobs.start', { kind, params })
      await new Promise<void>((res) => {
        const off = core.events.on('job.update', (j) => {
          if (j.id === job.id && j.progress > 0.1) {
            off()
            res()
          }
        })
      })
      await call('jobs.cancel', { id: job.id })
      expect((await core.jobs.waitFor(job.id)).state).toBe('cancelled')
      expect(snapshot()).toEqual(before)
    }
  }, 300_000)

  it('says clearly what is wrong: not a decoder, not an encoding model, unknown model, bad parameters', async () => {
    const before = snapshot()
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['eval.genres', { model: encoderId }, new RegExp(`model ${encoderId} .* is an encoding model, not a decoder`)],
      [
        'eval.permutation',
        { model: decoderId },
        new RegExp(`model ${decoderId} .* is a decoder, not an encoding model`)
      ],
      ['eval.genres', { model: 9999 }, /no model 9999/],
      ['eval.permutation', { model: 9999 }, /no model 9999/]
    ]
    for (const [kind, params, msg] of cases) {
      const job = await runJob(kind, params)
      expect(job.state).toBe('failed')
      expect(job.error).toMatch(msg)
    }
    await expect(
      call('jobs.start', { kind: 'eval.permutation', params: { model: encoderId, q: 1.5 } })
    ).rejects.toThrow(/q/)
    await expect(
      call('jobs.start', { kind: 'eval.permutation', params: { model: encoderId, permutations: 0 } })
    ).rejects.toThrow(/permutations/)
    expect(snapshot()).toEqual(before)
  }, 120_000)
})

describe('from the CLI', () => {
  const b2m = (...args: string[]) => runCli(core.workspace.root, args)

  beforeAll(async () => {
    // the CLI runs its own jobs: give the workspace's job lock back
    await core.close()
  })

  it('b2m eval permutation / genres --json, and errors naming the problem', async () => {
    const ok = await b2m('eval', 'permutation', '--model', String(encoderId), '--n', '100', '--seed', '3', '--json')
    expect(ok.code, ok.stderr).toBe(0)
    const r = JSON.parse(ok.stdout) as PermutationEvaluation
    expect(r).toMatchObject({ modelId: encoderId, permutations: 100, seed: 3, q: 0.05 })
    // the same analysis as in-process with the same seed: the same p-values, so the same counts
    expect(r.significant).toEqual(cliReference.significant)
    expect(r.atMinP).toBe(cliReference.atMinP)
    expect(r.evaluationId).toBeGreaterThan(cliReference.evaluationId)
    // eval genres from the CLI: retraining the same configuration again gives the same numbers
    const g = await b2m('eval', 'genres', '--model', String(decoderId), '--json')
    expect(g.code, g.stderr).toBe(0)
    const gr = JSON.parse(g.stdout) as GenreGeneralisation
    expect(gr.evaluationId).not.toBe(genres.evaluationId)
    expect({ ...gr, evaluationId: 0, seconds: 0 }).toEqual({ ...genres, evaluationId: 0, seconds: 0 })
    const wrong = await b2m('eval', 'genres', '--model', String(encoderId), '--json')
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/is an encoding model, not a decoder/)
    const badQ = await b2m('eval', 'permutation', '--model', String(encoderId), '--q', '2')
    expect(badQ.code).toBe(2)
    expect(badQ.stderr).toMatch(/--q 2/)
  }, 180_000)
})
