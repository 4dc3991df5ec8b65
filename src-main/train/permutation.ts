/**
 * A clip-permutation null for a stored encoding model's per-voxel held-out r (evaluate/permutation.ts
 * `clipPermutationTest`): the model's test predictions are recomputed from its stored weights, whole test
 * clips are reassigned to one another (rows of a clip, and FIR delay copies, move together) and r is
 * recomputed per voxel; p = (1 + #{r_perm >= r_obs}) / (1 + permutations), BH-FDR at q.
 *
 * Stored as an evaluation of the model (metrics kind 'clip-permutation'; arrays p, q, significant) and as
 * a second map "<encoding map> (permutation p)": the same r values carrying the permutation p-values and
 * their FDR mask, so the Cortex view's FDR toggle shows the permutation mask beside the analytic one (the
 * original map keeps its analytic p-values). The result counts voxels significant both ways.
 */
import type { EvalPermutationParams, PermutationEvaluation } from '../../src-preload/api'
import { ModelsRepo } from '../catalogue/models'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { PermutationCancelled, benjaminiHochberg, clipPermutationTest, pearsonPValues } from '../evaluate'
import { SessionManager } from '../onnx/sessions'
import { ridgePredict } from '../ridge'
import { stageMapSignificance } from '../surface/maps'
import type { Workspace } from '../workspace'
import { TrainCancelled, type TrainHooks, testEvaluation } from './common'
import { loadTrainingData, maskVoxels } from './data'
import { modelRecord } from './store'

export const CLIP_PERMUTATION = 'clip-permutation'

/**
 * Rows (row, delay) of a delay-major rows x (D*V) matrix as (rows*D) x V, so that r pooled over rows and
 * delays (voxelPearson) is a plain column correlation; a no-op view when D = 1.
 */
export function unstackDelays(a: Float32Array, rows: number, voxels: number, delays: number): Float32Array {
  if (delays === 1) return a
  const out = new Float32Array(a.length)
  for (let i = 0; i < rows; i++)
    for (let k = 0; k < delays; k++)
      out.set(
        a.subarray(i * delays * voxels + k * voxels, i * delays * voxels + (k + 1) * voxels),
        (i * delays + k) * voxels
      )
  return out
}

