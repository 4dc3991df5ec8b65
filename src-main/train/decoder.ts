/**
 * Decoders: fMRI -> embedding, per subject. Voxels are the whole mask, an ROI ensemble (one ridge model
 * per ROI of a label volume, the top k by CV score kept and their predictions averaged; paper: 6 of
 * 150) or the voxels an encoding model predicts well (CV r on the training data above a threshold).
 * After the fit the decoder is evaluated on the test clips (responses averaged over repeats; windowed
 * rows averaged per clip): identification (Eq. 2), per-dimension r, per-genre, oracle.
 */
import { resolve } from 'node:path'
import type { TrainDecoderResult, VoxelSelection } from '../../src-preload/api'
import { ModelsRepo, type ModelRecord } from '../catalogue/models'
import { B2mError } from '../common/errors'
import {
  CHANCE_IDENTIFICATION,
  identificationAccuracy,
  oracleIdentification,
  perDimensionCorrelation,
  perGenreIdentification
} from '../evaluate'
import { readNifti } from '../formats/nifti'
import type { NdArray } from '../formats/npy'
import { SessionManager } from '../onnx/sessions'
import { RidgeCancelled, ridgeFit, ridgePredict, type RidgeFitResult } from '../ridge'
import { sha256File } from '../music/files'
import type { Workspace } from '../workspace'
import {
  TrainCancelled,
  type TrainHooks,
  alphaGrid,
  cvSummary,
  defaultName,
  meanBestCv,
  modelDir,
  provenance,
  testEvaluation
} from './common'
import { averageRows, clipGroups, loadTrainingData, maskVoxels, type TrainingData } from './data'

export interface TrainDecoderParams {
  subject: string
  featureSet: string | number
  preprocessing?: number
  selection?: VoxelSelection | { kind: 'roi'; labels: string; top?: number }
  alphas?: number[]
  folds?: number
  name?: string
  seed?: number
}

/** One ridge model of a decoder: which response columns it reads and its linear map. */
export interface DecoderPart {
  name: string
  columns: Int32Array
  weights: Float32Array
  intercept: Float32Array
  xMean: Float32Array
  yMean: Float32Array
  targets: number
}

export interface Candidate {
  name: string
  columns: Int32Array
}

function gatherColumns(data: Float32Array, rows: number, cols: number, columns: Int32Array): Float32Array {
  const p = columns.length
  const out = new Float32Array(rows * p)
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    for (let k = 0; k < p; k++) out[i * p + k] = data[o + columns[k]]
  }
  return out
}

function columnMean(data: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) acc[j] += data[i * cols + j]
  return Float32Array.from(acc, (s) => s / rows)
}

/** Every column of the voxels `voxels` over all delay blocks. */
function columnsOfVoxels(voxels: readonly number[], nVoxels: number, nDelays: number): Int32Array {
  const out = new Int32Array(voxels.length * nDelays)
  let w = 0
  for (let d = 0; d < nDelays; d++) for (const v of voxels) out[w++] = d * nVoxels + v
  return out
}

