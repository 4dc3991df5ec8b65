/**
 * Ridge regression with one alpha per target chosen by cross-validation — the definition in
 * `shared/bench/ridge_ref.py`, computed the himalaya way: one float64 eigendecomposition per fold serves
 * every alpha, targets go in batches, and every X-sized product runs on ONNX Runtime.
 *
 * Kernel form (n <= p): one kernel K = A·Aᵀ of the globally centred data is built once; each fold's
 * training kernel and test-by-train cross kernel, centred by the fold's training means, are exact
 * rank-one corrections of K's blocks, so X is read twice in all (K, and the final Aᵀ·Z).
 * Gram form (p < n): G = Aᵀ·A and Aᵀ·B are built once; a fold subtracts its held-out rows' share.
 */
import { B2mError } from '../common/errors'
import type { SessionManager } from '../onnx/sessions'
import { product } from './blas'
import { eigh } from './eigh'
import { makeFolds, type Fold } from './folds'
import { centredCross, centredGram, centredKernel, centredRowsAt, centredTransposeTimes, columnMeans } from './kernel'
import { addPearsonColumns, centreColumns } from './pearson'
import { addScoresFloat32 } from './scores'

export type RidgeForm = 'kernel' | 'gram'

export interface RidgeFitOptions {
  /** Candidate alphas (default logspace(-2, 10, 25)). */
  alphas?: readonly number[]
  /** K for contiguous K-fold CV (default 5); ignored when groups are given. */
  folds?: number
  /** One group label per sample: leave-one-group-out over the sorted distinct labels. */
  groups?: Int32Array
  /** Targets scored together (bounds memory; default 4096). */
  targetBatch?: number
  /** Force a form (default: kernel when n <= p, else gram). */
  form?: RidgeForm
  sessions: SessionManager
  onProgress?: (fraction: number, message: string) => void
  /** Polled between steps; returning true stops the fit with a RidgeCancelled error. */
  shouldStop?: () => boolean
}

export interface RidgeFitResult {
  /** p x t, float32, row-major. */
  weights: Float32Array
  intercept: Float32Array
  /** The chosen alpha per target. */
  bestAlphas: Float64Array
  /** nAlphas x t: mean held-out Pearson r per alpha and target. */
  cvScores: Float64Array
  alphas: Float64Array
  nFeatures: number
  nTargets: number
  form: RidgeForm
  nFolds: number
  warnings: string[]
  /** Targets whose CV scores were recomputed in float64 because their best alphas nearly tied. */
  refinedTargets: number
}

export class RidgeCancelled extends B2mError {
  constructor() {
    super('failed', 'ridge fit cancelled')
    this.name = 'RidgeCancelled'
  }
}

/**
 * numpy.logspace(-2, 10, 25), bit for bit as numpy computes it (JS `10 ** x` differs in the last place
 * for two of them, which would make "the same alpha" compare unequal).
 */
const LOGSPACE_M2_10_25 = [
  0.01, 0.03162277660168379, 0.1, 0.31622776601683794, 1.0, 3.1622776601683795, 10.0, 31.622776601683793, 100.0,
  316.2277660168379, 1000.0, 3162.2776601683795, 10000.0, 31622.776601683792, 100000.0, 316227.7660168379, 1000000.0,
  3162277.660168379, 10000000.0, 31622776.60168379, 100000000.0, 316227766.01683795, 1000000000.0, 3162277660.1683793,
  10000000000.0
]

/** The default alpha grid, numpy.logspace(-2, 10, 25). */
export function defaultAlphas(): Float64Array {
  return Float64Array.from(LOGSPACE_M2_10_25)
}

function clipNegative(values: Float64Array): void {
  for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0
}

/**
 * Adds, for every alpha a, r(L·diag(1/(λ+a))·C, truth) per target into scores[a, t0 + j]. L is
 * [rows, r], C is [r, tb], both float64.
 */
