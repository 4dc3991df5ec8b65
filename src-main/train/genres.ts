/**
 * The paper's genre generalisation of a stored decoder: its exact configuration (preprocessing, feature
 * set, voxel selection, alpha grid, folds) retrained once per genre with that genre's training clips
 * removed, each retrained decoder predicting the held-out genre's test clips (evaluate/genre.ts
 * `leaveOneGenreOut` runs the folds and scores them).
 *
 * Comparison set: each held-out clip's prediction is identified (Eq. 2) against the true embeddings of ALL
 * test clips, not only its genre's. That keeps chance at 0.5 and the numbers on the scale of the full
 * decoder's identification over the same clips (shown beside them), and asks the question the analysis is
 * for: does a decoder that never heard a genre still tell its clips from every other clip? (Within-genre
 * identification is reported too, but with 1-6 clips a genre it is coarse.)
 *
 * Scores come twice: the predictions as the retrained decoders give them (`heldOut`), and `centred`, with
 * each fold decoder's training-mean embedding subtracted. Leaving a genre out moves that mean, the point a
 * ridge decoder shrinks towards, away from the genre (by n_g/(N - n_g) of its mean), so raw held-out
 * predictions lean away from their own clips; with strong shrinkage that bias can outweigh the
 * voxel-driven part (on the quick demo study: raw 0.09, centred 0.79, full decoder 0.88). The centred
 * score uses nothing of the held-out genre.
 *
 * Caveats, by design "exact configuration": an `encoding` voxel selection keeps the encoding model's
 * voxels (its CV r saw every genre); the feature set's z-scoring/PCA was fitted on all training clips.
 * ROI selection is redone inside each fold by CV, as training does.
 */
import type { GenreGeneralisation, VoxelSelection } from '../../src-preload/api'
import { ModelsRepo } from '../catalogue/models'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import {
  CHANCE_IDENTIFICATION,
  identificationAccuracy,
  leaveOneGenreOut,
  perDimensionCorrelation,
  perGenreIdentification
} from '../evaluate'
import { SessionManager } from '../onnx/sessions'
import { RidgeCancelled } from '../ridge'
import type { Workspace } from '../workspace'
import { TrainCancelled, type TrainHooks, alphaGrid } from './common'
import { averageRows, clipGroups, loadTrainingData } from './data'
import { candidates, decoderTestPredictions, fitDecoderParts, predictParts } from './decoder'
import { modelRecord } from './store'

export const GENRE_GENERALISATION = 'genre-generalisation'

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)

function meanOf(xs: readonly (number | null)[]): number | null {
  const ok = xs.filter((x): x is number => x !== null && Number.isFinite(x))
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null
}

function rowsOf(data: Float32Array, cols: number, rows: readonly number[] | Int32Array): Float32Array {
  const out = new Float32Array(rows.length * cols)
  rows.forEach((r, i) => out.set(data.subarray(r * cols, (r + 1) * cols), i * cols))
  return out
}

/** Mean per-dimension r across `n` clips; null below 3 clips, where r says nothing. */
function meanR(pred: Float32Array, truth: Float32Array, n: number, d: number): number | null {
  return n >= 3 ? finite(perDimensionCorrelation(pred, truth, n, d).mean) : null
}