export async function candidates(
  ws: Workspace,
  data: TrainingData,
  sel: TrainDecoderParams['selection']
): Promise<{ list: Candidate[]; top: number; extra: Record<string, unknown> }> {
  const V = data.train.voxels
  const D = data.train.delays.length
  if (!sel || sel.kind === 'all') {
    const all = Array.from({ length: V }, (_, v) => v)
    return { list: [{ name: 'all', columns: columnsOfVoxels(all, V, D) }], top: 1, extra: {} }
  }
  if (sel.kind === 'roi') {
    const file = resolve(sel.labels)
    let img
    try {
      img = await readNifti(file)
    } catch (err) {
      if (err instanceof B2mError) throw err
      throw new B2mError('bad_request', `cannot read the label volume: ${(err as Error).message}`, file)
    }
    const [X, Y, Z] = data.grid.grid.shape
    const [x, y, z] = img.header.shape
    if (img.header.volumes !== 1 || x !== X || y !== Y || z !== Z)
      throw new B2mError(
        'bad_request',
        `label volume is ${img.header.dims.join('x')} but the runs' voxel grid is ${X}x${Y}x${Z}; resample the labels to the EPI grid`,
        file
      )
    const flat = maskVoxels(ws, data.grid)
    if (flat.length !== V) throw new B2mError('failed', `the mask has ${flat.length} voxels but the responses ${V}`)
    const byLabel = new Map<number, number[]>()
    flat.forEach((f, v) => {
      const l = Math.round(img.data[f])
      if (!(l > 0)) return
      const list = byLabel.get(l)
      if (list) list.push(v)
      else byLabel.set(l, [v])
    })
    if (byLabel.size === 0)
      throw new B2mError('bad_request', 'no labelled voxel (value > 0) of the label volume lies inside the mask', file)
    const labels = [...byLabel.keys()].sort((a, b) => a - b)
    const top = Math.min(sel.top ?? 6, labels.length)
    return {
      list: labels.map((l) => ({ name: `roi:${l}`, columns: columnsOfVoxels(byLabel.get(l)!, V, D) })),
      top,
      extra: { labels: { path: file, sha256: sha256File(file), rois: labels.length } }
    }
  }
  // voxels an encoding model predicts well on the training data (its CV r)
  const repo = new ModelsRepo(ws.catalogue.db)
  let enc: ModelRecord | undefined
  if (sel.encodingModel !== undefined) {
    enc = repo.get(sel.encodingModel)
    if (!enc || enc.kind !== 'encoder') throw new B2mError('not_found', `no encoding model ${sel.encodingModel}`)
  } else {
    enc = repo
      .list(data.subject.label)
      .filter((m) => m.kind === 'encoder' && m.featureSetId === data.featureSet.id)
      .at(-1)
    if (!enc)
      throw new B2mError(
        'bad_request',
        `${data.subject.label} has no encoding model on feature set "${data.featureSet.name}" to select voxels by: train one first`
      )
  }
  if (enc.subjectId !== data.subject.id)
    throw new B2mError('bad_request', `encoding model ${enc.id} belongs to ${enc.subject}, not ${data.subject.label}`)
  const cvR = ws.readArray(enc.arrays.cv_r).data as Float32Array
  if (cvR.length !== V)
    throw new B2mError(
      'bad_request',
      `encoding model ${enc.id} has ${cvR.length} voxels but these responses ${V}`,
      ws.arrayPath(ws.arrayRecord(enc.arrays.cv_r).relPath)
    )
  const keep: number[] = []
  let max = -Infinity
  cvR.forEach((r, v) => {
    if (r > sel.threshold) keep.push(v)
    if (r > max) max = r
  })
  if (keep.length === 0)
    throw new B2mError(
      'bad_request',
      `no voxel of encoding model ${enc.id} has a CV r above ${sel.threshold} (the highest is ${max.toFixed(3)})`
    )
  return {
    list: [{ name: `encoding>${sel.threshold}`, columns: columnsOfVoxels(keep, V, D) }],
    top: 1,
    extra: { encodingModel: enc.id, voxels: keep.length }
  }
}

/** Predictions of a decoder's parts, averaged (rows x targets), through ONNX Runtime. */
export async function predictParts(
  parts: readonly DecoderPart[],
  x: Float32Array,
  rows: number,
  cols: number,
  sessions: SessionManager
): Promise<Float32Array> {
  const t = parts[0].targets
  const acc = new Float64Array(rows * t)
  for (const p of parts) {
    const xs = gatherColumns(x, rows, cols, p.columns)
    const out = await ridgePredict(
      { weights: p.weights, intercept: p.intercept, nFeatures: p.columns.length, nTargets: t },
      xs,
      [rows, p.columns.length],
      sessions
    )
    for (let i = 0; i < out.length; i++) acc[i] += out[i]
  }
  return Float32Array.from(acc, (s) => s / parts.length)
}

/** Predictions of a decoder's parts, averaged, in plain JS (float64 sums): for small batches, synchronously. */
export function predictPartsSync(
  parts: readonly DecoderPart[],
  x: Float32Array,
  rows: number,
  cols: number
): Float32Array {
  const t = parts[0].targets
  const acc = new Float64Array(rows * t)
  const row = new Float64Array(t)
  for (const p of parts) {
    for (let i = 0; i < rows; i++) {
      row.set(p.intercept)
      const o = i * cols
      for (let k = 0; k < p.columns.length; k++) {
        const xv = x[o + p.columns[k]]
        if (xv === 0) continue
        const w = k * t
        for (let j = 0; j < t; j++) row[j] += xv * p.weights[w + j]
      }
      for (let j = 0; j < t; j++) acc[i * t + j] += row[j]
    }
  }
  return Float32Array.from(acc, (s) => s / parts.length)
}

export interface FittedCandidate {
  c: Candidate
  fit: RidgeFitResult
  score: number
  /** Position in the candidate list. */
  i: number
}

/**
 * Fits one ridge model per candidate voxel set on `x` (rows x cols responses) -> `y` (rows x d) and keeps
 * the top `top` by mean CV score (ties: the earlier candidate), in candidate order: the decoder's parts.
 * Shared by training and by retraining a decoder's exact configuration on a subset of rows.
 */
