/**
 * Genre-level views of decoding: identification per genre, genre agreement of retrieved library items,
 * and leave-one-genre-out decoder training (the paper's genre generalisation: train on all genres but
 * one, decode the held-out genre's clips).
 */
import { B2mError } from '../common/errors'
import type { SessionManager } from '../onnx/sessions'
import { perDimensionCorrelation, type DimensionCorrelation } from './correlation'
import { identificationAccuracy, type IdentificationResult } from './identification'
import { checkMatrix, distinctLabels, type Matrix } from './matrix'

export type GenreLabel = string | number

export interface GenreScore<L extends GenreLabel = GenreLabel> {
  genre: L
  /** Samples of this genre. */
  n: number
  /** Mean id_i over them. */
  accuracy: number
}

/** Mean id_i (from identificationAccuracy over all samples) over the samples of each genre. */
export function perGenreIdentification<L extends GenreLabel>(
  perSample: ArrayLike<number>,
  genres: ArrayLike<L>
): GenreScore<L>[] {
  if (genres.length !== perSample.length)
    throw new B2mError('bad_request', `${genres.length} genre labels for ${perSample.length} samples`)
  return distinctLabels(genres).map((g) => {
    let sum = 0
    let n = 0
    for (let i = 0; i < genres.length; i++) {
      if (genres[i] === g) {
        sum += perSample[i]
        n++
      }
    }
    return { genre: g, n, accuracy: sum / n }
  })
}

export interface GenreAgreementOptions<L extends GenreLabel> {
  /** queries x k retrieved library indices (CosineIndex.query's `indices`). */
  indices: Int32Array
  queries: number
  k: number
  /** The stimulus genre of each query. */
  queryGenres: ArrayLike<L>
  /** The genre of each library item. */
  libraryGenres: ArrayLike<L>
  /** Score only the first `topK` of the k results (default k). */
  topK?: number
}

export interface GenreAgreement<L extends GenreLabel> {
  topK: number
  /** Mean over queries of the fraction of the top k whose genre is the query's genre. */
  precision: number
  /** Fraction of queries with at least one top-k item of their genre. */
  hitRate: number
  /** The precision random retrieval would have: mean over queries of its genre's share of the library. */
  chancePrecision: number
  /** Per query: the fraction of agreeing items. */
  perQuery: Float64Array
  perGenre: { genre: L; n: number; precision: number; hitRate: number; chancePrecision: number }[]
}

/** Top-k genre agreement of retrieved library items with the stimulus genre. */
export function topKGenreAgreement<L extends GenreLabel>(o: GenreAgreementOptions<L>): GenreAgreement<L> {
  const { indices, queries, k, queryGenres, libraryGenres } = o
  if (indices.length !== queries * k)
    throw new B2mError('bad_request', `indices has ${indices.length} entries, ${queries} x ${k} expected`)
  if (queryGenres.length !== queries)
    throw new B2mError('bad_request', `${queryGenres.length} query genres for ${queries} queries`)
  const topK = o.topK ?? k
  if (!Number.isInteger(topK) || topK < 1 || topK > k)
    throw new B2mError('bad_request', `topK must be an integer in [1, ${k}], got ${topK}`)
  const share = new Map<L, number>()
  for (let i = 0; i < libraryGenres.length; i++) share.set(libraryGenres[i], (share.get(libraryGenres[i]) ?? 0) + 1)
  for (const [g, c] of share) share.set(g, c / libraryGenres.length)
  const perQuery = new Float64Array(queries)
  const hit = new Uint8Array(queries)
  for (let qi = 0; qi < queries; qi++) {
    let agree = 0
    for (let j = 0; j < topK; j++) {
      const item = indices[qi * k + j]
      if (!(item >= 0 && item < libraryGenres.length))
        throw new B2mError('bad_request', `retrieved index ${item} (query ${qi}) is outside the library`)
      if (libraryGenres[item] === queryGenres[qi]) agree++
    }
    perQuery[qi] = agree / topK
    hit[qi] = agree > 0 ? 1 : 0
  }
  const mean = (sel: (i: number) => boolean, f: (i: number) => number): [number, number] => {
    let s = 0
    let n = 0
    for (let i = 0; i < queries; i++) {
      if (sel(i)) {
        s += f(i)
        n++
      }
    }
    return [n ? s / n : NaN, n]
  }
  const all = () => true
  const perGenre = distinctLabels(queryGenres).map((g) => {
    const sel = (i: number) => queryGenres[i] === g
    const [precision, n] = mean(sel, (i) => perQuery[i])
    return { genre: g, n, precision, hitRate: mean(sel, (i) => hit[i])[0], chancePrecision: share.get(g) ?? 0 }
  })
  return {
    topK,
    precision: mean(all, (i) => perQuery[i])[0],
    hitRate: mean(all, (i) => hit[i])[0],
    chancePrecision: mean(all, (i) => share.get(queryGenres[i]) ?? 0)[0],
    perQuery,
    perGenre
  }
}

