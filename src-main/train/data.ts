/**
 * The training data of a model: a subject's preprocessed responses (train rows per clip or window, test
 * rows averaged over repeats) paired row by row with a feature set's embeddings. Pairs follow the
 * feature set's windows: a response sample takes the feature row of the same stimulus and window, or,
 * when the set is finer than the responses (10 s windows, whole-clip responses), the mean of the set's
 * windows inside the sample's interval.
 */
import type { FeatureSet, FeatureSetRow, Preprocessing, SubjectGrid } from '../catalogue'
import { stimulusKey } from '../catalogue'
import { B2mError } from '../common/errors'
import { findFeatureSet } from '../music/feature-sets'
import type { Workspace } from '../workspace'

/** What the training room reads of a preprocessing's sample records (src-main/fmri ResponseSample). */
export interface SampleRecord {
  genre: string
  track: number | string
  start: number
  windowStart: number
  windowEnd: number
  nRepeats?: number
}

export interface Responses {
  data: Float32Array
  rows: number
  /** Columns: delays.length * voxels, delay-major. */
  columns: number
  voxels: number
  delays: number[]
  samples: SampleRecord[]
  sha256: string
  path: string
}

export interface TrainingData {
  subject: { id: number; label: string }
  preprocessing: Preprocessing
  featureSet: FeatureSet
  grid: SubjectGrid
  train: Responses
  test: Responses
  /** Feature rows paired with the train / test response rows (rows x dim). */
  xTrain: Float32Array
  xTest: Float32Array
  dim: number
  /** The stimulus of every train / test row. */
  trainStimuli: Int32Array
  testStimuli: Int32Array
  featureSha256: string
  featurePath: string
  /** How the pairs were made: 'windows' (one feature row per sample) or 'averaged' (windows averaged). */
  pairing: 'windows' | 'averaged'
}

const EPS = 1e-3

function delaysOf(pre: Preprocessing): number[] {
  const p = pre.params as { delays?: unknown; shift?: unknown }
  if (Array.isArray(p.delays) && p.delays.length > 0) return p.delays.map(Number)
  return [typeof p.shift === 'number' ? p.shift : 3]
}

/** Whether a preprocessing was made with FIR delays (several lagged copies of every voxel). */
export function hasFirDelays(pre: Preprocessing): boolean {
  const d = (pre.params as { delays?: unknown }).delays
  return Array.isArray(d) && d.length > 0
}

export function resolveSubject(ws: Workspace, label: string): { id: number; label: string } {
  const s = ws.catalogue.subjects.getByLabel(label)
  if (!s) {
    const known = ws.catalogue.subjects.list().map((x) => x.label)
    throw new B2mError(
      'not_found',
      `no subject ${label} in the catalogue${known.length ? ` (known: ${known.slice(0, 10).join(', ')})` : ' (import one first)'}`
    )
  }
  return { id: s.id, label: s.label }
}

/**
 * The preprocessing to train on: the one asked for (it must belong to the subject), else the subject's
 * latest one that fits `accept` (`why` says what was looked for when none does).
 */
export function resolvePreprocessing(
  ws: Workspace,
  subject: { id: number; label: string },
  id: number | undefined,
  accept: (p: Preprocessing) => boolean = () => true,
  why = ''
): Preprocessing {
  const cat = ws.catalogue
  if (id !== undefined) {
    const p = cat.preprocessing.get(id)
    if (!p) throw new B2mError('not_found', `no preprocessing ${id}`)
    if (p.subjectId !== subject.id)
      throw new B2mError('bad_request', `preprocessing ${id} belongs to another subject, not ${subject.label}`)
    return p
  }
  const list = cat.preprocessing.listBySubject(subject.id)
  if (list.length === 0)
    throw new B2mError(
      'bad_request',
      `${subject.label} has no preprocessed responses yet: run preprocess (b2m preprocess --subject ${subject.label})`
    )
  const p = list.find(accept)
  if (!p) throw new B2mError('bad_request', `${subject.label} has no preprocessing ${why}`)
  return p
}

