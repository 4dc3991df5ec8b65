/**
 * Training end to end on the quick demo study (a simulated subject whose auditory voxels are driven by
 * the stimuli's built-in embedding): imported, preprocessed, stimuli attached and embedded through the
 * real job runner, then decoders and encoding models trained through the runner and checked against the
 * ground truth; determinism, ONNX export, cancellation and the errors a user meets.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import { ModelsRepo } from '../../src-main/catalogue/models'
import {
  ROLE_CORTEX,
  ROLE_CSF,
  ROLE_HESCHL,
  ROLE_STG,
  generateDemo,
  readGroundTruth,
  type GroundTruth
} from '../../src-main/demo'
import { readNifti, writeNifti } from '../../src-main/formats/nifti'
import { readNpy, writeNpy } from '../../src-main/formats/npy'
import { ridgePredict } from '../../src-main/ridge'
import {
  decoderOnnx,
  decoderTestPredictions,
  loadDecoderParts,
  pairFeatures,
  predictDecoder,
  trainDecoder,
  trainEncoding,
  voxelPearson
} from '../../src-main/train'
import type { Job, MapInfo, ModelDetail, ModelInfo } from '../../src-preload/api'
import { coreCalls, filesUnder, runCli } from '../helpers/core'

let dir: string
let core: Core
let truth: GroundTruth
let featureSet: string
let decoderId: number
let encoderId: number
let rolesPath: string

const { call, runJob, succeed } = coreCalls(() => core)

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}

/** What a failed or cancelled training must leave exactly as it was. */
function snapshot() {
  const ws = core.workspace
  return {
    counts: ws.catalogue.counts(),
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
  dir = mkdtempSync(join(tmpdir(), 'b2m-train-'))
  // one Training run (40 clips) and one Test run (10 clips x 4): the cheapest study that still decodes
  const demo = await generateDemo(join(dir, 'demo'), {
    quick: true,
    trainingRuns: 1,
    libraryPerGenre: 1,
    trackSeconds: 15,
    gzipLevel: 1
  })
  truth = readGroundTruth(demo.paths.groundTruth)
  rolesPath = join(demo.paths.groundTruth, 'roles.nii.gz')
  core = Core.open(join(dir, 'ws'), { face: 'cli', runJobs: true })
  await succeed('import.bids', { path: demo.paths.bids })
  await succeed('preprocess', { subject: 'sub-001' })
  await succeed('stimuli.attach', { folder: demo.paths.stimuli })
  // whole clips, 16 principal components: the space the simulated voxels are driven from
  featureSet = 'clips16'
  await succeed('features.compute', { name: featureSet, window: 15, step: 15, pca: 16 })
}, 300_000)

