/**
 * `generate.clips`: music generated from a decoder's predicted embeddings of its test clips. The library
 * is taken into the decoder's embedding space first (the feature set's z-score / PCA), so generators
 * learn from and search the same space the decoder predicts. Every clip of the run lands in one
 * transaction at the end; a failure or a cancel leaves the catalogue and the workspace as they were
 * (a spectral map learnt during the run is removed again).
 */
import { createHash } from 'node:crypto'
import type { GenerateClipsResult } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { findFeatureSet, findLibrary, loadFeatureTransform } from '../music'
import { removeQuietly } from '../music/files'
import { decoderTestPredictions, modelFeatureSet } from '../train'
import type { Workspace } from '../workspace'
import { storeGeneratedClips, type GeneratedClip } from './clips'
import { createGenerator, loadLibraryMatrix, type LibrarySpace } from './generators'
import type { SessionManager } from '../onnx/sessions'

export interface GenerateForModelParams {
  model: number
  method: string
  library: string | number
  seed?: number
  /** Default: every test stimulus of the model. */
  stimuli?: number[]
}

export interface GenerateIo {
  progress(fraction: number, message: string): void
  log(level: 'info' | 'warn', text: string): void
  cancelled(): boolean
}

/** Sample rate of generated clips (the built-in extractor's and the stimuli's). */
export const CLIP_SAMPLE_RATE = 22050

/** The library's rows in the space a decoder predicts (its feature set's transform), or null when raw. */
export function libraryModelSpace(ws: Workspace, modelId: number, library: string | number): LibrarySpace | null {
  const lib = findLibrary(ws, library)
  const set = findFeatureSet(ws, modelFeatureSet(ws, modelId))
  if (lib.extractor !== set.extractor)
    throw new B2mError(
      'bad_request',
      `library "${lib.name}" was embedded with ${lib.extractor}, the decoder predicts ${set.extractor} embeddings (feature set "${set.name}"); add the library again with --extractor ${set.extractor}`,
      lib.root
    )
  const transform = loadFeatureTransform(ws, set)
  if (!transform) return null
  const m = loadLibraryMatrix(ws, lib)
  if (transform.dim !== m.dim)
    throw new B2mError(
      'bad_request',
      `library "${lib.name}" has ${m.dim} dimensions, feature set "${set.name}" ${transform.dim}`
    )
  return {
    id: `feature-set:${set.id}:${createHash('sha256').update(JSON.stringify(set.transform)).digest('hex').slice(0, 16)}`,
    data: transform.apply(m.data, m.rows),
    dim: transform.outDim
  }
}

export async function generateForModel(
  ws: Workspace,
  p: GenerateForModelParams,
  io: GenerateIo,
  sessions?: SessionManager
): Promise<GenerateClipsResult> {
  const seed = p.seed ?? 0
  const cancelled = (): void => {
    if (io.cancelled()) throw new B2mError('failed', 'generate.clips cancelled')
  }
  io.progress(0, `predicted embeddings of decoder ${p.model}`)
  const pred = decoderTestPredictions(ws, p.model)
  let rows = pred.stimulusIds.map((_, i) => i)
  if (p.stimuli) {
    const at = new Map(pred.stimulusIds.map((id, i) => [id, i]))
    const wanted = [...new Set(p.stimuli)]
    const unknown = wanted.filter((id) => !at.has(id))
    if (unknown.length > 0)
      throw new B2mError(
        'bad_request',
        `stimulus ${unknown.join(', ')} is not a test clip of decoder ${p.model} (its test clips: ${pred.stimulusIds.join(', ')})`
      )
    rows = wanted.map((id) => at.get(id)!)
  }
  const lib = findLibrary(ws, p.library)
  const space = libraryModelSpace(ws, p.model, lib.id)
  const arraysBefore = new Set(ws.catalogue.arrays.list().map((a) => a.id))
  const undoLearnt = (): void => {
    // arrays a generator cached during this run (a spectral map): gone again on failure
    for (const a of ws.catalogue.arrays.list())
      if (!arraysBefore.has(a.id) && a.role === 'spectral-map') {
        ws.catalogue.arrays.remove(a.id)
        removeQuietly(ws.arrayPath(a.relPath))
      }
  }
  try {
    const gen = await createGenerator(ws, p.method, lib, {
      ...(sessions ? { sessions } : {}),
      progress: (f, m) => io.progress(0.02 + 0.38 * f, m),
      log: (level, text) => io.log(level, text),
      cancelled: io.cancelled,
      ...(space ? { space } : {})
    })
    const made: GeneratedClip[] = []
    try {
      if (gen.dim !== pred.dim)
        throw new B2mError(
          'bad_request',
          `decoder ${p.model} predicts ${pred.dim} dimensions, the generator takes ${gen.dim}`
        )
      const describe = gen.describe()
      for (const [j, r] of rows.entries()) {
        cancelled()
        const stimulusId = pred.stimulusIds[r]
        const s = ws.catalogue.stimulusAudio.get(stimulusId)
        const seconds = s && s.start !== null && s.end !== null && s.end > s.start ? s.end - s.start : 15
        io.progress(0.4 + (0.55 * j) / rows.length, `${p.method}: ${s?.key ?? stimulusId} (${j + 1}/${rows.length})`)
        const embedding = Float32Array.from(pred.pred.subarray(r * pred.dim, (r + 1) * pred.dim))
        const samples = await gen.generate(embedding, { seed, seconds, sampleRate: CLIP_SAMPLE_RATE })
        made.push({
          samples,
          sampleRate: CLIP_SAMPLE_RATE,
          modelId: p.model,
          stimulusId,
          stimulusKey: s?.key ?? null,
          libraryId: lib.id,
          method: p.method,
          seed,
          embedding,
          provenance: { ...describe, ...(space ? { space: space.id } : {}) }
        })
      }
    } finally {
      await gen.dispose()
    }
    cancelled()
    io.progress(0.96, 'writing the clips')
    const clips = storeGeneratedClips(ws, made, lib.name)
    io.progress(1, `${clips.length} clip(s) generated with ${p.method}`)
    return { clips: clips.map((c) => c.id) }
  } catch (err) {
    undoLearnt()
    throw err
  }
}