async function scoreAlphas(
  mgr: SessionManager,
  L: Float64Array,
  rows: number,
  lam: Float64Array,
  C: Float64Array,
  tb: number,
  truth: { centred: Float64Array; ss: Float64Array },
  alphas: Float64Array,
  scores: Float64Array,
  t: number,
  t0: number
): Promise<void> {
  const r = lam.length
  const M = new Float64Array(r * tb)
  for (let ai = 0; ai < alphas.length; ai++) {
    const a = alphas[ai]
    for (let k = 0; k < r; k++) {
      const s = 1 / (lam[k] + a)
      const o = k * tb
      for (let j = 0; j < tb; j++) M[o + j] = C[o + j] * s
    }
    const P = await product(mgr, L, [rows, r], M, [r, tb])
    addPearsonColumns(P, truth.centred, truth.ss, rows, tb, scores, ai * t + t0)
  }
}

function validate(x: Float32Array, xShape: readonly number[], y: Float32Array, yShape: readonly number[]): void {
  const [n, p] = xShape
  const [ny, t] = yShape
  if (xShape.length !== 2 || yShape.length !== 2) throw new B2mError('bad_request', 'ridge: X and Y must be 2-D')
  if (x.length !== n * p)
    throw new B2mError('bad_request', `ridge: X has ${x.length} values, shape [${n}, ${p}] needs ${n * p}`)
  if (y.length !== ny * t)
    throw new B2mError('bad_request', `ridge: Y has ${y.length} values, shape [${ny}, ${t}] needs ${ny * t}`)
  if (n !== ny) throw new B2mError('bad_request', `ridge: X has ${n} rows but Y has ${ny}`)
  if (n < 2 || p < 1 || t < 1)
    throw new B2mError('bad_request', `ridge: need at least 2 samples, 1 feature and 1 target (got ${n}, ${p}, ${t})`)
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i])) throw new B2mError('bad_request', `ridge: X has a non-finite value at flat index ${i}`)
  for (let i = 0; i < y.length; i++)
    if (!Number.isFinite(y[i])) throw new B2mError('bad_request', `ridge: Y has a non-finite value at flat index ${i}`)
}

