/**
 * `b2m decode`: a decoder's predicted embeddings of its test clips, looked up in a music library by
 * exact cosine similarity (decode/retrieval.ts). The library's embeddings go through the decoder's
 * feature-set transform (z-score, PCA) first, so both live in the space the decoder predicts. The top-k
 * of each test clip are catalogued as retrieval clips, with their scores and ranks.
 */
import type { DecodeRetrieveResult } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { CosineIndex } from '../decode/retrieval'
import { topKGenreAgreement } from '../evaluate/genre'
import { findLibrary } from '../music'
import { libraryModelSpace } from '../decode/generate-clips'
import { loadLibraryMatrix } from '../decode/generators/library'
import { decoderTestPredictions, modelRecord } from '../train'
import { APP_VERSION } from '../common/version'
import type { Workspace } from '../workspace'
import type { PipelineIo } from './stages'

export interface RetrieveParams {
  model: number
  library: string | number
  top: number
  /** When given, the model must be this subject's. */
  subject?: string
}

type RetrieveResult = DecodeRetrieveResult
type RetrievedItem = RetrieveResult['results'][number]['items'][number]

export async function retrieveForModel(
  ws: Workspace,
  p: RetrieveParams,
  io: PipelineIo
): Promise<DecodeRetrieveResult> {
  if (!Number.isInteger(p.top) || p.top < 1)
    throw new B2mError('bad_request', `--top must be a positive integer, got ${p.top}`)
  if (p.subject !== undefined) {
    const m = modelRecord(ws, p.model)
    if (m.subject !== p.subject)
      throw new B2mError('bad_request', `model ${p.model} is ${m.subject}'s, not ${p.subject}'s`)
  }
  io.progress(0, 'predicting the test clips')
  const pred = decoderTestPredictions(ws, p.model)
  io.progress(0.2, 'preparing the library')
  const libRecord = findLibrary(ws, p.library)
  const matrix = loadLibraryMatrix(ws, libRecord)
  // the library in the space the decoder predicts (its feature set's z-score and PCA)
  const space = libraryModelSpace(ws, p.model, libRecord.id) ?? { data: matrix.data, dim: matrix.dim }
  if (space.dim !== pred.dim)
    throw new B2mError(
      'bad_request',
      `decoder ${p.model} predicts ${pred.dim} dimensions, library "${libRecord.name}" has ${space.dim}`
    )
  const k = Math.min(p.top, matrix.rows)
  const index = CosineIndex.fromLibrary(space.data, matrix.rows, space.dim)
  io.progress(0.4, `searching ${matrix.rows} library clips`)
  const found = await index.query(pred.pred, pred.n, { k })
  const byId = new Map(ws.catalogue.stimuli.list().map((s) => [s.id, s]))
  const stimuli = pred.stimulusIds.map((id) => {
    const s = byId.get(id)
    if (!s) throw new B2mError('internal', `stimulus ${id} is not in the catalogue`)
    return s
  })
  const agreement = topKGenreAgreement({
    indices: found.indices,
    queries: pred.n,
    k,
    queryGenres: stimuli.map((s) => s.genre ?? ''),
    libraryGenres: matrix.items.map((it) => it.genre ?? '')
  })
  io.progress(0.8, 'cataloguing the retrieved clips')
  const results: RetrieveResult['results'] = []
  ws.catalogue.transaction(() => {
    // decoding again replaces this model's earlier retrieval from the same library
    for (const c of ws.catalogue.clips.list({ model: p.model }))
      if (c.method === 'retrieval' && c.libraryId === libRecord.id) ws.catalogue.clips.remove(c.id)
    stimuli.forEach((s, q) => {
      const items: RetrievedItem[] = []
      for (let j = 0; j < k; j++) {
        const row = found.indices[q * k + j]
        const it = matrix.items[row]
        const score = found.scores[q * k + j]
        const clip = ws.catalogue.clips.add({
          modelId: p.model,
          stimulusId: s.id,
          libraryId: libRecord.id,
          libraryItemId: it.id,
          method: 'retrieval',
          rank: j + 1,
          score,
          audioPath: null,
          audioSha256: null,
          duration: it.duration,
          provenance: {
            model: p.model,
            library: libRecord.name,
            librarySha256: matrix.sha256,
            row,
            metric: 'cosine',
            codeVersion: APP_VERSION
          }
        })
        items.push({
          rank: j + 1,
          score,
          itemId: it.id,
          path: it.path,
          genre: it.genre,
          title: it.title,
          clipId: clip.id
        })
      }
      results.push({ stimulusId: s.id, key: s.key, genre: s.genre, items })
    })
  })
  io.progress(1, `top ${k} of ${pred.n} test clips`)
  return {
    model: p.model,
    library: libRecord.name,
    top: k,
    clips: pred.n * k,
    genreAgreement: agreement.precision,
    genreAgreementChance: agreement.chancePrecision,
    hitRate: agreement.hitRate,
    results
  }
}