function loadResponses(ws: Workspace, arrayId: number | null, samples: unknown[], what: string): Responses {
  if (arrayId === null) throw new B2mError('failed', `the preprocessing has no ${what} responses`)
  const rec = ws.arrayRecord(arrayId)
  const path = ws.arrayPath(rec.relPath)
  const arr = ws.readArray(arrayId)
  if (arr.dtype !== 'float32' || arr.shape.length !== 2)
    throw new B2mError(
      'failed',
      `${what} responses must be a 2-D float32 array, found ${arr.dtype} (${arr.shape})`,
      path
    )
  const [rows, columns] = arr.shape
  if (samples.length !== rows)
    throw new B2mError(
      'failed',
      `${what} responses have ${rows} rows but the preprocessing lists ${samples.length} samples`,
      path
    )
  return {
    data: arr.data as Float32Array,
    rows,
    columns,
    voxels: columns,
    delays: [],
    samples: samples as SampleRecord[],
    sha256: rec.sha256,
    path
  }
}

/**
 * Feature rows for response samples, following the set's windows (see the file comment). Throws naming
 * the set and an example sample when some sample has no feature row.
 */
export function pairFeatures(
  rows: readonly FeatureSetRow[],
  features: Float32Array,
  dim: number,
  samples: readonly SampleRecord[],
  what: string,
  setName: string
): { data: Float32Array; stimuli: Int32Array; averaged: number } {
  const exact = new Map<string, number>()
  const byStimulus = new Map<string, number[]>()
  rows.forEach((r, i) => {
    exact.set(`${r.key}|${r.windowStart.toFixed(3)}|${r.windowEnd.toFixed(3)}`, i)
    const list = byStimulus.get(r.key)
    if (list) list.push(i)
    else byStimulus.set(r.key, [i])
  })
  const data = new Float32Array(samples.length * dim)
  const stimuli = new Int32Array(samples.length)
  const acc = new Float64Array(dim)
  let averaged = 0
  const missing: number[] = []
  samples.forEach((s, i) => {
    const key = stimulusKey({ genre: s.genre, track: String(s.track), start: s.start, onset: 0 })
    const hit = exact.get(`${key}|${s.windowStart.toFixed(3)}|${s.windowEnd.toFixed(3)}`)
    if (hit !== undefined) {
      data.set(features.subarray(hit * dim, (hit + 1) * dim), i * dim)
      stimuli[i] = rows[hit].stimulusId
      return
    }
    const inside = (byStimulus.get(key) ?? []).filter(
      (r) => rows[r].windowStart >= s.windowStart - EPS && rows[r].windowEnd <= s.windowEnd + EPS
    )
    if (inside.length === 0) {
      missing.push(i)
      return
    }
    acc.fill(0)
    for (const r of inside) for (let k = 0; k < dim; k++) acc[k] += features[r * dim + k]
    for (let k = 0; k < dim; k++) data[i * dim + k] = acc[k] / inside.length
    stimuli[i] = rows[inside[0]].stimulusId
    averaged++
  })
  if (missing.length > 0) {
    const s = samples[missing[0]]
    const none = missing.length === samples.length
    throw new B2mError(
      'bad_request',
      `feature set "${setName}" has no rows for ${none ? 'any' : `${missing.length} of ${samples.length}`} ${what} ` +
        `samples, e.g. ${s.genre}.${s.track}@${s.start} window ${s.windowStart}-${s.windowEnd} s ` +
        `(attach the ${what} stimuli's audio and compute the set again, or use windows the responses cover)`
    )
  }
  return { data, stimuli, averaged }
}