export async function ridgeFit(
  x: Float32Array,
  xShape: readonly [number, number],
  y: Float32Array,
  yShape: readonly [number, number],
  options: RidgeFitOptions
): Promise<RidgeFitResult> {
  validate(x, xShape, y, yShape)
  const [n, p] = xShape
  const t = yShape[1]
  const mgr = options.sessions
  const alphas = options.alphas ? Float64Array.from(options.alphas) : defaultAlphas()
  if (alphas.length === 0 || alphas.some((a) => !(a > 0) || !Number.isFinite(a))) {
    throw new B2mError('bad_request', 'ridge: alphas must be a non-empty list of positive numbers')
  }
  const folds = makeFolds(n, options.folds ?? 5, options.groups)
  for (const f of folds) {
    if (f.train.length < 1 || f.test.length < 1)
      throw new B2mError('bad_request', 'ridge: a fold has no training or no test rows')
  }
  const form: RidgeForm = options.form ?? (n <= p ? 'kernel' : 'gram')
  const tbMax = Math.max(1, Math.floor(options.targetBatch ?? 4096))
  const nA = alphas.length
  const scores = new Float64Array(nA * t)
  const progress = options.onProgress ?? (() => {})
  const steps = folds.length + 2
  let step = 0
  const stopCheck = (): void => {
    if (options.shouldStop?.()) throw new RidgeCancelled()
  }
  const mx = columnMeans(x, n, p)
  const my = columnMeans(y, n, t)
  const all = new Int32Array(n)
  for (let i = 0; i < n; i++) all[i] = i

  progress(0, `ridge (${form} form): preparing`)
  let weights: Float32Array
  let refined = 0
  const best = new Int32Array(t)
  if (form === 'kernel') {
    const K = await centredKernel(mgr, x, n, p, mx)
    progress(++step / steps, 'kernel built')
    const states: KernelFoldState[] = []
    for (const [fi, fold] of folds.entries()) {
      stopCheck()
      const st = await prepareKernelFold(mgr, K, n, fold)
      await scoreKernelFold(mgr, st, y, t, alphas, scores, tbMax, false)
      st.Q32 = st.L32 = new Float32Array(0) // only the float64 factors are kept for refinement
      states.push(st)
      progress(++step / steps, `fold ${fi + 1}/${folds.length} scored`)
    }
    for (let i = 0; i < scores.length; i++) scores[i] /= folds.length
    refined = await refineNearTies(scores, folds.length, nA, t, y, n, async (ySub, tSub, out) => {
      for (const st of states) await scoreKernelFold(mgr, st, ySub, tSub, alphas, out, tbMax, true)
    })
    states.length = 0
    for (let j = 0; j < t; j++) best[j] = argmaxColumn(scores, nA, t, j)
    stopCheck()
    const { values: lam, vectors: Q } = await eigh(K, n, { sessions: mgr })
    clipNegative(lam)
    const Z = new Float32Array(n * t)
    for (let t0 = 0; t0 < t; t0 += tbMax) {
      const t1 = Math.min(t, t0 + tbMax)
      const tb = t1 - t0
      const B = centredRowsAt64(y, t, my, all, t0, t1)
      const C = await product(mgr, Q, [n, n], B, [n, tb], { transA: true })
      scaleByBest(C, n, tb, lam, alphas, best, t0)
      const Zb = await product(mgr, Q, [n, n], C, [n, tb])
      for (let i = 0; i < n; i++) for (let j = 0; j < tb; j++) Z[i * t + t0 + j] = Zb[i * tb + j]
    }
    weights = await centredTransposeTimes(mgr, x, n, p, mx, Z, t)
  } else {
    const G = await centredGram(mgr, x, p, mx, all)
    const sumA = columnSumsCentred(x, p, mx, all)
    progress(++step / steps, 'Gram matrix built')
    const states: GramFoldState[] = []
    for (const [fi, fold] of folds.entries()) {
      stopCheck()
      const st = await prepareGramFold(mgr, G, sumA, x, p, mx, fold)
      await scoreGramFold(mgr, st, x, p, mx, y, t, my, alphas, scores, tbMax, false)
      st.V32 = st.L32 = new Float32Array(0)
      states.push(st)
      progress(++step / steps, `fold ${fi + 1}/${folds.length} scored`)
    }
    for (let i = 0; i < scores.length; i++) scores[i] /= folds.length
    refined = await refineNearTies(scores, folds.length, nA, t, y, n, async (ySub, tSub, out) => {
      const mySub = columnMeans(ySub, n, tSub)
      for (const st of states) await scoreGramFold(mgr, st, x, p, mx, ySub, tSub, mySub, alphas, out, tbMax, true)
    })
    states.length = 0
    for (let j = 0; j < t; j++) best[j] = argmaxColumn(scores, nA, t, j)
    stopCheck()
    // G of the data centred by its own mean: A's column sums are ~0 but not exactly (float32 rounding)
    const Gc = G.slice()
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) Gc[i * p + j] -= (sumA[i] * sumA[j]) / n
    const { values: lam, vectors: V } = await eigh(Gc, p, { sessions: mgr })
    clipNegative(lam)
    weights = new Float32Array(p * t)
    for (let t0 = 0; t0 < t; t0 += tbMax) {
      const t1 = Math.min(t, t0 + tbMax)
      const tb = t1 - t0
      const AtB = await centredCross(mgr, x, p, mx, y, t, my, all, t0, t1)
      // the B side is centred by the global mean (its column sums are ~0); correct A's the same way
      const sumB = columnSumsCentred(y, t, my, all, t0, t1)
      for (let i = 0; i < p; i++) for (let j = 0; j < tb; j++) AtB[i * tb + j] -= (sumA[i] * sumB[j]) / n
      const C = await product(mgr, V, [p, p], AtB, [p, tb], { transA: true })
      scaleByBest(C, p, tb, lam, alphas, best, t0)
      const Wb = await product(mgr, V, [p, p], C, [p, tb])
      for (let i = 0; i < p; i++) for (let j = 0; j < tb; j++) weights[i * t + t0 + j] = Wb[i * tb + j]
    }
  }
  progress(1, 'refit done')

  const intercept = new Float32Array(t)
  const mw = new Float64Array(t)
  for (let i = 0; i < p; i++) {
    const m = mx[i]
    if (m === 0) continue
    const o = i * t
    for (let j = 0; j < t; j++) mw[j] += m * weights[o + j]
  }
  for (let j = 0; j < t; j++) intercept[j] = my[j] - mw[j]
  const bestAlphas = new Float64Array(t)
  for (let j = 0; j < t; j++) bestAlphas[j] = alphas[best[j]]
  return {
    weights,
    intercept,
    bestAlphas,
    cvScores: scores,
    alphas,
    nFeatures: p,
    nTargets: t,
    form,
    nFolds: folds.length,
    warnings: edgeWarnings(alphas, best),
    refinedTargets: refined
  }
}

