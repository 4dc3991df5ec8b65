/**
 * Identification accuracy, exactly as Brain2Music's Eq. 2 (Denk et al., 2023):
 *   C_ij = Pearson(P_i, T_j)  (P predicted, T true embeddings, both n x d; correlation across the d dims)
 *   id_i = 1/(n-1) * sum_{j != i} [C_ii > C_ij]
 * and the reported accuracy is the mean of id_i. Ties count as NOT greater (C_ii = C_ij scores 0 for
 * that j), so a sample whose true embedding is duplicated elsewhere cannot reach 1. C is computed in
 * float64 from centred, unit-norm rows with one GEMM (ONNX Runtime). Chance is 0.5.
 */
import { B2mError } from '../common/errors'
import { matmul } from '../onnx/gemm'
import type { SessionManager } from '../onnx/sessions'
import { checkFinite, checkMatrix, standardiseRows, type Matrix } from './matrix'

/** The identification accuracy of predictions that carry no information about the stimulus. */
export const CHANCE_IDENTIFICATION = 0.5

export interface IdentificationResult {
  /** Mean of perSample. */
  accuracy: number
  /** id_i for each sample. */
  perSample: Float64Array
  /** The n x n matrix C (row i: prediction i against every true embedding), row-major. */
  correlation: Float64Array
  n: number
}

/** C_ij = Pearson(A_i, B_j) for the rows of a (n x d) and b (m x d): n x m, float64, one GEMM. */
export async function rowCorrelationMatrix(
  sessions: SessionManager,
  a: Matrix,
  n: number,
  b: Matrix,
  m: number,
  d: number
): Promise<Float64Array> {
  checkMatrix('predicted', a, n, d)
  checkMatrix('true', b, m, d)
  checkFinite('predicted', a, d)
  checkFinite('true', b, d)
  if (d < 2) throw new B2mError('bad_request', `Pearson correlation across dimensions needs d >= 2, got ${d}`)
  const za = standardiseRows('predicted', a, n, d)
  const zb = a === b && n === m ? za : standardiseRows('true', b, m, d)
  // not clamped to [-1, 1]: clamping could turn two distinct values into a tie
  return matmul(sessions, za, [n, d], zb, [m, d], { transB: true })
}

/** id_i of Eq. 2 from a square correlation matrix (row i = prediction i). Ties are not wins. */
export function identificationFromCorrelation(c: Float64Array, n: number): IdentificationResult {
  if (c.length !== n * n) throw new B2mError('bad_request', `correlation matrix has ${c.length} values, not ${n}²`)
  if (n < 2) throw new B2mError('bad_request', `identification needs at least 2 samples, got ${n}`)
  const perSample = new Float64Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) {
    const o = i * n
    const cii = c[o + i]
    let wins = 0
    for (let j = 0; j < n; j++) if (j !== i && cii > c[o + j]) wins++
    perSample[i] = wins / (n - 1)
    sum += perSample[i]
  }
  return { accuracy: sum / n, perSample, correlation: c, n }
}

/** Identification accuracy of predicted (n x d) against true (n x d) embeddings (Eq. 2). */
export async function identificationAccuracy(
  sessions: SessionManager,
  predicted: Matrix,
  truth: Matrix,
  n: number,
  d: number
): Promise<IdentificationResult> {
  if (n < 2) throw new B2mError('bad_request', `identification needs at least 2 samples, got ${n}`)
  const c = await rowCorrelationMatrix(sessions, predicted, n, truth, n, d)
  return identificationFromCorrelation(c, n)
}

export interface OracleResult {
  /** The oracle identification level. */
  accuracy: number
  perSample: Float64Array
  /**
   * 'self': T identified against itself — 1.0 unless T holds identical (tied) rows; the ceiling of the
   * metric for these stimuli. 'repeats': the mean, over ordered pairs (r, s), r != s, of the identification
   * of repeat r's embedding estimates against repeat s's — how well one presentation's estimate picks out
   * the same clip in another presentation's: the noise-ceiling analogue, bounded by the data's reliability.
   */
  method: 'self' | 'repeats'
  /** Number of repeats used (0 for 'self'). */
  repeats: number
}

/**
 * The oracle level: with `repeats` (two or more n x d matrices, one per presentation of the same n test
 * clips in the same order, e.g. a decoder's predictions from each repetition's responses) the repeat
 * consistency; otherwise T against itself.
 */
export async function oracleIdentification(
  sessions: SessionManager,
  truth: Matrix,
  n: number,
  d: number,
  repeats?: readonly Matrix[]
): Promise<OracleResult> {
  if (!repeats || repeats.length === 0) {
    const r = await identificationAccuracy(sessions, truth, truth, n, d)
    return { accuracy: r.accuracy, perSample: r.perSample, method: 'self', repeats: 0 }
  }
  if (repeats.length < 2)
    throw new B2mError('bad_request', `the repeat oracle needs at least 2 repeats, got ${repeats.length}`)
  const perSample = new Float64Array(n)
  let pairs = 0
  for (let r = 0; r < repeats.length; r++) {
    for (let s = 0; s < repeats.length; s++) {
      if (r === s) continue
      const id = await identificationAccuracy(sessions, repeats[r], repeats[s], n, d)
      for (let i = 0; i < n; i++) perSample[i] += id.perSample[i]
      pairs++
    }
  }
  let sum = 0
  for (let i = 0; i < n; i++) {
    perSample[i] /= pairs
    sum += perSample[i]
  }
  return { accuracy: sum / n, perSample, method: 'repeats', repeats: repeats.length }
}
