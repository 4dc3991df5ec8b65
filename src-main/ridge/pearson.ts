/**
 * Pearson correlation per column between predictions and truth (ridge_ref.py's `_pearson_cols`):
 * both sides centred by their own means; 0 where either side has zero variance.
 */

/**
 * Adds r(pred[:, j], truth[:, j]) to `out[j]` for j in 0..t-1. `pred` is [rows, t] row-major; `truth`
 * is [rows, t] already centred by its column means, with `truthSs[j]` its sum of squares.
 */
export function addPearsonColumns(
  pred: Float32Array | Float64Array,
  truthCentred: Float64Array,
  truthSs: Float64Array,
  rows: number,
  t: number,
  out: Float64Array,
  outOffset = 0
): void {
  const mean = new Float64Array(t)
  for (let i = 0; i < rows; i++) {
    const o = i * t
    for (let j = 0; j < t; j++) mean[j] += pred[o + j]
  }
  for (let j = 0; j < t; j++) mean[j] /= rows
  const num = new Float64Array(t)
  const ss = new Float64Array(t)
  for (let i = 0; i < rows; i++) {
    const o = i * t
    for (let j = 0; j < t; j++) {
      const p = pred[o + j] - mean[j]
      num[j] += p * truthCentred[o + j]
      ss[j] += p * p
    }
  }
  for (let j = 0; j < t; j++) {
    const den = Math.sqrt(ss[j] * truthSs[j])
    out[outOffset + j] += den > 0 ? num[j] / den : 0
  }
}

/** Centres the columns of a [rows, t] block (float64 copy) and returns it with its sums of squares. */
export function centreColumns(
  y: ArrayLike<number>,
  rows: number,
  t: number
): { centred: Float64Array; ss: Float64Array } {
  const mean = new Float64Array(t)
  for (let i = 0; i < rows; i++) for (let j = 0; j < t; j++) mean[j] += y[i * t + j]
  for (let j = 0; j < t; j++) mean[j] /= rows
  const centred = new Float64Array(rows * t)
  const ss = new Float64Array(t)
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < t; j++) {
      const v = y[i * t + j] - mean[j]
      centred[i * t + j] = v
      ss[j] += v * v
    }
  }
  return { centred, ss }
}

/** Pearson r per column of two [rows, t] arrays (0 where either side has zero variance). */
export function pearsonColumns(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, t: number): Float64Array {
  const { centred, ss } = centreColumns(b, rows, t)
  const out = new Float64Array(t)
  addPearsonColumns(Float64Array.from(a), centred, ss, rows, t, out)
  return out
}