function argmaxColumn(scores: Float64Array, nA: number, t: number, j: number): number {
  let bi = 0
  for (let a = 1; a < nA; a++) if (scores[a * t + j] > scores[bi * t + j]) bi = a
  return bi
}

/** C[k, j] /= (λ_k + alpha of target t0 + j), in place. */
function scaleByBest(
  C: Float64Array,
  r: number,
  tb: number,
  lam: Float64Array,
  alphas: Float64Array,
  best: Int32Array,
  t0: number
): void {
  for (let k = 0; k < r; k++) {
    const o = k * tb
    for (let j = 0; j < tb; j++) C[o + j] /= lam[k] + alphas[best[t0 + j]]
  }
}

function edgeWarnings(alphas: Float64Array, best: Int32Array): string[] {
  if (alphas.length < 2) return []
  let lo = 0
  let hi = 0
  for (let i = 1; i < alphas.length; i++) {
    if (alphas[i] < alphas[lo]) lo = i
    if (alphas[i] > alphas[hi]) hi = i
  }
  let nLo = 0
  let nHi = 0
  for (const b of best) {
    if (b === lo) nLo++
    else if (b === hi) nHi++
  }
  const out: string[] = []
  const total = best.length
  if (nLo > 0)
    out.push(
      `${nLo} of ${total} targets chose the smallest alpha (${alphas[lo]}); consider extending the grid downwards`
    )
  if (nHi > 0)
    out.push(`${nHi} of ${total} targets chose the largest alpha (${alphas[hi]}); consider extending the grid upwards`)
  return out
}

/** Selected rows of Y[:, t0:t1] minus the given means, float64 [rows, t1 - t0]. */
function centredRowsAt64(
  y: Float32Array,
  t: number,
  mean: Float64Array,
  rows: Int32Array,
  t0: number,
  t1: number
): Float64Array {
  const w = t1 - t0
  const out = new Float64Array(rows.length * w)
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * t
    for (let j = t0; j < t1; j++) out[r * w + j - t0] = y[o + j] - mean[j]
  }
  return out
}

/** Column sums over `rows` of X[:, c0:c1] - mean, as float32 values would give them, in float64. */
function columnSumsCentred(
  x: Float32Array,
  cols: number,
  mean: Float64Array,
  rows: Int32Array,
  c0 = 0,
  c1 = cols
): Float64Array {
  const s = new Float64Array(c1 - c0)
  for (const r of rows) {
    const o = r * cols
    for (let j = c0; j < c1; j++) s[j - c0] += Math.fround(x[o + j] - mean[j])
  }
  return s
}

/**
 * Scores are first computed in float32 (fast); targets whose best two alphas are closer than this are
 * rescored in float64 from the cached fold decompositions, so alpha choices follow the float64
 * definition even on flat CV curves.
 */
export const NEAR_TIE = 5e-5