afterAll(async () => {
  await core?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('decoders', () => {
  it('decode the embedding from the whole mask well above chance and store the evaluation', async () => {
    const r = await succeed<{ modelId: number; identification: number; meanTestR: number }>('train.decoder', {
      subject: 'sub-001',
      featureSet
    })
    decoderId = r.modelId
    expect(r.identification).toBeGreaterThan(0.75)
    expect(r.meanTestR).toBeGreaterThan(0.2)
    const list = await call<ModelInfo[]>('models.list', { subject: 'sub-001' })
    const info = list.find((m) => m.id === decoderId)!
    expect(info).toMatchObject({
      kind: 'decoder',
      subject: 'sub-001',
      featureSet,
      trainRows: 40,
      testRows: 10,
      targets: 16
    })
    const d = await call<ModelDetail>('models.get', { id: decoderId })
    expect(d.alphas).toHaveLength(25)
    expect(d.cvCurve).toHaveLength(25)
    expect(d.alphaCounts.reduce((a, b) => a + b, 0)).toBe(16)
    expect(d.testRPerDim).toHaveLength(16)
    expect(d.voxelRHistogram).toBeNull()
    const ev = d.evaluation!
    expect(ev.n).toBe(10)
    expect(ev.identification).toBeCloseTo(r.identification, 12)
    expect(ev.perSample).toHaveLength(10)
    expect(ev.matrix).toHaveLength(100)
    expect(ev.oracle).toBe(1)
    expect(new Set(ev.genres).size).toBe(10)
    expect(ev.perGenre.map((g) => g.n)).toEqual(new Array(10).fill(1))
    // id_i recomputed from the stored matrix (Eq. 2)
    for (let i = 0; i < 10; i++) {
      let wins = 0
      for (let j = 0; j < 10; j++) if (j !== i && ev.matrix[i * 10 + i] > ev.matrix[i * 10 + j]) wins++
      expect(ev.perSample[i]).toBeCloseTo(wins / 9, 12)
    }
    // provenance: the hashes the catalogue holds for the arrays it was trained on
    const cat = core.workspace.catalogue
    const pre = cat.preprocessing.listBySubject(cat.subjects.getByLabel('sub-001')!.id)[0]
    const set = cat.featureSets.getByName(featureSet)!
    const prov = d.provenance as {
      data: { responses: { train: { sha256: string }; test: { sha256: string } }; features: { sha256: string } }
      codeVersion: string
      seed: number
    }
    expect(prov.data.responses.train.sha256).toBe(core.workspace.arrayRecord(pre.trainArrayId!).sha256)
    expect(prov.data.responses.test.sha256).toBe(core.workspace.arrayRecord(pre.testArrayId!).sha256)
    expect(prov.data.features.sha256).toBe(core.workspace.arrayRecord(set.arrayId!).sha256)
    expect(prov.codeVersion).toMatch(/^\d+\.\d+\.\d+/)
    expect(prov.seed).toBe(0)
    // the stored test predictions are what the decoder predicts from the averaged test responses
    const t = decoderTestPredictions(core.workspace, decoderId)
    expect([t.n, t.dim]).toEqual([10, 16])
    expect(t.stimulusIds).toEqual(ev.stimulusIds)
    const test = core.workspace.readArray(pre.testArrayId!)
    const p = predictDecoder(core.workspace, decoderId, test.data as Float32Array, test.shape[0])
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - t.pred[i])).toBeLessThan(1e-3 * (1 + Math.abs(t.pred[i])))
  }, 120_000)

  it('retraining with the same inputs gives identical weights', async () => {
    const again = await succeed<{ modelId: number }>('train.decoder', { subject: 'sub-001', featureSet, name: 'again' })
    const repo = new ModelsRepo(core.workspace.catalogue.db)
    const a = repo.get(decoderId)!
    const b = repo.get(again.modelId)!
    for (const name of ['part0.weights', 'part0.intercept', 'part0.alphas', 'part0.cv_scores'])
      expect(core.workspace.arrayRecord(b.arrays[name]).sha256).toBe(core.workspace.arrayRecord(a.arrays[name]).sha256)
    expect(b.provenance.data).toEqual(a.provenance.data)
    await call('models.delete', { id: again.modelId })
  }, 60_000)

  it('warns, logs and stores when chosen alphas sit on the grid edge', async () => {
    const job = await runJob('train.decoder', { subject: 'sub-001', featureSet, alphas: [0.001, 0.002] })
    expect(job.state).toBe('succeeded')
    const { modelId } = job.result as { modelId: number }
    const d = await call<ModelDetail>('models.get', { id: modelId })
    expect(d.edgeWarning).toMatch(/targets chose the largest alpha \(0\.002\); consider extending the grid upwards/)
    const log = await call<{ level: string; text: string }[]>('jobs.log', { id: job.id })
    expect(log.some((l) => l.level === 'warn' && l.text.includes('largest alpha'))).toBe(true)
    await call('models.delete', { id: modelId })
  }, 60_000)

  it('exports as ONNX: the graph in ONNX Runtime gives what ridgePredict gives', async () => {
    const rec = new ModelsRepo(core.workspace.catalogue.db).get(decoderId)!
    const bytes = decoderOnnx(core.workspace, rec)
    const cat = core.workspace.catalogue
    const pre = cat.preprocessing.listBySubject(cat.subjects.getByLabel('sub-001')!.id)[0]
    const test = core.workspace.readArray(pre.testArrayId!)
    const [n, C] = test.shape
    const session = await ort.InferenceSession.create(bytes)
    const out = await session.run({ responses: new ort.Tensor('float32', test.data as Float32Array, [n, C]) })
    const onnx = out.embedding.data as Float32Array
    await session.release()
    const [part] = loadDecoderParts(core.workspace, rec)
    const want = await ridgePredict(
      { weights: part.weights, intercept: part.intercept, nFeatures: C, nTargets: 16 },
      test.data as Float32Array,
      [n, C],
      core.sessions
    )
    expect(onnx.length).toBe(n * 16)
    let scale = 0
    for (const v of want) scale = Math.max(scale, Math.abs(v))
    for (let i = 0; i < want.length; i++) expect(Math.abs(onnx[i] - want[i])).toBeLessThan(1e-4 * scale)
  })

  it('an ROI ensemble keeps the top-k ROIs by CV score (the auditory ones) and averages them', async () => {
    // labels: 1 STG, 2 Heschl, 3-6 cortex in four slabs along y, 7 CSF
    const roles = await readNifti(rolesPath)
    const [X, Y] = roles.header.shape
    const labels = new Int16Array(roles.data.length)
    roles.data.forEach((r, f) => {
      const y = Math.floor(f / X) % Y
      labels[f] =
        r === ROLE_STG
          ? 1
          : r === ROLE_HESCHL
            ? 2
            : r === ROLE_CORTEX
              ? 3 + Math.floor((4 * y) / Y)
              : r === ROLE_CSF
                ? 7
                : 0
    })
    const file = join(dir, 'labels.nii.gz')
    await writeNifti(file, { dims: [...roles.header.shape], data: labels, affine: roles.header.affine })
    const r = await succeed<{ modelId: number; identification: number }>('train.decoder', {
      subject: 'sub-001',
      featureSet,
      selection: { kind: 'roi', labels: file, top: 2 },
      alphas: [1, 10, 100, 1000, 10000, 100000]
    })
    const rec = new ModelsRepo(core.workspace.catalogue.db).get(r.modelId)!
    const parts = rec.summary.parts as { name: string; cvScore: number }[]
    const cands = rec.summary.candidates as { name: string; cvScore: number }[]
    expect(cands).toHaveLength(7)
    expect(parts.map((p) => p.name).sort()).toEqual(['roi:1', 'roi:2'])
    expect(r.identification).toBeGreaterThan(0.7)
    const d = await call<ModelDetail>('models.get', { id: r.modelId })
    expect(d.alphas).toEqual([1, 10, 100, 1000, 10000, 100000])
    expect(d.alphaCounts.reduce((a, b) => a + b, 0)).toBe(32)
    // the ensemble's ONNX graph (Gather per ROI, averaged) matches the parts' ridgePredict mean
    const cat = core.workspace.catalogue
    const pre = cat.preprocessing.listBySubject(cat.subjects.getByLabel('sub-001')!.id)[0]
    const test = core.workspace.readArray(pre.testArrayId!)
    const [n, C] = test.shape
    const session = await ort.InferenceSession.create(decoderOnnx(core.workspace, rec))
    const out = (await session.run({ responses: new ort.Tensor('float32', test.data as Float32Array, [n, C]) }))
      .embedding.data as Float32Array
    await session.release()
    const want = new Float64Array(n * 16)
    for (const p of loadDecoderParts(core.workspace, rec)) {
      const xs = new Float32Array(n * p.columns.length)
      for (let i = 0; i < n; i++)
        for (let k = 0; k < p.columns.length; k++)
          xs[i * p.columns.length + k] = (test.data as Float32Array)[i * C + p.columns[k]]
      const y = await ridgePredict(
        { weights: p.weights, intercept: p.intercept, nFeatures: p.columns.length, nTargets: 16 },
        xs,
        [n, p.columns.length],
        core.sessions
      )
      y.forEach((v, i) => (want[i] += v / 2))
    }
    let scale = 0
    for (const v of want) scale = Math.max(scale, Math.abs(v))
    for (let i = 0; i < want.length; i++) expect(Math.abs(out[i] - want[i])).toBeLessThan(1e-4 * scale)
    await call('models.delete', { id: r.modelId })
  }, 120_000)
})