export interface GenreFold<L extends GenreLabel> {
  /** The held-out genre. */
  genre: L
  /** Samples to train on (every other genre), ascending. */
  trainIndex: Int32Array
  /** The held-out genre's samples, ascending; the callback predicts these, in this order. */
  testIndex: Int32Array
}

export interface LeaveOneGenreOutOptions<L extends GenreLabel> {
  sessions: SessionManager
  /** The genre of each sample. */
  genres: ArrayLike<L>
  /** n x d true embeddings. */
  truth: Matrix
  n: number
  d: number
  /** Trains a decoder on fold.trainIndex and returns its predictions for fold.testIndex (testIndex.length x d). */
  train: (fold: GenreFold<L>) => Promise<Matrix> | Matrix
  onProgress?: (fraction: number, message: string) => void
  shouldStop?: () => boolean
}

export interface GenreGeneralisation<L extends GenreLabel> {
  folds: {
    genre: L
    n: number
    /** Identification among the held-out genre's samples only (NaN with fewer than 2). */
    withinGenre: number
    /** Mean id_i of this genre's samples in the identification over all samples (`overall`). */
    amongAll: number
  }[]
  /** n x d: each sample predicted by the decoder that never saw its genre. */
  predictions: Float64Array
  /** Identification of `predictions` against the truth over all n samples. */
  overall: IdentificationResult
  perDimension: DimensionCorrelation
}

export async function leaveOneGenreOut<L extends GenreLabel>(
  o: LeaveOneGenreOutOptions<L>
): Promise<GenreGeneralisation<L>> {
  const { genres, truth, n, d } = o
  checkMatrix('true', truth, n, d)
  if (genres.length !== n) throw new B2mError('bad_request', `${genres.length} genre labels for ${n} samples`)
  const labels = distinctLabels(genres)
  if (labels.length < 2) throw new B2mError('bad_request', 'leave-one-genre-out needs at least two genres')
  const predictions = new Float64Array(n * d)
  const progress = o.onProgress ?? (() => {})
  const within: number[] = []
  for (let f = 0; f < labels.length; f++) {
    if (o.shouldStop?.()) throw new B2mError('failed', 'leave-one-genre-out cancelled')
    const g = labels[f]
    const train: number[] = []
    const test: number[] = []
    for (let i = 0; i < n; i++) (genres[i] === g ? test : train).push(i)
    progress(f / labels.length, `training without genre ${String(g)} (${f + 1} of ${labels.length})`)
    const fold: GenreFold<L> = { genre: g, trainIndex: Int32Array.from(train), testIndex: Int32Array.from(test) }
    const pred = await o.train(fold)
    checkMatrix(`predictions for held-out genre ${String(g)}`, pred, test.length, d)
    const truthG = new Float64Array(test.length * d)
    test.forEach((row, t) => {
      predictions.set(pred.subarray(t * d, t * d + d), row * d)
      truthG.set(truth.subarray(row * d, row * d + d), t * d)
    })
    within.push(
      test.length >= 2
        ? (await identificationAccuracy(o.sessions, Float64Array.from(pred), truthG, test.length, d)).accuracy
        : NaN
    )
  }
  const overall = await identificationAccuracy(o.sessions, predictions, Float64Array.from(truth), n, d)
  const byGenre = perGenreIdentification(overall.perSample, genres)
  progress(1, 'leave-one-genre-out done')
  return {
    folds: labels.map((g, f) => ({ genre: g, n: byGenre[f].n, withinGenre: within[f], amongAll: byGenre[f].accuracy })),
    predictions,
    overall,
    perDimension: perDimensionCorrelation(predictions, truth, n, d)
  }
}