async function refineNearTies(
  scores: Float64Array,
  nFolds: number,
  nA: number,
  t: number,
  y: Float32Array,
  n: number,
  rescore: (ySub: Float32Array, tSub: number, out: Float64Array) => Promise<void>
): Promise<number> {
  if (nA < 2) return 0
  const ties: number[] = []
  for (let j = 0; j < t; j++) {
    let b1 = -Infinity
    let b2 = -Infinity
    for (let a = 0; a < nA; a++) {
      const v = scores[a * t + j]
      if (v > b1) {
        b2 = b1
        b1 = v
      } else if (v > b2) b2 = v
    }
    if (b1 - b2 < NEAR_TIE) ties.push(j)
  }
  if (ties.length === 0) return 0
  const tSub = ties.length
  const ySub = new Float32Array(n * tSub)
  for (let i = 0; i < n; i++) for (let k = 0; k < tSub; k++) ySub[i * tSub + k] = y[i * t + ties[k]]
  const out = new Float64Array(nA * tSub)
  await rescore(ySub, tSub, out)
  for (let a = 0; a < nA; a++) for (let k = 0; k < tSub; k++) scores[a * t + ties[k]] = out[a * tSub + k] / nFolds
  return tSub
}

interface KernelFoldState {
  train: Int32Array
  test: Int32Array
  lam: Float64Array
  Q: Float64Array
  Q32: Float32Array
  L: Float64Array
  L32: Float32Array
}

async function prepareKernelFold(
  mgr: SessionManager,
  K: Float64Array,
  n: number,
  fold: Fold
): Promise<KernelFoldState> {
  const tr = fold.train
  const te = fold.test
  const ntr = tr.length
  const nte = te.length
  // training kernel centred by the training mean: Kc = K_tr - s1ᵀ - 1sᵀ + g
  const Ktr = new Float64Array(ntr * ntr)
  const s = new Float64Array(ntr)
  for (let i = 0; i < ntr; i++) {
    const o = tr[i] * n
    let acc = 0
    for (let j = 0; j < ntr; j++) {
      const v = K[o + tr[j]]
      Ktr[i * ntr + j] = v
      acc += v
    }
    s[i] = acc / ntr
  }
  let g = 0
  for (let i = 0; i < ntr; i++) g += s[i]
  g /= ntr
  for (let i = 0; i < ntr; i++) for (let j = 0; j < ntr; j++) Ktr[i * ntr + j] += g - s[i] - s[j]
  // test-by-train cross kernel, centred the same way
  const Kte = new Float64Array(nte * ntr)
  for (let i = 0; i < nte; i++) {
    const o = te[i] * n
    let acc = 0
    for (let j = 0; j < ntr; j++) {
      const v = K[o + tr[j]]
      Kte[i * ntr + j] = v
      acc += v
    }
    const ste = acc / ntr
    for (let j = 0; j < ntr; j++) Kte[i * ntr + j] += g - ste - s[j]
  }
  const { values: lam, vectors: Q } = await eigh(Ktr, ntr, { sessions: mgr })
  clipNegative(lam)
  const L = await product(mgr, Kte, [nte, ntr], Q, [ntr, ntr])
  return { train: tr, test: te, lam, Q, Q32: Float32Array.from(Q), L, L32: Float32Array.from(L) }
}

async function scoreKernelFold(
  mgr: SessionManager,
  st: KernelFoldState,
  y: Float32Array,
  t: number,
  alphas: Float64Array,
  scores: Float64Array,
  tbMax: number,
  exact: boolean
): Promise<void> {
  const ntr = st.train.length
  const nte = st.test.length
  for (let t0 = 0; t0 < t; t0 += tbMax) {
    const t1 = Math.min(t, t0 + tbMax)
    const tb = t1 - t0
    const Ytr = centredByOwnMean(y, t, st.train, t0, t1)
    const truth = centreColumns(gatherRows(y, t, st.test, t0, t1), nte, tb)
    if (exact) {
      const C = await product(mgr, st.Q, [ntr, ntr], Ytr, [ntr, tb], { transA: true })
      await scoreAlphas(mgr, st.L, nte, st.lam, C, tb, truth, alphas, scores, t, t0)
    } else {
      const C = await product(mgr, st.Q32, [ntr, ntr], Float32Array.from(Ytr), [ntr, tb], { transA: true })
      await addScoresFloat32(mgr, st.L32, nte, st.lam, C, tb, truth, alphas, scores, t, t0)
    }
  }
}