/** Loads and pairs everything a model of `subject` on `featureSet` trains and is tested on. */
export function loadTrainingData(
  ws: Workspace,
  subjectLabel: string,
  featureSetRef: string | number,
  preprocessingId: number | undefined,
  accept?: (p: Preprocessing) => boolean,
  why?: string
): TrainingData {
  const cat = ws.catalogue
  const subject = resolveSubject(ws, subjectLabel)
  const set = findFeatureSet(ws, featureSetRef)
  const pre = resolvePreprocessing(ws, subject, preprocessingId, accept, why)
  const grid = cat.subjects.grid(subject.id)
  if (!grid) throw new B2mError('failed', `${subject.label} has no mask and voxel grid in the catalogue`)
  const delays = delaysOf(pre)
  const train = loadResponses(ws, pre.trainArrayId, pre.trainSamples, 'training')
  const test = loadResponses(ws, pre.testArrayId, pre.testSamples, 'test')
  if (train.columns !== test.columns)
    throw new B2mError(
      'failed',
      `training responses have ${train.columns} columns but test responses ${test.columns}`,
      test.path
    )
  if (train.columns % delays.length !== 0)
    throw new B2mError('failed', `${train.columns} columns do not split into ${delays.length} delay blocks`, train.path)
  for (const r of [train, test]) {
    r.delays = hasFirDelays(pre) ? delays : [delays[0]]
    r.voxels = r.columns / r.delays.length
  }
  if (set.arrayId === null) throw new B2mError('failed', `feature set "${set.name}" has no matrix`)
  const frec = ws.arrayRecord(set.arrayId)
  const fpath = ws.arrayPath(frec.relPath)
  const farr = ws.readArray(set.arrayId)
  if (farr.dtype !== 'float32' || farr.shape.length !== 2)
    throw new B2mError('failed', `feature matrix must be 2-D float32, found ${farr.dtype} (${farr.shape})`, fpath)
  const [fRows, dim] = farr.shape
  const rows = cat.featureSets.rows(set.id)
  if (rows.length !== fRows)
    throw new B2mError('failed', `feature matrix has ${fRows} rows but the set lists ${rows.length}`, fpath)
  if (dim < 2) throw new B2mError('bad_request', `feature set "${set.name}" has ${dim} dimension; need at least 2`)
  const fdata = farr.data as Float32Array
  const tr = pairFeatures(rows, fdata, dim, train.samples, 'training', set.name)
  const te = pairFeatures(rows, fdata, dim, test.samples, 'test', set.name)
  return {
    subject,
    preprocessing: pre,
    featureSet: set,
    grid,
    train,
    test,
    xTrain: tr.data,
    xTest: te.data,
    dim,
    trainStimuli: tr.stimuli,
    testStimuli: te.stimuli,
    featureSha256: frec.sha256,
    featurePath: fpath,
    pairing: tr.averaged + te.averaged > 0 ? 'averaged' : 'windows'
  }
}

/** Row groups by stimulus, in order of first appearance: the test clips. */
export function clipGroups(stimuli: Int32Array): { ids: number[]; members: number[][] } {
  const at = new Map<number, number>()
  const ids: number[] = []
  const members: number[][] = []
  stimuli.forEach((s, i) => {
    let k = at.get(s)
    if (k === undefined) {
      k = ids.length
      at.set(s, k)
      ids.push(s)
      members.push([])
    }
    members[k].push(i)
  })
  return { ids, members }
}

/** Mean of the rows of each group (groups x cols), in float64 then float32. */
export function averageRows(data: Float32Array, cols: number, members: number[][]): Float32Array {
  const out = new Float32Array(members.length * cols)
  const acc = new Float64Array(cols)
  members.forEach((rows, g) => {
    acc.fill(0)
    for (const r of rows) for (let k = 0; k < cols; k++) acc[k] += data[r * cols + k]
    for (let k = 0; k < cols; k++) out[g * cols + k] = acc[k] / rows.length
  })
  return out
}

/** The flat x-fastest voxel index of each response voxel (the nonzero voxels of the subject's mask). */
export function maskVoxels(ws: Workspace, grid: SubjectGrid): Int32Array {
  const mask = ws.readArray(grid.maskArrayId).data
  const out: number[] = []
  for (let v = 0; v < mask.length; v++) if (mask[v]) out.push(v)
  return Int32Array.from(out)
}
