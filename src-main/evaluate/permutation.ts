/**
 * A permutation test of voxelwise prediction accuracy that permutes whole clips: the rows of a response
 * matrix come in clips (several TRs each; a clip's rows are autocorrelated, so rows are not exchangeable,
 * clips are). Each permutation reassigns the predicted clips to the measured clips — among clips with the
 * same number of rows, row l of one clip pairing with row l of the other — and recomputes Pearson r per
 * voxel; p = (1 + #{r_perm >= r_obs}) / (1 + nPerm) (one-sided: is the voxel predicted better than chance?).
 *
 * Cost: columns are standardised once (float32, float64 sums), so a permutation's r is the column-wise
 * dot product sum_i Zp[perm(i), v] Zt[i, v], one streaming pass over both n x V arrays. This is the
 * diagonal of Zpᵀ Π Zt, so a GEMM would compute a V x V matrix to keep V of its entries; the permuted
 * predictions of a linear encoding model X·W equal (X permuted)·W, so refitting nothing, no GEMM is needed.
 */
import { B2mError } from '../common/errors'
import { checkMatrix, mulberry32, standardiseColumns, type Matrix } from './matrix'

export class PermutationCancelled extends B2mError {
  constructor() {
    super('failed', 'permutation test cancelled')
    this.name = 'PermutationCancelled'
  }
}

export interface PermutationOptions {
  /** n x V predicted responses. */
  predicted: Matrix
  /** n x V measured responses. */
  measured: Matrix
  n: number
  voxels: number
  /** The clip of each row (n labels); rows of a clip keep their order. Default: every row its own clip. */
  clips?: Int32Array
  /** Number of permutations (default 1000). */
  permutations?: number
  /** Seed of the shuffles (default 0): the same seed gives the same p-values. */
  seed?: number
  onProgress?: (fraction: number, message: string) => void
  /** Polled between permutations; returning true stops with PermutationCancelled. */
  shouldStop?: () => boolean
}

export interface PermutationResult {
  /** Observed r per voxel (0 where a column is constant). */
  r: Float64Array
  /** Permutation p-value per voxel (NaN where a column is constant). */
  p: Float64Array
  permutations: number
  clips: number
  /** Clips that share their row count with at least one other clip (only these ever move). */
  exchangeableClips: number
  seed: number
}

interface ClipLayout {
  /** rows of each clip, in order */
  rows: Int32Array[]
  /** clips grouped by row count */
  groups: Int32Array[]
}

function clipLayout(n: number, clips?: Int32Array): ClipLayout {
  if (!clips) {
    const rows = Array.from({ length: n }, (_, i) => Int32Array.of(i))
    return { rows, groups: [Int32Array.from({ length: n }, (_, i) => i)] }
  }
  if (clips.length !== n) throw new B2mError('bad_request', `clips has ${clips.length} labels but there are ${n} rows`)
  const byLabel = new Map<number, number[]>()
  for (let i = 0; i < n; i++) {
    let list = byLabel.get(clips[i])
    if (!list) byLabel.set(clips[i], (list = []))
    list.push(i)
  }
  const rows = [...byLabel.values()].map((l) => Int32Array.from(l))
  const byLength = new Map<number, number[]>()
  rows.forEach((r, c) => {
    let list = byLength.get(r.length)
    if (!list) byLength.set(r.length, (list = []))
    list.push(c)
  })
  return { rows, groups: [...byLength.values()].map((g) => Int32Array.from(g)) }
}

/** r_v = sum_i zp[src[i], v] * zt[i, v] for all v, accumulated in float64. */
function permutedR(zp: Float32Array, zt: Float32Array, src: Int32Array, n: number, v: number, acc: Float64Array): void {
  acc.fill(0)
  for (let i = 0; i < n; i++) {
    const po = src[i] * v
    const to = i * v
    for (let j = 0; j < v; j++) acc[j] += zp[po + j] * zt[to + j]
  }
}

export async function clipPermutationTest(options: PermutationOptions): Promise<PermutationResult> {
  const { predicted, measured, n, voxels } = options
  checkMatrix('predicted', predicted, n, voxels)
  checkMatrix('measured', measured, n, voxels)
  if (n < 3) throw new B2mError('bad_request', `a permutation test needs at least 3 rows, got ${n}`)
  const nPerm = options.permutations ?? 1000
  if (!Number.isInteger(nPerm) || nPerm < 1)
    throw new B2mError('bad_request', `permutations must be an integer >= 1, got ${nPerm}`)
  const seed = options.seed ?? 0
  if (!Number.isSafeInteger(seed)) throw new B2mError('bad_request', `seed must be an integer, got ${seed}`)
  for (const [what, m] of [
    ['predicted', predicted],
    ['measured', measured]
  ] as const)
    for (let i = 0; i < m.length; i++)
      if (!Number.isFinite(m[i]))
        throw new B2mError('bad_request', `${what}: non-finite value at row ${Math.floor(i / voxels)}, voxel ${i % voxels}`)

  const layout = clipLayout(n, options.clips)
  const zp = standardiseColumns(predicted, n, voxels, Float32Array)
  const zt = standardiseColumns(measured, n, voxels, Float32Array)

  const identity = Int32Array.from({ length: n }, (_, i) => i)
  const r = new Float64Array(voxels)
  permutedR(zp.z, zt.z, identity, n, voxels, r)
  const exceed = new Int32Array(voxels)
  const acc = new Float64Array(voxels)
  const src = new Int32Array(n)
  const rand = mulberry32(seed)
  const perm = layout.rows.map((_, c) => c)
  const progress = options.onProgress ?? (() => {})
  let lastYield = performance.now()
  for (let b = 0; b < nPerm; b++) {
    if (options.shouldStop?.()) throw new PermutationCancelled()
    // Fisher-Yates within each group of equally long clips
    for (let c = 0; c < perm.length; c++) perm[c] = c
    for (const g of layout.groups) {
      for (let i = g.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1))
        const t = perm[g[i]]
        perm[g[i]] = perm[g[j]]
        perm[g[j]] = t
      }
    }
    // measured clip c is paired with predicted clip perm[c]
    for (let c = 0; c < layout.rows.length; c++) {
      const to = layout.rows[c]
      const from = layout.rows[perm[c]]
      for (let l = 0; l < to.length; l++) src[to[l]] = from[l]
    }
    permutedR(zp.z, zt.z, src, n, voxels, acc)
    for (let v = 0; v < voxels; v++) if (acc[v] >= r[v]) exceed[v]++
    if (performance.now() - lastYield > 100 || b === nPerm - 1) {
      progress((b + 1) / nPerm, `permutation ${b + 1} of ${nPerm}`)
      await new Promise<void>((resolve) => setImmediate(resolve))
      lastYield = performance.now()
    }
  }
  const p = new Float64Array(voxels)
  for (let v = 0; v < voxels; v++) {
    if (zp.constant[v] || zt.constant[v]) {
      p[v] = NaN
      r[v] = 0
    } else p[v] = (1 + exceed[v]) / (1 + nPerm)
  }
  let exchangeable = 0
  for (const g of layout.groups) if (g.length > 1) exchangeable += g.length
  return { r, p, permutations: nPerm, clips: layout.rows.length, exchangeableClips: exchangeable, seed }
}
