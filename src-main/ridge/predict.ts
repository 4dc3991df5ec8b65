/** Predictions of a fitted ridge model: X·W + intercept, on ONNX Runtime in float32. */
import { B2mError } from '../common/errors'
import type { SessionManager } from '../onnx/sessions'
import { product } from './blas'

export interface RidgeLinearModel {
  /** p x t, float32, row-major. */
  weights: Float32Array
  intercept: Float32Array
  nFeatures: number
  nTargets: number
}

/** P = X·W + b for X [n, p] float32; returns [n, t] float32. */
export async function ridgePredict(
  model: RidgeLinearModel,
  x: Float32Array,
  xShape: readonly [number, number],
  sessions: SessionManager
): Promise<Float32Array> {
  const [n, p] = xShape
  const t = model.nTargets
  if (p !== model.nFeatures)
    throw new B2mError('bad_request', `ridge predict: X has ${p} features but the model expects ${model.nFeatures}`)
  if (x.length !== n * p)
    throw new B2mError('bad_request', `ridge predict: X has ${x.length} values, shape [${n}, ${p}] needs ${n * p}`)
  if (model.weights.length !== p * t || model.intercept.length !== t) {
    throw new B2mError('bad_request', 'ridge predict: the model weights or intercept have the wrong size')
  }
  const out = await product(sessions, x, [n, p], model.weights, [p, t])
  for (let i = 0; i < n; i++) for (let j = 0; j < t; j++) out[i * t + j] += model.intercept[j]
  return out
}