describe('encoding models', () => {
  it('predict every voxel: held-out r is highest where the ground truth drives, saved as .npy, NIfTI and a map', async () => {
    const before = (await call<MapInfo[]>('maps.list')).length
    const r = await succeed<{ modelId: number; meanTestR: number; mapId: number }>('train.encoding', {
      subject: 'sub-001',
      featureSet
    })
    encoderId = r.modelId
    const maps = await call<MapInfo[]>('maps.list')
    expect(maps).toHaveLength(before + 1)
    const map = maps.find((m) => m.id === r.mapId)!
    expect(map).toMatchObject({
      name: `sub-001 encoding r (${featureSet})`,
      kind: 'volume',
      modelId: encoderId,
      units: 'r'
    })
    const rec = new ModelsRepo(core.workspace.catalogue.db).get(encoderId)!
    const ev = new ModelsRepo(core.workspace.catalogue.db).evaluations(encoderId)[0]
    const rv = core.workspace.readArray(ev.arrays.r).data as Float32Array
    const column = maskColumns()
    expect(rv.length).toBe(column.size)
    // the NIfTI in the run's space: NaN outside the mask, the .npy's r inside
    const nii = await readNifti(map.sourcePath!)
    expect(nii.header.shape).toEqual([40, 50, 38])
    let nan = 0
    for (let f = 0; f < nii.data.length; f++) {
      const c = column.get(f)
      if (c === undefined) {
        if (Number.isNaN(nii.data[f])) nan++
      } else expect(nii.data[f]).toBe(rv[c])
    }
    expect(nan).toBe(nii.data.length - column.size)
    // driven voxels against the rest
    const good: number[] = []
    truth.voxels.forEach((v, j) => {
      const c = column.get(v)
      if (c !== undefined && truth.rTarget[j] >= 0.45) good.push(rv[c])
    })
    const others: number[] = []
    truth.roles.forEach((role, v) => {
      const c = column.get(v)
      if (role === ROLE_CORTEX && c !== undefined) others.push(rv[c])
    })
    expect(good.length).toBeGreaterThan(50)
    expect(median(good)).toBeGreaterThan(0.5)
    expect(Math.abs(median(others))).toBeLessThan(0.15)
    // FDR-significant voxels are mostly driven ones
    const sig = core.workspace.readArray(ev.arrays.significant).data as Uint8Array
    const driven = new Set<number>()
    truth.voxels.forEach((v) => column.has(v) && driven.add(column.get(v)!))
    let hits = 0
    let total = 0
    sig.forEach((s, c) => {
      if (!s) return
      total++
      if (driven.has(c)) hits++
    })
    // 10 test clips and ~20,000 tests: BH keeps only the strongest voxels, nearly all of them driven ones
    expect(total).toBeGreaterThan(5)
    expect(hits / total).toBeGreaterThan(0.8)
    expect(rec.summary.significant).toBe(total)
    // the map carries the p-values and the q-mask for the Cortex view's threshold
    const mrec = core.workspace.catalogue.maps.get(r.mapId)!
    const sigVol = core.workspace.readArray(mrec.significanceArrayId!).data as Uint8Array
    expect(sigVol.reduce((a, b) => a + b, 0)).toBe(total)
    const pVol = core.workspace.readArray(mrec.pvaluesArrayId!).data as Float32Array
    expect(Number.isNaN(pVol[0])).toBe(true)
    const d = await call<ModelDetail>('models.get', { id: encoderId })
    expect(d.mapId).toBe(r.mapId)
    expect(d.targets).toBe(column.size)
    expect(d.voxelRHistogram!.counts.reduce((a, b) => a + b, 0)).toBe(column.size)
    expect(d.evaluation).toBeNull()
    expect(r.meanTestR).toBeCloseTo(d.meanTestR!, 12)
  }, 120_000)

  it('select decoder voxels by encoding-model CV r', async () => {
    const r = await succeed<{ modelId: number; identification: number }>('train.decoder', {
      subject: 'sub-001',
      featureSet,
      selection: { kind: 'encoding', threshold: 0.3, encodingModel: encoderId }
    })
    const rec = new ModelsRepo(core.workspace.catalogue.db).get(r.modelId)!
    const parts = rec.summary.parts as { columns: number }[]
    expect(parts[0].columns).toBeGreaterThan(50)
    expect(parts[0].columns).toBeLessThan(maskColumns().size / 4)
    expect(r.identification).toBeGreaterThan(0.75)
    await call('models.delete', { id: r.modelId })
    const bad = await runJob('train.decoder', {
      subject: 'sub-001',
      featureSet,
      selection: { kind: 'encoding', threshold: 0.99, encodingModel: encoderId }
    })
    expect(bad.state).toBe('failed')
    expect(bad.error).toMatch(/no voxel of encoding model \d+ has a CV r above 0.99/)
  }, 120_000)

  it('FIR delays: an encoding model per delay block on a delayed preprocessing', async () => {
    const missing = await runJob('train.encoding', { subject: 'sub-001', featureSet, delays: [2, 3, 4] })
    expect(missing.state).toBe('failed')
    expect(missing.error).toMatch(/no preprocessing with FIR delays \[2, 3, 4\]/)
    await succeed('preprocess', { subject: 'sub-001', delays: [2, 3, 4] })
    const r = await succeed<{ modelId: number; meanTestR: number }>('train.encoding', {
      subject: 'sub-001',
      featureSet,
      delays: [2, 3, 4],
      alphas: [1, 100, 10000]
    })
    const rec = new ModelsRepo(core.workspace.catalogue.db).get(r.modelId)!
    const column = maskColumns()
    expect(rec.summary).toMatchObject({ targets: column.size, columns: 3 * column.size, delays: [2, 3, 4] })
    const ev = new ModelsRepo(core.workspace.catalogue.db).evaluations(r.modelId)[0]
    const rv = core.workspace.readArray(ev.arrays.r).data as Float32Array
    const good: number[] = []
    truth.voxels.forEach((v, j) => {
      const c = column.get(v)
      if (c !== undefined && truth.rTarget[j] >= 0.45) good.push(rv[c])
    })
    expect(median(good)).toBeGreaterThan(0.4)
    await call('models.delete', { id: r.modelId })
  }, 120_000)
})

