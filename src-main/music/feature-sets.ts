/**
 * Feature sets: every stimulus with audio embedded on windows of its clip (the paper: 10 s every 1.5 s;
 * or whole clips), z-scored (and optionally PCA-reduced) with a transform fitted on the training stimuli
 * only, stored as one float32 (rows x dim) array with a JSON record per row and the transform's files.
 * Deterministic: the same audio, extractor and parameters give a bit-identical matrix.
 */
import { existsSync } from 'node:fs'
import type { FeatureSetDetail, FeatureSetInfo, FeaturesComputeResult, StimulusRole } from '../../src-preload/api'
import type { FeatureSet, FeatureSetRow } from '../catalogue'
import { stimulusKey } from '../catalogue'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { decodeAudioBytes } from '../formats/audio'
import { FeatureTransform, embedAudio } from '../features'
import type { Workspace } from '../workspace'
import { openExtractor } from './extractors'
import { FileBatch, slug, workspaceFile } from './files'
import { type MusicIo, readStimulusAudio, stimulusRoles } from './stimuli'

export interface ComputeParams {
  name: string
  extractor: string
  window: number
  step: number
  pca?: number
  normalise: boolean
}

/** Round to microseconds so window times print and compare cleanly (1.5 * 3 = 4.5, not 4.500000001). */
const t6 = (x: number) => Math.round(x * 1e6) / 1e6