export async function fitDecoderParts(
  x: Float32Array,
  rows: number,
  cols: number,
  y: Float32Array,
  d: number,
  list: readonly Candidate[],
  top: number,
  o: {
    alphas: number[]
    folds: number
    sessions: SessionManager
    progress: (fraction: number, message: string) => void
    cancelled: () => boolean
  }
): Promise<{ fits: FittedCandidate[]; kept: FittedCandidate[]; parts: DecoderPart[] }> {
  const fits: FittedCandidate[] = []
  for (const [i, c] of list.entries()) {
    if (o.cancelled()) throw new TrainCancelled('train.decoder')
    const xs = gatherColumns(x, rows, cols, c.columns)
    const fit = await ridgeFit(xs, [rows, c.columns.length], y, [rows, d], {
      alphas: o.alphas,
      folds: o.folds,
      sessions: o.sessions,
      onProgress: (f, m) => o.progress((i + f) / list.length, list.length > 1 ? `${c.name}: ${m}` : m),
      shouldStop: o.cancelled
    })
    fits.push({ c, fit, score: meanBestCv(fit), i })
  }
  if (o.cancelled()) throw new TrainCancelled('train.decoder')
  const ranked = [...fits].sort((a, b) => b.score - a.score || a.i - b.i)
  const kept = ranked.slice(0, top).sort((a, b) => a.i - b.i)
  const yMean = columnMean(y, rows, d)
  const parts: DecoderPart[] = kept.map(({ c, fit }) => ({
    name: c.name,
    columns: c.columns,
    weights: fit.weights,
    intercept: fit.intercept,
    xMean: columnMean(gatherColumns(x, rows, cols, c.columns), rows, c.columns.length),
    yMean,
    targets: d
  }))
  return { fits, kept, parts }
}

