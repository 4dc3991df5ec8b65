/** Pearson correlation per embedding dimension, across samples (the paper's per-dimension score). */
import { checkFinite, checkMatrix, type Matrix } from './matrix'

export interface DimensionCorrelation {
  /** r of predicted[:, k] with true[:, k]; NaN where either column is constant. */
  perDimension: Float64Array
  /** Mean over the defined (non-NaN) dimensions; NaN when none is defined. */
  mean: number
  /** How many dimensions had a constant column (r undefined). */
  undefinedDimensions: number
}

export function perDimensionCorrelation(predicted: Matrix, truth: Matrix, n: number, d: number): DimensionCorrelation {
  checkMatrix('predicted', predicted, n, d)
  checkMatrix('true', truth, n, d)
  checkFinite('predicted', predicted, d)
  checkFinite('true', truth, d)
  const mp = new Float64Array(d)
  const mt = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      mp[k] += predicted[i * d + k]
      mt[k] += truth[i * d + k]
    }
  }
  for (let k = 0; k < d; k++) {
    mp[k] /= n
    mt[k] /= n
  }
  const num = new Float64Array(d)
  const sp = new Float64Array(d)
  const st = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    const o = i * d
    for (let k = 0; k < d; k++) {
      const a = predicted[o + k] - mp[k]
      const b = truth[o + k] - mt[k]
      num[k] += a * b
      sp[k] += a * a
      st[k] += b * b
    }
  }
  const perDimension = new Float64Array(d)
  let sum = 0
  let count = 0
  for (let k = 0; k < d; k++) {
    if (sp[k] > 0 && st[k] > 0) {
      perDimension[k] = Math.max(-1, Math.min(1, num[k] / Math.sqrt(sp[k] * st[k])))
      sum += perDimension[k]
      count++
    } else perDimension[k] = NaN
  }
  return { perDimension, mean: count > 0 ? sum / count : NaN, undefinedDimensions: d - count }
}