/** Runs the genre generalisation of decoder `modelId` and stores it as an evaluation of the model. */
export async function evaluateGenreGeneralisation(
  ws: Workspace,
  modelId: number,
  hooks: TrainHooks
): Promise<GenreGeneralisation> {
  const t0 = performance.now()
  const cancelled = () => hooks.cancelled()
  const stop = () => {
    if (cancelled()) throw new TrainCancelled('eval.genres')
  }
  const rec = modelRecord(ws, modelId)
  if (rec.kind !== 'decoder')
    throw new B2mError(
      'bad_request',
      `model ${modelId} ("${rec.name}") is an encoding model, not a decoder: genre generalisation retrains a decoder`
    )
  if (rec.featureSetId === null || rec.preprocessingId === null)
    throw new B2mError('failed', `decoder ${modelId} no longer has its feature set or preprocessing in the catalogue`)
  const params = rec.params as { selection?: VoxelSelection; alphas?: number[]; folds?: number }
  hooks.progress(0, 'loading responses and features')
  const data = loadTrainingData(ws, rec.subject, rec.featureSetId, rec.preprocessingId)
  const C = data.train.columns
  if (typeof rec.summary.columns === 'number' && rec.summary.columns !== C)
    throw new B2mError(
      'failed',
      `decoder ${modelId} was trained on ${String(rec.summary.columns)} response columns but preprocessing ${data.preprocessing.id} now has ${C}`,
      data.train.path
    )
  const { list, top } = await candidates(ws, data, params.selection ?? { kind: 'all' })
  const alphas = alphaGrid(params.alphas)
  const folds = params.folds ?? 5
  const d = data.dim
  const N = data.train.rows

  // the test clips, in the order the stored evaluation holds them
  const full = decoderTestPredictions(ws, modelId)
  const groups = clipGroups(data.testStimuli)
  const n = groups.ids.length
  if (full.n !== n || full.dim !== d || full.stimulusIds.some((id, i) => id !== groups.ids[i]))
    throw new B2mError(
      'failed',
      `decoder ${modelId}'s stored evaluation (${full.n} clips x ${full.dim}) does not match its test data (${n} clips x ${d}); retrain it`
    )
  const genres = groups.members.map((rows) => data.test.samples[rows[0]].genre)
  const truth = averageRows(data.xTest, d, groups.members)
  const trainGenre = data.train.samples.map((s) => s.genre)
  hooks.log(
    'info',
    `genre generalisation of decoder ${modelId}: ${new Set(genres).size} genres, ${n} test clips, ${N} training rows, ` +
      `${list.length} voxel set(s), ${alphas.length} alphas, ${folds} folds`
  )

  const own = hooks.sessions ? null : new SessionManager({ log: (l, t) => l !== 'debug' && hooks.log(l, t) })
  const sessions = hooks.sessions ?? own!
  const removed = new Map<string, number>()
  // each fold decoder's training mean embedding (its intercept's target): the centred scores subtract it
  const foldMean = new Map<string, Float32Array>()
  try {
    let fold = 0
    const nGenres = new Set(genres).size
    const res = await leaveOneGenreOut({
      sessions,
      genres,
      truth,
      n,
      d,
      shouldStop: cancelled,
      onProgress: (f, m) => hooks.progress(0.02 + 0.9 * f, m),
      train: async (g) => {
        const keep: number[] = []
        for (let i = 0; i < N; i++) if (trainGenre[i] !== g.genre) keep.push(i)
        removed.set(g.genre, N - keep.length)
        if (N - keep.length === 0)
          hooks.log('warn', `no training rows of genre ${g.genre}: its decoder is trained on everything`)
        if (keep.length < folds)
          throw new B2mError(
            'bad_request',
            `without genre ${g.genre} only ${keep.length} training rows remain, fewer than the decoder's ${folds} folds`
          )
        const base = 0.02 + (0.9 * fold) / nGenres
        hooks.log(
          'info',
          `without ${g.genre}: ${keep.length} training rows, predicting ${g.testIndex.length} test clip(s)`
        )
        const { parts } = await fitDecoderParts(
          rowsOf(data.train.data, C, keep),
          keep.length,
          C,
          rowsOf(data.xTrain, d, keep),
          d,
          list,
          top,
          {
            alphas,
            folds,
            sessions,
            progress: (f, m) => hooks.progress(base + (0.9 * f) / nGenres, `without ${g.genre}: ${m}`),
            cancelled
          }
        )
        foldMean.set(g.genre, parts[0].yMean)
        fold++
        stop()
        // the held-out genre's test rows only, averaged per clip in testIndex order
        const rows = Array.from(g.testIndex, (k) => groups.members[k]).flat()
        const pred = await predictParts(parts, rowsOf(data.test.data, C, rows), rows.length, C, sessions)
        let at = 0
        const members = Array.from(g.testIndex, (k) => groups.members[k].map(() => at++))
        return averageRows(pred, d, members)
      }
    })
    stop()
    hooks.progress(0.93, 'scoring')
    const fullId = await identificationAccuracy(sessions, full.pred, truth, n, d)
    const fullByGenre = perGenreIdentification(fullId.perSample, genres)
    const centred = Float32Array.from(res.predictions)
    genres.forEach((g, i) => {
      const m = foldMean.get(g)!
      for (let k = 0; k < d; k++) centred[i * d + k] -= m[k]
    })
    const centredId = await identificationAccuracy(sessions, centred, truth, n, d)
    const centredByGenre = perGenreIdentification(centredId.perSample, genres)
    const genreRows = res.folds.map((f, k) => {
      const idx: number[] = []
      genres.forEach((g, i) => g === f.genre && idx.push(i))
      const tG = rowsOf(truth, d, idx)
      return {
        genre: f.genre,
        n: f.n,
        trainRowsRemoved: removed.get(f.genre) ?? 0,
        heldOut: {
          identification: finite(f.amongAll),
          meanR: meanR(rowsOf(Float32Array.from(res.predictions), d, idx), tG, f.n, d)
        },
        centred: {
          identification: finite(centredByGenre[k].accuracy),
          meanR: meanR(rowsOf(centred, d, idx), tG, f.n, d)
        },
        withinGenre: finite(f.withinGenre),
        full: { identification: finite(fullByGenre[k].accuracy), meanR: meanR(rowsOf(full.pred, d, idx), tG, f.n, d) }
      }
    })
    const metrics: Omit<GenreGeneralisation, 'evaluationId'> = {
      modelId,
      comparison: 'all-test-clips',
      chance: CHANCE_IDENTIFICATION,
      n,
      genres: genreRows,
      heldOut: {
        identification: finite(res.overall.accuracy),
        meanR: finite(res.perDimension.mean),
        meanOverGenres: meanOf(genreRows.map((g) => g.heldOut.identification))
      },
      centred: {
        identification: finite(centredId.accuracy),
        meanR: meanR(centred, truth, n, d),
        meanOverGenres: meanOf(genreRows.map((g) => g.centred.identification))
      },
      full: {
        identification: finite(fullId.accuracy),
        meanR: meanR(full.pred, truth, n, d),
        meanOverGenres: meanOf(genreRows.map((g) => g.full.identification))
      },
      seconds: (performance.now() - t0) / 1000
    }
    hooks.log(
      'info',
      `held-out genres: identification ${metrics.heldOut.identification?.toFixed(3) ?? 'n/a'} ` +
        `(full decoder ${metrics.full.identification?.toFixed(3) ?? 'n/a'}, chance 0.5)`
    )
    stop()
    hooks.progress(0.97, 'writing')
    const dir = typeof rec.summary.dir === 'string' ? rec.summary.dir : `trained/model-${modelId}`
    const stamp = Date.now().toString(36)
    const batch = ws.batch()
    batch.add(
      `${dir}/genre-generalisation-${stamp}.pred.npy`,
      { dtype: 'float32', shape: [n, d], data: Float32Array.from(res.predictions) },
      'evaluation-pred'
    )
    const ev = batch.commit(([pred]) =>
      new ModelsRepo(ws.catalogue.db).addEvaluation(
        modelId,
        { kind: GENRE_GENERALISATION, ...metrics },
        {
          modelId,
          analysis: GENRE_GENERALISATION,
          params: { selection: params.selection ?? { kind: 'all' }, alphas, folds },
          data: { train: data.train.sha256, test: data.test.sha256, features: data.featureSha256 },
          codeVersion: APP_VERSION
        },
        { pred: pred.id }
      )
    )
    hooks.progress(1, `genre generalisation of decoder ${modelId} saved`)
    return { evaluationId: ev.id, ...metrics }
  } catch (err) {
    if (err instanceof RidgeCancelled || (cancelled() && err instanceof B2mError))
      throw new TrainCancelled('eval.genres')
    throw err
  } finally {
    await own?.dispose()
  }
}