/** Runs the clip-permutation test of encoding model `modelId` and stores p-values, FDR mask and a map. */
export async function evaluateEncodingPermutation(
  ws: Workspace,
  modelId: number,
  o: Partial<Omit<EvalPermutationParams, 'model'>>,
  hooks: TrainHooks
): Promise<PermutationEvaluation> {
  const permutations = o.permutations ?? 1000
  const seed = o.seed ?? 0
  const q = o.q ?? 0.05
  if (!(q > 0 && q < 1)) throw new B2mError('bad_request', `the FDR level q must lie in (0, 1), got ${q}`)
  const rec = modelRecord(ws, modelId)
  if (rec.kind !== 'encoder')
    throw new B2mError(
      'bad_request',
      `model ${modelId} ("${rec.name}") is a decoder, not an encoding model: the permutation test is of per-voxel encoding r`
    )
  if (rec.featureSetId === null || rec.preprocessingId === null)
    throw new B2mError(
      'failed',
      `encoding model ${modelId} no longer has its feature set or preprocessing in the catalogue`
    )
  hooks.progress(0, 'loading responses, features and weights')
  const data = loadTrainingData(ws, rec.subject, rec.featureSetId, rec.preprocessingId)
  const M = data.test.rows
  const C = data.test.columns
  const V = data.test.voxels
  const D = data.test.delays.length
  const d = data.dim
  const w = ws.readArray(rec.arrays.weights, { verify: true })
  const b = ws.readArray(rec.arrays.intercept, { verify: true })
  if (w.shape[0] !== d || w.shape[1] !== C || b.shape[0] !== C)
    throw new B2mError(
      'failed',
      `encoding model ${modelId}'s weights are ${w.shape.join(' x ')} but its data is ${d} features x ${C} columns; retrain it`,
      ws.arrayPath(ws.arrayRecord(rec.arrays.weights).relPath)
    )
  const flat = maskVoxels(ws, data.grid)
  if (flat.length !== V) throw new B2mError('failed', `the mask has ${flat.length} voxels but the responses ${V}`)

  const own = hooks.sessions ? null : new SessionManager({ log: (l, t) => l !== 'debug' && hooks.log(l, t) })
  const sessions = hooks.sessions ?? own!
  const batch = ws.batch()
  try {
    const pred = await ridgePredict(
      { weights: w.data as Float32Array, intercept: b.data as Float32Array, nFeatures: d, nTargets: C },
      data.xTest,
      [M, d],
      sessions
    )
    const n = M * D
    const clips = new Int32Array(n)
    for (let i = 0; i < M; i++) clips.fill(data.testStimuli[i], i * D, (i + 1) * D)
    hooks.log(
      'info',
      `clip permutations of encoding model ${modelId}: ${V} voxels, ${n} rows, ${permutations} permutations, seed ${seed}`
    )
    const t0 = performance.now()
    const test = await clipPermutationTest({
      predicted: unstackDelays(pred, M, V, D),
      measured: unstackDelays(data.test.data, M, V, D),
      n,
      voxels: V,
      clips,
      permutations,
      seed,
      onProgress: (f, m) => hooks.progress(0.05 + 0.85 * f, m),
      shouldStop: () => hooks.cancelled()
    })
    const seconds = (performance.now() - t0) / 1000
    if (hooks.cancelled()) throw new TrainCancelled('eval.permutation')
    if (test.exchangeableClips < 2)
      throw new B2mError(
        'bad_request',
        `no two of the ${test.clips} test clips have the same number of rows: nothing to permute`
      )

    // the analytic p stored at training (t distribution, one-sided), else computed the same way
    const ev = testEvaluation(new ModelsRepo(ws.catalogue.db), modelId)
    const analyticP =
      ev?.arrays.p !== undefined
        ? Float64Array.from(ws.readArray(ev.arrays.p).data as ArrayLike<number>)
        : pearsonPValues(test.r, n, 'greater')
    if (analyticP.length !== V)
      throw new B2mError('failed', `the stored analytic p-values have ${analyticP.length} voxels, not ${V}`)
    const perm = benjaminiHochberg(test.p, q)
    const analytic = benjaminiHochberg(analyticP, q)
    let both = 0
    for (let v = 0; v < V; v++) if (perm.significant[v] && analytic.significant[v]) both++
    const significant = {
      permutation: perm.count,
      analytic: analytic.count,
      both,
      permutationOnly: perm.count - both,
      analyticOnly: analytic.count - both
    }
    const minP = 1 / (permutations + 1)
    let atMinP = 0
    for (let v = 0; v < V; v++) if (test.p[v] === minP) atMinP++
    // p cannot go below 1/(n+1): with many tests BH may pass nothing however strong the voxels are
    if (perm.count === 0 && atMinP > 0)
      hooks.log(
        'warn',
        `${atMinP} voxels reach the smallest p ${minP.toPrecision(3)} but BH over ${perm.tests} tests at q ${q} needs ` +
          `p <= ${((q * atMinP) / perm.tests).toPrecision(3)}: use at least ${Math.ceil(perm.tests / (q * atMinP))} permutations`
      )
    hooks.log(
      'info',
      `${perm.count} of ${perm.tests} voxels significant by permutation p (BH q <= ${q}), ${analytic.count} by analytic p, ${both} both; ${seconds.toFixed(1)} s`
    )

    hooks.progress(0.93, 'writing')
    const [X, Y, Z] = data.grid.grid.shape
    const rVolume = new Float32Array(X * Y * Z).fill(NaN)
    const pVolume = new Float32Array(X * Y * Z).fill(NaN)
    flat.forEach((f, v) => {
      rVolume[f] = test.r[v]
      pVolume[f] = test.p[v]
    })
    const dir = typeof rec.summary.dir === 'string' ? rec.summary.dir : `trained/model-${modelId}`
    const base = `${dir}/permutation-${Date.now().toString(36)}-s${seed}`
    batch.add(`${base}.p.npy`, { dtype: 'float64', shape: [V], data: test.p }, 'voxel-p')
    batch.add(`${base}.q.npy`, { dtype: 'float64', shape: [V], data: perm.q }, 'voxel-q')
    batch.add(`${base}.significant.npy`, { dtype: 'uint8', shape: [V], data: perm.significant }, 'voxel-mask')
    batch.add(`${base}.map.npy`, { dtype: 'float32', shape: [Z, Y, X], data: rVolume }, 'map')
    const sig = stageMapSignificance(batch, [Z, Y, X], pVolume, q)
    // the training's analytic-p map (not an earlier permutation map) names the new one
    const original = ws.catalogue.maps
      .list()
      .find((mp) => mp.modelId === modelId && mp.provenance.kind === 'encoding held-out r')
    const metrics: Omit<PermutationEvaluation, 'evaluationId' | 'mapId'> = {
      modelId,
      permutations,
      seed,
      q,
      clips: test.clips,
      exchangeableClips: test.exchangeableClips,
      tests: perm.tests,
      minP,
      atMinP,
      significant,
      seconds
    }
    const out = batch.commit((records) => {
      const ids = records.map((r) => r.id)
      const map = ws.catalogue.maps.create({
        name: `${original?.name ?? `${rec.subject} encoding r (${rec.featureSet})`} (permutation p)`,
        kind: 'volume',
        sourcePath: original?.sourcePath ?? null,
        arrayId: ids[3],
        grid: { shape: [X, Y, Z], affine: data.grid.grid.affine },
        modelId,
        units: 'r',
        provenance: { model: modelId, kind: 'encoding held-out r, clip-permutation p', permutations, seed, q },
        significance: sig(ids.slice(4))
      })
      const e = new ModelsRepo(ws.catalogue.db).addEvaluation(
        modelId,
        { kind: CLIP_PERMUTATION, ...metrics, mapId: map.id },
        {
          modelId,
          analysis: CLIP_PERMUTATION,
          params: { permutations, seed, q, strategy: test.strategy },
          data: { test: data.test.sha256, features: data.featureSha256 },
          codeVersion: APP_VERSION
        },
        { p: ids[0], q: ids[1], significant: ids[2] },
        'p'
      )
      return { evaluationId: e.id, mapId: map.id }
    })
    hooks.progress(1, `permutation test of encoding model ${modelId} saved`)
    return { ...metrics, ...out }
  } catch (err) {
    batch.discard()
    if (err instanceof PermutationCancelled) throw new TrainCancelled('eval.permutation')
    throw err
  } finally {
    await own?.dispose()
  }
}