describe('cancellation and errors', () => {
  it('a cancelled training leaves catalogue and workspace as they were', async () => {
    const before = snapshot()
    // in-process, stopped at a fixed point of the work: both directions
    for (const after of [1, 3]) {
      let calls = 0
      const hooks = {
        progress: () => void calls++,
        log: () => {},
        cancelled: () => calls > after,
        sessions: core.sessions
      }
      await expect(trainEncoding(core.workspace, { subject: 'sub-001', featureSet }, hooks)).rejects.toThrow(
        /cancelled/
      )
      calls = 0
      await expect(trainDecoder(core.workspace, { subject: 'sub-001', featureSet }, hooks)).rejects.toThrow(/cancelled/)
    }
    // through the runner, cancelled while it works (one ridge fit per ROI: the commit is far away)
    const roles = await readNifti(rolesPath)
    const labels = new Int16Array(roles.data.length)
    labels.forEach((_, f) => (labels[f] = 1 + (f % 60)))
    const file = join(dir, 'many-labels.nii.gz')
    await writeNifti(file, { dims: [...roles.header.shape], data: labels, affine: roles.header.affine })
    const mid = snapshot()
    const job = await call<Job>('jobs.start', {
      kind: 'train.decoder',
      params: { subject: 'sub-001', featureSet, selection: { kind: 'roi', labels: file } }
    })
    const seen = new Promise<void>((res) => {
      const off = core.events.on('job.update', (j) => {
        if (j.id === job.id && j.progress > 0.06) {
          off()
          res()
        }
      })
    })
    await seen
    await call('jobs.cancel', { id: job.id })
    const end = await core.jobs.waitFor(job.id)
    expect(end.state).toBe('cancelled')
    const after = snapshot()
    expect(after.arrays).toEqual(mid.arrays)
    expect(after.trained).toEqual(mid.trained)
    expect(after.tmp).toEqual([])
    expect(after.maps).toBe(before.maps)
    expect({ ...after.counts, jobs: 0 }).toEqual({ ...before.counts, jobs: 0 })
  }, 120_000)

  it('says clearly what is wrong: unknown subject, feature set without test rows, mismatched shapes', async () => {
    const before = snapshot()
    const unknown = await runJob('train.decoder', { subject: 'sub-009', featureSet })
    expect(unknown.state).toBe('failed')
    expect(unknown.error).toMatch(/no subject sub-009 in the catalogue \(known: sub-001\)/)
    const noSet = await runJob('train.encoding', { subject: 'sub-001', featureSet: 'nope' })
    expect(noSet.error).toMatch(/no feature set named "nope"/)

    // a feature set computed while the test stimuli had no audio: training rows only
    const ws = core.workspace
    const cat = ws.catalogue
    const set = cat.featureSets.getByName(featureSet)!
    const rows = cat.featureSets.rows(set.id)
    const keep = rows.map((r, i) => (r.role === 'train' ? i : -1)).filter((i) => i >= 0)
    const src = ws.readArray(set.arrayId!).data as Float32Array
    const data = new Float32Array(keep.length * 16)
    keep.forEach((r, k) => data.set(src.subarray(r * 16, r * 16 + 16), k * 16))
    const trainOnly = ws.catalogue.transaction(() => {
      const rec = ws.writeArray(
        'features/train-only/features.npy',
        { dtype: 'float32', shape: [keep.length, 16], data },
        'features'
      )
      return cat.featureSets.create({
        name: 'train-only',
        extractor: set.extractor,
        params: set.params,
        dim: 16,
        arrayId: rec.id,
        rows: keep.map((i) => rows[i]),
        transform: null,
        provenance: {}
      })
    })
    const base = snapshot()
    const noTest = await runJob('train.decoder', { subject: 'sub-001', featureSet: 'train-only' })
    expect(noTest.state).toBe('failed')
    expect(noTest.error).toMatch(/feature set "train-only" has no rows for any test samples/)

    // a label volume on another grid: the file and both shapes are named
    const small = join(dir, 'small-labels.nii.gz')
    await writeNifti(small, { dims: [10, 10, 10], data: new Int16Array(1000).fill(1) })
    const wrong = await runJob('train.decoder', {
      subject: 'sub-001',
      featureSet,
      selection: { kind: 'roi', labels: small }
    })
    expect(wrong.error).toContain(small)
    expect(wrong.error).toMatch(/label volume is 10x10x10 but the runs' voxel grid is 40x50x38/)
    const after = snapshot()
    expect(after.arrays).toEqual(base.arrays)
    expect(after.trained).toEqual(before.trained)
    expect(after.tmp).toEqual([])
    expect(after.counts.models).toBe(before.counts.models)
    expect(trainOnly.id).toBeGreaterThan(set.id)
  }, 120_000)

  it('pairs whole-clip responses with the mean of a windowed set’s windows', () => {
    const rows = [0, 1, 2].map((w) => ({
      stimulusId: 7,
      key: 'jazz.3@1.5',
      windowIndex: w,
      windowStart: w * 2.5,
      windowEnd: w * 2.5 + 10,
      role: 'train' as const
    }))
    const feats = Float32Array.from([1, 2, 3, 4, 5, 6])
    const whole = { genre: 'jazz', track: 3, start: 1.5, windowStart: 0, windowEnd: 15 }
    const p = pairFeatures(rows, feats, 2, [whole, { ...whole, windowStart: 2.5, windowEnd: 12.5 }], 'training', 's')
    expect(Array.from(p.data)).toEqual([3, 4, 3, 4])
    expect(p.averaged).toBe(1)
    expect(Array.from(p.stimuli)).toEqual([7, 7])
    expect(() => pairFeatures(rows, feats, 2, [{ ...whole, genre: 'pop' }], 'test', 's')).toThrow(
      /feature set "s" has no rows for any test samples, e\.g\. pop\.3@1\.5/
    )
    const r = voxelPearson(Float32Array.from([1, 5, 2, 6, 3, 7]), Float32Array.from([2, 1, 4, 2, 6, 3]), 3, 1, 2)
    expect(r[0]).toBeCloseTo(-0.2834734, 6)
  })

  it('deleting a model removes its evaluation, map, arrays and files', async () => {
    const d = await call<ModelDetail>('models.get', { id: encoderId })
    const rec = new ModelsRepo(core.workspace.catalogue.db).get(encoderId)!
    const mrec = core.workspace.catalogue.maps.get(d.mapId!)!
    const ids = [...Object.values(rec.arrays), mrec.arrayId!, mrec.pvaluesArrayId!, mrec.significanceArrayId!]
    const paths = ids.map((a) => core.workspace.arrayPath(core.workspace.arrayRecord(a).relPath))
    const nifti = join(core.workspace.root, rec.summary.nifti as string)
    expect(existsSync(nifti)).toBe(true)
    expect(paths.every((p) => existsSync(p))).toBe(true)
    const hash = createHash('sha256').update(readFileSync(nifti)).digest('hex')
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    await call('models.delete', { id: encoderId })
    expect(paths.some((p) => existsSync(p))).toBe(false)
    expect(ids.some((a) => core.workspace.catalogue.arrays.get(a) !== undefined)).toBe(false)
    expect(existsSync(nifti)).toBe(false)
    expect((await call<MapInfo[]>('maps.list')).some((m) => m.id === d.mapId)).toBe(false)
    await expect(call('models.get', { id: encoderId })).rejects.toThrow(/no model/)
  })
})

describe('training from the CLI', () => {
  const b2m = (...args: string[]) => runCli(core.workspace.root, args)

  beforeAll(async () => {
    // the CLI runs its own jobs: give the workspace's job lock back
    await core.close()
  })

  it('ridge fit / predict on .npy files, a decoder trained and exported, and clear errors', async () => {
    const n = 60
    const p = 12
    const t = 3
    let s = 7
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
    const x = Float32Array.from({ length: n * p }, rnd)
    const w = Float32Array.from({ length: p * t }, rnd)
    const y = new Float32Array(n * t)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < t; j++) {
        let v = 0.5 + 0.1 * rnd()
        for (let k = 0; k < p; k++) v += x[i * p + k] * w[k * t + j]
        y[i * t + j] = v
      }
    const xf = join(dir, 'X.npy')
    const yf = join(dir, 'Y.npy')
    const short = join(dir, 'Yshort.npy')
    writeNpy(xf, { dtype: 'float32', shape: [n, p], data: x })
    writeNpy(yf, { dtype: 'float32', shape: [n, t], data: y })
    writeNpy(short, { dtype: 'float32', shape: [n - 1, t], data: y.subarray(0, (n - 1) * t) })
    const model = join(dir, 'ridge-model')
    const onnx = join(dir, 'decoder.onnx')
    const [fit, bad, list, exp, dec] = await Promise.all([
      b2m('ridge', 'fit', '--x', xf, '--y', yf, '--alphas', '0.01,0.1,1,10', '--folds', '5', '--out', model, '--json'),
      b2m('ridge', 'fit', '--x', xf, '--y', short, '--out', join(dir, 'never'), '--json'),
      b2m('models', 'list', '--json'),
      b2m('models', 'export-onnx', String(decoderId), '--out', onnx, '--json'),
      b2m(
        'train',
        'decoder',
        '--subject',
        'sub-001',
        '--feature-set',
        featureSet,
        '--selection',
        'encoding:0.5',
        '--json'
      )
    ])
    expect(fit.code).toBe(0)
    expect(JSON.parse(fit.stdout)).toMatchObject({
      samples: n,
      features: p,
      targets: t,
      folds: 5,
      alphaGrid: [0.01, 0.1, 1, 10]
    })
    for (const f of ['weights.npy', 'intercept.npy', 'alphas.npy', 'cv_scores.npy', 'model.json'])
      expect(existsSync(join(model, f))).toBe(true)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(xf)
    expect(bad.stderr).toContain(short)
    expect(bad.stderr).toMatch(/has 60 samples but Y .* has 59/)
    expect(existsSync(join(dir, 'never'))).toBe(false)
    expect(JSON.parse(list.stdout).some((m: ModelInfo) => m.id === decoderId)).toBe(true)
    expect(exp.code).toBe(0)
    expect(JSON.parse(exp.stdout)).toMatchObject({
      out: onnx,
      input: { name: 'responses' },
      output: { name: 'embedding' }
    })
    expect(readFileSync(onnx).length).toBeGreaterThan(1000)
    // no encoding model is left (deleted above): the selection says what to do
    expect(dec.code).toBe(1)
    expect(dec.stderr).toMatch(/has no encoding model on feature set "clips16" to select voxels by/)

    const pred = join(dir, 'P.npy')
    const pr = await b2m('ridge', 'predict', '--model', model, '--x', xf, '--out', pred, '--json')
    expect(pr.code).toBe(0)
    const P = readNpy(pred)
    expect(P.shape).toEqual([n, t])
    const W = readNpy(join(model, 'weights.npy')).data as Float32Array
    const b = readNpy(join(model, 'intercept.npy')).data as Float32Array
    for (let i = 0; i < n; i++)
      for (let j = 0; j < t; j++) {
        let v = b[j]
        for (let k = 0; k < p; k++) v += x[i * p + k] * W[k * t + j]
        expect((P.data as Float32Array)[i * t + j]).toBeCloseTo(v, 4)
      }
    const wrong = await b2m('ridge', 'predict', '--model', model, '--x', yf, '--out', pred)
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toMatch(/X has 3 features but the model in .* expects 12/)
  }, 120_000)
})