export async function computeFeatureSet(
  ws: Workspace,
  params: ComputeParams,
  io: MusicIo
): Promise<FeaturesComputeResult> {
  const cat = ws.catalogue
  if (cat.featureSets.getByName(params.name))
    throw new B2mError('conflict', `a feature set named "${params.name}" exists already; choose another name`)
  if (params.pca !== undefined && !params.normalise)
    throw new B2mError('bad_request', 'pca needs normalise: the components are fitted on z-scored features')
  const all = cat.stimuli.list()
  const stimuli = all.filter((s) => s.audioPath !== null)
  if (stimuli.length === 0)
    throw new B2mError(
      'bad_request',
      'no stimulus has audio yet: attach it first (stimuli.attach / b2m stimuli attach)'
    )
  const roles = stimulusRoles(ws)

  io.progress(0, `loading ${params.extractor}`)
  const opened = await openExtractor(params.extractor, ws.root, { log: (l, t) => l !== 'debug' && io.log('info', t) })
  const chunks: Float32Array[] = []
  const rows: FeatureSetRow[] = []
  const audioHashes: Record<string, string> = {}
  let dim = 0
  try {
    dim = opened.extractor.dim
    if (params.pca !== undefined && params.pca > dim)
      throw new B2mError('bad_request', `pca ${params.pca} is more than the ${dim} dimensions of ${params.extractor}`)
    for (const [i, s] of stimuli.entries()) {
      if (io.cancelled()) throw new B2mError('failed', 'features.compute cancelled')
      const { path, bytes, sha256 } = readStimulusAudio(ws, s)
      audioHashes[s.key] = sha256
      const audio = await decodeAudioBytes(bytes, path)
      const emb = await embedAudio(opened.extractor, audio, { window: params.window, step: params.step })
      if (emb.dim !== dim)
        throw new B2mError('failed', `the extractor gave ${emb.dim} values per window, expected ${dim}`, path)
      for (let v = 0; v < emb.data.length; v++)
        if (!Number.isFinite(emb.data[v]))
          throw new B2mError('failed', `the embedding of stimulus ${s.key} has a non-finite value`, path)
      const role: StimulusRole = roles.get(s.id) ?? 'none'
      emb.times.forEach((start, w) =>
        rows.push({
          stimulusId: s.id,
          key: s.key,
          windowIndex: w,
          windowStart: t6(start),
          windowEnd: t6(start + emb.window),
          role
        })
      )
      chunks.push(emb.data)
      io.progress((0.9 * (i + 1)) / stimuli.length, `${s.key} (${i + 1}/${stimuli.length})`)
    }
  } finally {
    await opened.dispose()
  }

  const n = rows.length
  const raw = new Float32Array(n * dim)
  let at = 0
  for (const c of chunks) {
    raw.set(c, at)
    at += c.length
  }

  let matrix: Float32Array = raw
  let transform: FeatureTransform | null = null
  if (params.normalise) {
    const trainIdx = rows.flatMap((r, i) => (r.role === 'train' ? [i] : []))
    if (trainIdx.length < 2)
      throw new B2mError(
        'bad_request',
        `normalising needs at least 2 training rows, the stimuli with audio give ${trainIdx.length} ` +
          '(attach the training stimuli, or compute with normalise: false)'
      )
    if (params.pca !== undefined && params.pca > Math.min(dim, trainIdx.length))
      throw new B2mError(
        'bad_request',
        `pca ${params.pca} is more than the ${Math.min(dim, trainIdx.length)} components ${trainIdx.length} training rows of ${dim} dimensions can give`
      )
    const train = new Float32Array(trainIdx.length * dim)
    trainIdx.forEach((r, k) => train.set(raw.subarray(r * dim, (r + 1) * dim), k * dim))
    io.progress(0.92, params.pca ? `fitting z-score + PCA(${params.pca})` : 'fitting z-score')
    transform = FeatureTransform.fit(train, trainIdx.length, dim, { pca: params.pca })
    matrix = transform.apply(raw, n)
  }
  const outDim = transform ? transform.outDim : dim

  io.progress(0.97, 'writing')
  let dir = ''
  for (let k = cat.featureSets.list().length + 1; ; k++) {
    dir = `features/${slug(params.name)}-${String(k).padStart(3, '0')}`
    if (!existsSync(workspaceFile(ws, dir)) && !cat.arrays.byPath(`${dir}/features.npy`)) break
  }
  const files = new FileBatch(ws)
  const batch = ws.batch()
  let transformJson: Record<string, unknown> | null = null
  try {
    if (transform) {
      const t = transform
      const staged = files.addDir(dir, (d) => void t.save(d, 'transform'))
      transformJson = {
        path: `${dir}/transform.json`,
        files: staged.files,
        sha256: staged.sha256,
        dim: t.dim,
        outDim: t.outDim,
        fittedOn: { rows: t.rows, role: 'train' },
        constantDims: t.constantDims.length,
        pca: t.pca
          ? {
              k: t.pca.k,
              explainedVarianceRatio: Array.from(t.pca.explainedVarianceRatio),
              explained: t.pca.explainedVarianceRatio.reduce((a, b) => a + b, 0)
            }
          : null
      }
    }
    batch.add(`${dir}/features.npy`, { dtype: 'float32', shape: [n, outDim], data: matrix }, 'features')
    const setParams = {
      window: params.window,
      step: params.step,
      pca: params.pca ?? null,
      normalise: params.normalise
    }
    const provenance = {
      extractor: opened.describe,
      extractorIdentity: opened.identity,
      params: setParams,
      rawDim: dim,
      audio: audioHashes,
      stimuliWithoutAudio: all.length - stimuli.length,
      codeVersion: APP_VERSION,
      node: process.version
    }
    let created: FeatureSet | undefined
    try {
      created = batch.commit(([rec]) => {
        const set = cat.featureSets.create({
          name: params.name,
          extractor: params.extractor,
          params: setParams,
          dim: outDim,
          arrayId: rec.id,
          rows,
          transform: transformJson,
          provenance
        })
        files.place()
        return set
      })
      files.finish()
    } catch (err) {
      files.undo()
      throw err
    }
    io.progress(1, `${n} rows x ${outDim}`)
    return {
      id: created.id,
      name: created.name,
      rows: n,
      dim: outDim,
      stimuli: stimuli.length,
      withoutAudio: all.length - stimuli.length
    }
  } catch (err) {
    batch.discard()
    files.undo()
    throw err
  }
}

function info(ws: Workspace, s: FeatureSet, rows: FeatureSetRow[]): FeatureSetInfo {
  const p = s.params as { pca?: number | null; normalise?: boolean }
  return {
    id: s.id,
    name: s.name,
    extractor: s.extractor,
    dim: s.dim ?? 0,
    rows: rows.length,
    stimuli: new Set(rows.map((r) => r.stimulusId)).size,
    params: s.params,
    normalised: p.normalise !== false,
    pca: typeof p.pca === 'number' ? p.pca : null,
    createdAt: s.createdAt
  }
}

export function listFeatureSets(ws: Workspace): FeatureSetInfo[] {
  return ws.catalogue.featureSets.list().map((s) => info(ws, s, ws.catalogue.featureSets.rows(s.id)))
}

