/**
 * Encoding models: embedding -> every voxel (optionally its FIR delays: one lagged copy of every voxel
 * per delay, as a preprocessing with `delays` lays them out), one alpha per target by K-fold CV. The
 * held-out Pearson r per voxel on the test clips (over test rows, and over the delays of FIR models) is
 * saved as .npy and as a NIfTI volume in the run's space (NaN outside the mask), with analytic one-sided
 * p-values and a Benjamini-Hochberg q-mask; the volume is registered as a map for the Cortex view.
 */
import { unlinkSync, readFileSync } from 'node:fs'
import type { TrainEncodingResult } from '../../src-preload/api'
import { ModelsRepo } from '../catalogue/models'
import { B2mError } from '../common/errors'
import { benjaminiHochberg, pearsonPValues } from '../evaluate'
import { writeNifti } from '../formats/nifti'
import { FileBatch, tmpPath, workspaceFile } from '../music/files'
import { SessionManager } from '../onnx/sessions'
import { RidgeCancelled, ridgeFit, ridgePredict } from '../ridge'
import type { Workspace } from '../workspace'
import {
  TrainCancelled,
  type TrainHooks,
  alphaGrid,
  cvSummary,
  defaultName,
  finiteMean,
  modelDir,
  provenance
} from './common'
import { hasFirDelays, loadTrainingData, maskVoxels } from './data'

export interface TrainEncodingParams {
  subject: string
  featureSet: string | number
  preprocessing?: number
  delays?: number[]
  alphas?: number[]
  folds?: number
  name?: string
  seed?: number
}

/** FDR level of the stored q-mask. */
export const ENCODING_FDR_ALPHA = 0.05

/** Pearson r per voxel over rows and delay blocks (columns d * V + v), float64; NaN for constant voxels. */
export function voxelPearson(
  pred: Float32Array,
  truth: Float32Array,
  rows: number,
  voxels: number,
  delays: number
): Float64Array {
  const C = voxels * delays
  const n = rows * delays
  const mp = new Float64Array(voxels)
  const mt = new Float64Array(voxels)
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < C; c++) {
      const v = c % voxels
      mp[v] += pred[i * C + c]
      mt[v] += truth[i * C + c]
    }
  for (let v = 0; v < voxels; v++) {
    mp[v] /= n
    mt[v] /= n
  }
  const sab = new Float64Array(voxels)
  const saa = new Float64Array(voxels)
  const sbb = new Float64Array(voxels)
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < C; c++) {
      const v = c % voxels
      const a = pred[i * C + c] - mp[v]
      const b = truth[i * C + c] - mt[v]
      sab[v] += a * b
      saa[v] += a * a
      sbb[v] += b * b
    }
  const r = new Float64Array(voxels)
  for (let v = 0; v < voxels; v++) r[v] = saa[v] > 0 && sbb[v] > 0 ? sab[v] / Math.sqrt(saa[v] * sbb[v]) : NaN
  return r
}

const sameDelays = (a: unknown, b: readonly number[]) =>
  Array.isArray(a) && a.length === b.length && a.every((x, i) => Number(x) === b[i])

