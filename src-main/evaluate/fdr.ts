/**
 * Benjamini-Hochberg false discovery rate control (1995): with the m defined p-values sorted ascending,
 * q_(i) = min_{j >= i} min(1, p_(j) * m / j); a voxel is significant at level `alpha` when its q <= alpha
 * (equivalently: reject the k smallest p where k is the largest i with p_(i) <= i * alpha / m).
 * NaN p-values (undefined voxels) are left out of m and get q = NaN, not significant.
 */
import { B2mError } from '../common/errors'

export interface FdrResult {
  /** BH-adjusted p-values (statsmodels' `fdr_bh` q-values), NaN where p was NaN. */
  q: Float64Array
  /** q <= alpha. */
  significant: Uint8Array
  /** How many are significant. */
  count: number
  /** The number of defined p-values (m). */
  tests: number
  alpha: number
}

export function benjaminiHochberg(p: ArrayLike<number>, alpha = 0.05): FdrResult {
  if (!(alpha > 0 && alpha < 1)) throw new B2mError('bad_request', `the FDR level must lie in (0, 1), got ${alpha}`)
  const n = p.length
  const defined: number[] = []
  for (let i = 0; i < n; i++) {
    const v = p[i]
    if (Number.isNaN(v)) continue
    if (v < 0 || v > 1) throw new B2mError('bad_request', `p-value ${i} is ${v}, outside [0, 1]`)
    defined.push(i)
  }
  const m = defined.length
  const order = Int32Array.from(defined)
  const keys = Float64Array.from(defined, (i) => p[i])
  // sort indices by p ascending (ties by index, for determinism)
  const idx = Array.from({ length: m }, (_, i) => i)
  idx.sort((a, b) => keys[a] - keys[b] || a - b)
  const q = new Float64Array(n).fill(NaN)
  let running = 1
  for (let r = m - 1; r >= 0; r--) {
    const k = idx[r]
    running = Math.min(running, (keys[k] * m) / (r + 1))
    q[order[k]] = running
  }
  const significant = new Uint8Array(n)
  let count = 0
  for (let i = 0; i < n; i++) {
    if (q[i] <= alpha) {
      significant[i] = 1
      count++
    }
  }
  return { q, significant, count, tests: m, alpha }
}