export async function trainDecoder(
  ws: Workspace,
  params: TrainDecoderParams,
  hooks: TrainHooks
): Promise<TrainDecoderResult> {
  const stop = () => {
    if (hooks.cancelled()) throw new TrainCancelled('train.decoder')
  }
  hooks.progress(0, 'loading responses and features')
  const data = loadTrainingData(ws, params.subject, params.featureSet, params.preprocessing)
  const sel = params.selection ?? { kind: 'all' as const }
  const { list, top, extra } = await candidates(ws, data, sel)
  const alphas = alphaGrid(params.alphas)
  const folds = params.folds ?? 5
  const seed = params.seed ?? 0
  const N = data.train.rows
  const C = data.train.columns
  const d = data.dim
  if (folds > N)
    throw new B2mError('bad_request', `folds (${folds}) cannot exceed the ${N} training rows of ${params.subject}`)
  hooks.log(
    'info',
    `decoder ${params.subject} -> "${data.featureSet.name}": ${N} training rows (${data.pairing}), ` +
      `${list.length} voxel set(s), ${d} targets, ${alphas.length} alphas, ${folds} folds`
  )
  const own = hooks.sessions ? null : new SessionManager({ log: (l, t) => l !== 'debug' && hooks.log(l, t) })
  const sessions = hooks.sessions ?? own!
  try {
    const { fits, kept, parts } = await fitDecoderParts(data.train.data, N, C, data.xTrain, d, list, top, {
      alphas,
      folds,
      sessions,
      progress: (f, m) => hooks.progress(0.05 + 0.8 * f, m),
      cancelled: hooks.cancelled
    })
    if (list.length > 1)
      hooks.log('info', `kept ${kept.map((k) => `${k.c.name} (CV r ${k.score.toFixed(3)})`).join(', ')}`)
    const warnings = [...new Set(kept.flatMap((k) => k.fit.warnings))]
    for (const w of warnings) hooks.log('warn', `alpha grid edge: ${w}`)
    const edgeWarning = warnings.length > 0 ? warnings.join('; ') : null

    hooks.progress(0.87, 'evaluating on the test clips')
    const M = data.test.rows
    const predRows = await predictParts(parts, data.test.data, M, C, sessions)
    const groups = clipGroups(data.testStimuli)
    const n = groups.ids.length
    const pred = averageRows(predRows, d, groups.members)
    const truth = averageRows(data.xTest, d, groups.members)
    const dims = perDimensionCorrelation(pred, truth, n, d)
    const testRPerDim = Array.from(dims.perDimension)
    const meanTestR = Number.isFinite(dims.mean) ? dims.mean : null
    const byId = new Map(ws.catalogue.stimuli.list().map((s) => [s.id, s]))
    const stimuli = groups.ids.map((id) => byId.get(id))
    const keys = stimuli.map((s, i) => s?.key ?? `stimulus ${groups.ids[i]}`)
    const genres = stimuli.map((s) => s?.genre ?? 'unknown')
    let evaluation: Record<string, unknown> | null = null
    let matrix: Float64Array | null = null
    if (n >= 2) {
      const id = await identificationAccuracy(sessions, pred, truth, n, d)
      const oracle = await oracleIdentification(sessions, truth, n, d)
      matrix = id.correlation
      evaluation = {
        identification: id.accuracy,
        perSample: Array.from(id.perSample),
        chance: CHANCE_IDENTIFICATION,
        oracle: oracle.accuracy,
        oracleMethod: oracle.method,
        perGenre: perGenreIdentification(id.perSample, genres).map((g) => ({
          genre: g.genre,
          accuracy: g.accuracy,
          n: g.n
        })),
        stimulusIds: groups.ids,
        stimulusKeys: keys,
        genres,
        n,
        testRPerDim,
        meanTestR
      }
      hooks.log('info', `identification ${id.accuracy.toFixed(3)} over ${n} test clips (chance 0.5)`)
    } else hooks.log('warn', `only ${n} test clip: identification needs at least 2`)

    const { cvCurve, alphaCounts } = cvSummary(kept.map((k) => k.fit))
    const name = params.name ?? defaultName('decoder', data.featureSet.name, sel.kind === 'all' ? 'all' : sel.kind)
    const dir = modelDir(data.subject.label, 'decoder', name)
    const resolvedParams = {
      subject: data.subject.label,
      featureSet: data.featureSet.name,
      preprocessing: data.preprocessing.id,
      selection: sel,
      alphas,
      folds,
      seed
    }
    const summary = {
      dir,
      trainRows: N,
      testRows: M,
      testClips: n,
      targets: d,
      meanTestR,
      identification: (evaluation?.identification as number | undefined) ?? null,
      alphas,
      cvCurve,
      alphaCounts,
      edgeWarning,
      testRPerDim,
      form: kept[0].fit.form,
      nFolds: kept[0].fit.nFolds,
      columns: C,
      parts: kept.map((k) => ({ name: k.c.name, columns: k.c.columns.length, cvScore: k.score })),
      candidates: fits.map((f) => ({ name: f.c.name, columns: f.c.columns.length, cvScore: f.score }))
    }
    const prov = provenance(data, ws, { params: resolvedParams, seed, selection: extra, warnings })
    stop()
    hooks.progress(0.95, 'writing')
    const batch = ws.batch()
    const names: string[] = []
    const add = (name: string, arr: Parameters<typeof batch.add>[1], role: string) => {
      batch.add(`${dir}/${name}.npy`, arr, role)
      names.push(name)
    }
    try {
      kept.forEach((k, i) => {
        const p = parts[i]
        const P = p.columns.length
        add(`part${i}.columns`, { dtype: 'int32', shape: [P], data: p.columns }, 'model-columns')
        add(`part${i}.weights`, { dtype: 'float32', shape: [P, d], data: p.weights }, 'weights')
        add(`part${i}.intercept`, { dtype: 'float32', shape: [d], data: p.intercept }, 'model-intercept')
        add(`part${i}.x_mean`, { dtype: 'float32', shape: [P], data: p.xMean }, 'model-centring')
        add(`part${i}.y_mean`, { dtype: 'float32', shape: [d], data: p.yMean }, 'model-centring')
        add(`part${i}.alphas`, { dtype: 'float64', shape: [d], data: k.fit.bestAlphas }, 'alphas')
        add(`part${i}.cv_scores`, { dtype: 'float64', shape: [alphas.length, d], data: k.fit.cvScores }, 'cv-scores')
      })
      const evalNames: string[] = []
      if (evaluation && matrix) {
        const evalArrays: [string, NdArray][] = [
          ['pred', { dtype: 'float32', shape: [n, d], data: pred }],
          ['true', { dtype: 'float32', shape: [n, d], data: truth }],
          ['matrix', { dtype: 'float64', shape: [n, n], data: matrix }]
        ]
        for (const [nm, arr] of evalArrays) {
          batch.add(`${dir}/evaluation.${nm}.npy`, arr, `evaluation-${nm}`)
          evalNames.push(nm)
        }
      }
      const repo = new ModelsRepo(ws.catalogue.db)
      const rec = batch.commit((records) => {
        const arrays: Record<string, number> = {}
        names.forEach((nm, i) => (arrays[nm] = records[i].id))
        const model = repo.create({
          subjectId: data.subject.id,
          kind: 'decoder',
          name,
          featureSetId: data.featureSet.id,
          preprocessingId: data.preprocessing.id,
          params: resolvedParams,
          summary,
          provenance: prov,
          arrays,
          weightsArray: 'part0.weights',
          alphasArray: 'part0.alphas'
        })
        if (evaluation) {
          const evalArrays: Record<string, number> = {}
          evalNames.forEach((nm, i) => (evalArrays[nm] = records[names.length + i].id))
          repo.addEvaluation(
            model.id,
            evaluation,
            { modelId: model.id, codeVersion: prov.codeVersion },
            evalArrays,
            'matrix'
          )
        }
        return model
      })
      hooks.progress(1, `decoder ${rec.id} saved`)
      return { modelId: rec.id, identification: summary.identification, meanTestR }
    } catch (err) {
      batch.discard()
      throw err
    }
  } catch (err) {
    if (err instanceof RidgeCancelled) throw new TrainCancelled('train.decoder')
    throw err
  } finally {
    await own?.dispose()
  }
}