export async function trainEncoding(
  ws: Workspace,
  params: TrainEncodingParams,
  hooks: TrainHooks
): Promise<TrainEncodingResult> {
  const stop = () => {
    if (hooks.cancelled()) throw new TrainCancelled('train.encoding')
  }
  hooks.progress(0, 'loading responses and features')
  const delays = params.delays
  const data = loadTrainingData(
    ws,
    params.subject,
    params.featureSet,
    params.preprocessing,
    delays ? (p) => hasFirDelays(p) && sameDelays(p.params.delays, delays) : (p) => !hasFirDelays(p),
    delays
      ? `with FIR delays [${delays.join(', ')}]: run preprocess with --delays ${delays.join(',')}`
      : 'without FIR delays (clip-averaged responses): run preprocess without --delays'
  )
  if (delays && !sameDelays(data.preprocessing.params.delays, delays))
    throw new B2mError(
      'bad_request',
      `preprocessing ${data.preprocessing.id} was made with delays [${String(data.preprocessing.params.delays ?? 'none')}], not [${delays.join(', ')}]`
    )
  const alphas = alphaGrid(params.alphas)
  const folds = params.folds ?? 5
  const seed = params.seed ?? 0
  const N = data.train.rows
  const M = data.test.rows
  const C = data.train.columns
  const V = data.train.voxels
  const D = data.train.delays.length
  const d = data.dim
  if (folds > N)
    throw new B2mError('bad_request', `folds (${folds}) cannot exceed the ${N} training rows of ${params.subject}`)
  if (M < 3)
    throw new B2mError('bad_request', `the test responses have ${M} rows; a held-out r per voxel needs at least 3`)
  const flat = maskVoxels(ws, data.grid)
  if (flat.length !== V) throw new B2mError('failed', `the mask has ${flat.length} voxels but the responses ${V}`)
  hooks.log(
    'info',
    `encoding model "${data.featureSet.name}" -> ${params.subject}: ${N} training rows, ${d} features, ${V} voxels` +
      `${D > 1 ? ` x ${D} delays` : ''}, ${alphas.length} alphas, ${folds} folds`
  )
  const own = hooks.sessions ? null : new SessionManager({ log: (l, t) => l !== 'debug' && hooks.log(l, t) })
  const sessions = hooks.sessions ?? own!
  const files = new FileBatch(ws)
  const batch = ws.batch()
  try {
    const fit = await ridgeFit(data.xTrain, [N, d], data.train.data, [N, C], {
      alphas,
      folds,
      sessions,
      onProgress: (f, m) => hooks.progress(0.02 + 0.8 * f, m),
      shouldStop: hooks.cancelled
    })
    stop()
    for (const w of fit.warnings) hooks.log('warn', `alpha grid edge: ${w}`)
    const edgeWarning = fit.warnings.length > 0 ? fit.warnings.join('; ') : null

    hooks.progress(0.85, 'held-out r per voxel')
    const pred = await ridgePredict(
      { weights: fit.weights, intercept: fit.intercept, nFeatures: d, nTargets: C },
      data.xTest,
      [M, d],
      sessions
    )
    const r = voxelPearson(pred, data.test.data, M, V, D)
    const p = pearsonPValues(r, M * D, 'greater')
    const fdr = benjaminiHochberg(p, ENCODING_FDR_ALPHA)
    const meanTestR = finiteMean(r)
    // CV r on the training data per voxel (chosen alpha; mean over delays): the encoding voxel selection
    const cvR = new Float32Array(V)
    for (let c = 0; c < C; c++) {
      const a = fit.alphas.indexOf(fit.bestAlphas[c])
      cvR[c % V] += fit.cvScores[a * C + c] / D
    }
    hooks.log(
      'info',
      `mean held-out r ${meanTestR?.toFixed(3) ?? 'n/a'}; ${fdr.count} of ${fdr.tests} voxels significant (BH-FDR q <= ${ENCODING_FDR_ALPHA})`
    )
    stop()

    hooks.progress(0.9, 'writing the r volume')
    const [X, Y, Z] = data.grid.grid.shape
    const volume = new Float32Array(X * Y * Z).fill(NaN)
    flat.forEach((f, v) => (volume[f] = r[v]))
    const name = params.name ?? defaultName('encoder', data.featureSet.name)
    const dir = modelDir(data.subject.label, 'encoder', name)
    const niftiRel = `${dir}/encoding-r.nii.gz`
    const tmp = tmpPath(ws)
    try {
      await writeNifti(tmp + '.nii.gz', {
        dims: [X, Y, Z],
        data: volume,
        affine: data.grid.grid.affine,
        descrip: `b2m encoding r ${data.subject.label}`.slice(0, 79),
        intentName: 'r'
      })
      files.addBytes(niftiRel, readFileSync(tmp + '.nii.gz'))
    } finally {
      try {
        unlinkSync(tmp + '.nii.gz')
      } catch {
        // not written
      }
    }
    const { cvCurve, alphaCounts } = cvSummary([fit])
    const resolvedParams = {
      subject: data.subject.label,
      featureSet: data.featureSet.name,
      preprocessing: data.preprocessing.id,
      delays: delays ?? null,
      alphas,
      folds,
      seed
    }
    const summary = {
      dir,
      trainRows: N,
      testRows: M,
      targets: V,
      columns: C,
      delays: data.train.delays,
      meanTestR,
      identification: null,
      alphas,
      cvCurve,
      alphaCounts,
      edgeWarning,
      form: fit.form,
      nFolds: fit.nFolds,
      significant: fdr.count,
      fdrAlpha: ENCODING_FDR_ALPHA,
      nifti: niftiRel
    }
    const prov = provenance(data, ws, { params: resolvedParams, seed, warnings: fit.warnings })
    const names: string[] = []
    const add = (nm: string, arr: Parameters<typeof batch.add>[1], role: string) => {
      batch.add(`${dir}/${nm}.npy`, arr, role)
      names.push(nm)
    }
    add('weights', { dtype: 'float32', shape: [d, C], data: fit.weights }, 'weights')
    add('intercept', { dtype: 'float32', shape: [C], data: fit.intercept }, 'model-intercept')
    add('alphas', { dtype: 'float64', shape: [C], data: fit.bestAlphas }, 'alphas')
    add('cv_scores', { dtype: 'float64', shape: [alphas.length, C], data: fit.cvScores }, 'cv-scores')
    add('cv_r', { dtype: 'float32', shape: [V], data: cvR }, 'cv-r')
    const evalNames = ['r', 'p', 'q', 'significant']
    batch.add(`${dir}/test_r.npy`, { dtype: 'float32', shape: [V], data: Float32Array.from(r) }, 'voxel-r')
    batch.add(`${dir}/test_p.npy`, { dtype: 'float64', shape: [V], data: p }, 'voxel-p')
    batch.add(`${dir}/test_q.npy`, { dtype: 'float64', shape: [V], data: fdr.q }, 'voxel-q')
    batch.add(`${dir}/test_significant.npy`, { dtype: 'uint8', shape: [V], data: fdr.significant }, 'voxel-mask')
    batch.add(`${dir}/encoding-r-map.npy`, { dtype: 'float32', shape: [Z, Y, X], data: volume }, 'map')
    // the map carries its p-values and q-mask (migration 8) so the Cortex view can threshold it
    const pVolume = new Float32Array(X * Y * Z).fill(NaN)
    const sigVolume = new Uint8Array(X * Y * Z)
    flat.forEach((f, v) => {
      pVolume[f] = p[v]
      sigVolume[f] = fdr.significant[v]
    })
    batch.add(`${dir}/encoding-r-map-p.npy`, { dtype: 'float32', shape: [Z, Y, X], data: pVolume }, 'map-pvalues')
    batch.add(
      `${dir}/encoding-r-map-fdr.npy`,
      { dtype: 'uint8', shape: [Z, Y, X], data: sigVolume },
      'map-significance'
    )
    stop()
    hooks.progress(0.97, 'writing')
    const repo = new ModelsRepo(ws.catalogue.db)
    const out = batch.commit((records) => {
      const arrays: Record<string, number> = {}
      names.forEach((nm, i) => (arrays[nm] = records[i].id))
      const model = repo.create({
        subjectId: data.subject.id,
        kind: 'encoder',
        name,
        featureSetId: data.featureSet.id,
        preprocessingId: data.preprocessing.id,
        params: resolvedParams,
        summary,
        provenance: prov,
        arrays,
        weightsArray: 'weights',
        alphasArray: 'alphas'
      })
      const evalArrays: Record<string, number> = {}
      evalNames.forEach((nm, i) => (evalArrays[nm] = records[names.length + i].id))
      repo.addEvaluation(
        model.id,
        {
          meanTestR,
          significant: fdr.count,
          tests: fdr.tests,
          fdrAlpha: ENCODING_FDR_ALPHA,
          n: M * D,
          pValues: 'analytic one-sided (r > 0), t distribution with n - 2 degrees of freedom'
        },
        { modelId: model.id, codeVersion: prov.codeVersion },
        evalArrays,
        'r'
      )
      const map = ws.catalogue.maps.create({
        name: `${data.subject.label} encoding r (${data.featureSet.name})`,
        kind: 'volume',
        sourcePath: workspaceFile(ws, niftiRel),
        arrayId: records[records.length - 3].id,
        grid: { shape: [X, Y, Z], affine: data.grid.grid.affine },
        modelId: model.id,
        units: 'r',
        provenance: {
          model: model.id,
          kind: 'encoding held-out r',
          significant: fdr.count,
          fdrAlpha: ENCODING_FDR_ALPHA
        },
        significance: {
          pvaluesArrayId: records[records.length - 2].id,
          significanceArrayId: records[records.length - 1].id,
          q: ENCODING_FDR_ALPHA,
          tests: fdr.tests,
          significant: fdr.count
        }
      })
      files.place()
      return { model, map }
    })
    files.finish()
    hooks.progress(1, `encoding model ${out.model.id} saved`)
    return { modelId: out.model.id, meanTestR, mapId: out.map.id }
  } catch (err) {
    batch.discard()
    files.undo()
    if (err instanceof RidgeCancelled) throw new TrainCancelled('train.encoding')
    throw err
  } finally {
    await own?.dispose()
  }
}