interface GramFoldState {
  train: Int32Array
  test: Int32Array
  lam: Float64Array
  V: Float64Array
  V32: Float32Array
  L: Float64Array
  L32: Float32Array
  /** Column sums of the training rows of A. */
  sumAtr: Float64Array
}

async function prepareGramFold(
  mgr: SessionManager,
  G: Float64Array,
  sumA: Float64Array,
  x: Float32Array,
  p: number,
  mx: Float64Array,
  fold: Fold
): Promise<GramFoldState> {
  const tr = fold.train
  const te = fold.test
  const ntr = tr.length
  const nte = te.length
  const Gte = await centredGram(mgr, x, p, mx, te)
  const sumAte = columnSumsCentred(x, p, mx, te)
  const sumAtr = new Float64Array(p)
  const d = new Float64Array(p)
  for (let i = 0; i < p; i++) {
    sumAtr[i] = sumA[i] - sumAte[i]
    d[i] = sumAtr[i] / ntr
  }
  const Gc = new Float64Array(p * p)
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) Gc[i * p + j] = G[i * p + j] - Gte[i * p + j] - ntr * d[i] * d[j]
  const { values: lam, vectors: V } = await eigh(Gc, p, { sessions: mgr })
  clipNegative(lam)
  // held-out rows centred by the training mean: A_te - d
  const Ate = centredRowsAt(x, p, mx, te)
  const AteC = new Float64Array(nte * p)
  for (let i = 0; i < nte; i++) for (let j = 0; j < p; j++) AteC[i * p + j] = Ate[i * p + j] - d[j]
  const L = await product(mgr, AteC, [nte, p], V, [p, p])
  return { train: tr, test: te, lam, V, V32: Float32Array.from(V), L, L32: Float32Array.from(L), sumAtr }
}

async function scoreGramFold(
  mgr: SessionManager,
  st: GramFoldState,
  x: Float32Array,
  p: number,
  mx: Float64Array,
  y: Float32Array,
  t: number,
  my: Float64Array,
  alphas: Float64Array,
  scores: Float64Array,
  tbMax: number,
  exact: boolean
): Promise<void> {
  const ntr = st.train.length
  const nte = st.test.length
  for (let t0 = 0; t0 < t; t0 += tbMax) {
    const t1 = Math.min(t, t0 + tbMax)
    const tb = t1 - t0
    // Xc_trᵀ Yc_tr = A_trᵀB_tr - n_tr d eᵀ, d and e the training means of A and B
    const AtB = await centredCross(mgr, x, p, mx, y, t, my, st.train, t0, t1)
    const sumBtr = columnSumsCentred(y, t, my, st.train, t0, t1)
    for (let i = 0; i < p; i++) for (let j = 0; j < tb; j++) AtB[i * tb + j] -= st.sumAtr[i] * (sumBtr[j] / ntr)
    const truth = centreColumns(gatherRows(y, t, st.test, t0, t1), nte, tb)
    if (exact) {
      const C = await product(mgr, st.V, [p, p], AtB, [p, tb], { transA: true })
      await scoreAlphas(mgr, st.L, nte, st.lam, C, tb, truth, alphas, scores, t, t0)
    } else {
      const C = await product(mgr, st.V32, [p, p], Float32Array.from(AtB), [p, tb], { transA: true })
      await addScoresFloat32(mgr, st.L32, nte, st.lam, C, tb, truth, alphas, scores, t, t0)
    }
  }
}

/** Y[rows, t0:t1] centred by its own column means over those rows (float64). */
function centredByOwnMean(y: Float32Array, t: number, rows: Int32Array, t0: number, t1: number): Float64Array {
  return centreColumns(gatherRows(y, t, rows, t0, t1), rows.length, t1 - t0).centred
}

function gatherRows(y: Float32Array, t: number, rows: Int32Array, t0: number, t1: number): Float64Array {
  const w = t1 - t0
  const out = new Float64Array(rows.length * w)
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * t
    for (let j = t0; j < t1; j++) out[r * w + j - t0] = y[o + j]
  }
  return out
}