export function getFeatureSet(ws: Workspace, id: number): FeatureSetDetail {
  const s = ws.catalogue.featureSets.get(id)
  if (!s) throw new B2mError('not_found', `no feature set ${id}`)
  const rows = ws.catalogue.featureSets.rows(id)
  const perStimulus = new Map<number, number>()
  for (const r of rows) perStimulus.set(r.stimulusId, (perStimulus.get(r.stimulusId) ?? 0) + 1)
  return {
    ...info(ws, s, rows),
    summary: {
      train: rows.filter((r) => r.role === 'train').length,
      test: rows.filter((r) => r.role === 'test').length,
      none: rows.filter((r) => r.role === 'none').length,
      windowStarts: [...new Set(rows.map((r) => r.windowStart))].sort((a, b) => a - b),
      windowsPerStimulus: Math.max(0, ...perStimulus.values())
    },
    transform: s.transform,
    provenance: s.provenance
  }
}

/** A set by id, or by name (the newest of that name). */
export function findFeatureSet(ws: Workspace, ref: number | string): FeatureSet {
  const s = typeof ref === 'number' ? ws.catalogue.featureSets.get(ref) : ws.catalogue.featureSets.getByName(ref)
  if (!s) throw new B2mError('not_found', `no feature set ${typeof ref === 'number' ? ref : `named "${ref}"`}`)
  return s
}

/** The fitted transform of a set (to put library embeddings in the same space), or null. */
export function loadFeatureTransform(ws: Workspace, set: FeatureSet): FeatureTransform | null {
  const path = set.transform?.path
  return typeof path === 'string' ? FeatureTransform.load(workspaceFile(ws, path)) : null
}

// ---------------------------------------------------------------------------------------------
// Joining feature rows with response samples

/** What a response sample (src-main/fmri ResponseSample) says about its stimulus window. */
export interface SampleRef {
  genre: string
  track: number | string
  start: number
  /** Seconds from the clip's onset. */
  windowStart: number
  windowEnd: number
}

const joinKey = (key: string, a: number, b: number) => `${key}|${t6(a).toFixed(3)}|${t6(b).toFixed(3)}`

/**
 * For each response sample, the feature-set row of the same stimulus (genre, track, start) and the same
 * window (start and end, to the millisecond): `index[i]` is that row, or -1 (then `i` is in `missing`).
 * A whole-clip sample ([0, 15)) finds a whole-clip row; a 10 s window sample the 10 s window row.
 */
export function featureRowsFor(
  rows: readonly FeatureSetRow[],
  samples: readonly SampleRef[]
): { index: Int32Array; missing: number[] } {
  const lookup = new Map<string, number>()
  rows.forEach((r, i) => lookup.set(joinKey(r.key, r.windowStart, r.windowEnd), i))
  const index = new Int32Array(samples.length)
  const missing: number[] = []
  samples.forEach((s, i) => {
    const key = stimulusKey({ genre: s.genre, track: String(s.track), start: s.start, onset: 0 })
    const row = lookup.get(joinKey(key, s.windowStart, s.windowEnd))
    if (row === undefined) {
      index[i] = -1
      missing.push(i)
    } else index[i] = row
  })
  return { index, missing }
}

/**
 * The feature matrix rows for the samples, in sample order (samples x dim), for training: throws naming
 * the first sample that has no feature row.
 */
export function gatherFeatures(
  ws: Workspace,
  setRef: number | string,
  samples: readonly SampleRef[]
): { data: Float32Array; dim: number; index: Int32Array } {
  const set = findFeatureSet(ws, setRef)
  const rows = ws.catalogue.featureSets.rows(set.id)
  const { index, missing } = featureRowsFor(rows, samples)
  if (missing.length > 0) {
    const s = samples[missing[0]]
    throw new B2mError(
      'bad_request',
      `feature set "${set.name}" has no row for ${missing.length} of ${samples.length} samples, e.g. ` +
        `${s.genre}.${s.track}@${s.start} window ${s.windowStart}-${s.windowEnd} s ` +
        '(attach its audio, or compute the set with the window and step of the preprocessing)'
    )
  }
  const arr = ws.readArray(set.arrayId!)
  const dim = arr.shape[1]
  const src = arr.data as Float32Array
  const data = new Float32Array(samples.length * dim)
  index.forEach((r, i) => data.set(src.subarray(r * dim, (r + 1) * dim), i * dim))
  return { data, dim, index }
}
