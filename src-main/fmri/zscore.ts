import { checkRun } from './checks'
import type { RunData } from './types'

export interface ZscoreResult {
  /** Voxels whose standard deviation was numerically zero: set to 0 for the whole run. */
  zeroVarianceVoxels: number
  /** Their indices (ascending), for the warning and for masking downstream. */
  zeroVarianceIndices: Int32Array
}

/**
 * z-scores each voxel over the run's volumes, IN PLACE: (x - mean) / std with ddof 0, accumulated in
 * float64. A voxel is zero-variance when std <= 1e-10 * (1 + |mean|) (an exactly constant float32 column
 * gives std 0 here); such voxels become 0 and are counted.
 */
export function zscoreInPlace(run: RunData): ZscoreResult {
  checkRun(run)
  const { data, nVolumes: T, nVoxels: V } = run
  const mean = new Float64Array(V)
  const ss = new Float64Array(V)
  for (let t = 0; t < T; t++) {
    const row = t * V
    for (let v = 0; v < V; v++) mean[v] += data[row + v]
  }
  for (let v = 0; v < V; v++) mean[v] /= T
  for (let t = 0; t < T; t++) {
    const row = t * V
    for (let v = 0; v < V; v++) {
      const d = data[row + v] - mean[v]
      ss[v] += d * d
    }
  }
  const scale = ss // reuse: 1/std, or 0 for zero-variance voxels
  const zero: number[] = []
  for (let v = 0; v < V; v++) {
    const sd = Math.sqrt(ss[v] / T)
    if (sd <= 1e-10 * (1 + Math.abs(mean[v]))) {
      scale[v] = 0
      zero.push(v)
    } else scale[v] = 1 / sd
  }
  for (let t = 0; t < T; t++) {
    const row = t * V
    for (let v = 0; v < V; v++) data[row + v] = (data[row + v] - mean[v]) * scale[v]
  }
  return { zeroVarianceVoxels: zero.length, zeroVarianceIndices: Int32Array.from(zero) }
}