/** The feature set a model predicts (decoders) or reads (encoding models): its id. */
export function modelFeatureSet(ws: Workspace, modelId: number): number {
  const rec = new ModelsRepo(ws.catalogue.db).get(modelId)
  if (!rec) throw new B2mError('not_found', `no model ${modelId}`)
  if (rec.featureSetId === null) throw new B2mError('failed', `model ${modelId} has no feature set`)
  return rec.featureSetId
}

/** The parts of a stored decoder, read back from its arrays. */
export function loadDecoderParts(ws: Workspace, rec: ModelRecord): DecoderPart[] {
  if (rec.kind !== 'decoder') throw new B2mError('bad_request', `model ${rec.id} is an encoding model, not a decoder`)
  const parts: DecoderPart[] = []
  for (let i = 0; rec.arrays[`part${i}.weights`] !== undefined; i++) {
    const get = (nm: string) => ws.readArray(rec.arrays[`part${i}.${nm}`], { verify: true })
    const w = get('weights')
    parts.push({
      name: ((rec.summary.parts as { name: string }[] | undefined) ?? [])[i]?.name ?? `part${i}`,
      columns: get('columns').data as Int32Array,
      weights: w.data as Float32Array,
      intercept: get('intercept').data as Float32Array,
      xMean: get('x_mean').data as Float32Array,
      yMean: get('y_mean').data as Float32Array,
      targets: w.shape[1]
    })
  }
  if (parts.length === 0) throw new B2mError('failed', `decoder ${rec.id} has no stored weights`)
  return parts
}

function decoderRecord(ws: Workspace, modelId: number): ModelRecord {
  const rec = new ModelsRepo(ws.catalogue.db).get(modelId)
  if (!rec) throw new B2mError('not_found', `no model ${modelId}`)
  if (rec.kind !== 'decoder') throw new B2mError('bad_request', `model ${modelId} is an encoding model, not a decoder`)
  return rec
}

/**
 * Embeddings a decoder predicts from response rows (rows x the preprocessing's columns, as its
 * response matrices hold them): rows x dim, the ROI ensemble's parts averaged.
 */
export function predictDecoder(ws: Workspace, modelId: number, responses: Float32Array, rows: number): Float32Array {
  const rec = decoderRecord(ws, modelId)
  const cols = rec.summary.columns as number
  if (!Number.isInteger(rows) || rows < 0 || responses.length !== rows * cols)
    throw new B2mError(
      'bad_request',
      `decoder ${modelId} reads rows of ${cols} response columns; got ${responses.length} values for ${rows} rows`
    )
  return predictPartsSync(loadDecoderParts(ws, rec), responses, rows, cols)
}

/**
 * The decoder's predictions and the true embeddings of its test clips (responses averaged over repeats,
 * windowed rows averaged per clip), as its evaluation stored them: n x dim each.
 */
export function decoderTestPredictions(
  ws: Workspace,
  modelId: number
): { stimulusIds: number[]; pred: Float32Array; truth: Float32Array; n: number; dim: number } {
  decoderRecord(ws, modelId)
  const ev = testEvaluation(new ModelsRepo(ws.catalogue.db), modelId)
  if (!ev || ev.arrays.pred === undefined)
    throw new B2mError('failed', `decoder ${modelId} has no test evaluation (fewer than 2 test clips)`)
  const pred = ws.readArray(ev.arrays.pred)
  const truth = ws.readArray(ev.arrays.true)
  const [n, dim] = pred.shape
  return {
    stimulusIds: (ev.metrics.stimulusIds as number[]) ?? [],
    pred: pred.data as Float32Array,
    truth: truth.data as Float32Array,
    n,
    dim
  }
}
