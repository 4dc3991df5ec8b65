/**
 * A permutation test of voxelwise prediction accuracy that permutes whole clips: the rows of a response
 * matrix come in clips (several TRs each; a clip's rows are autocorrelated, so rows are not exchangeable,
 * clips are). Each permutation reassigns the predicted clips to the measured clips — among clips with the
 * same number of rows, row l of one clip pairing with row l of the other — and recomputes Pearson r per
 * voxel; p = (1 + #{r_perm >= r_obs}) / (1 + nPerm) (one-sided: is the voxel predicted better than chance?).
 *
 * Cost: columns are standardised once (float32, float64 sums), so a permutation's r is the column-wise
 * dot product sum_i Zp[perm(i), v] Zt[i, v]. That is the diagonal of Zpᵀ Π Zt: a GEMM per permutation
 * would compute a V x V matrix to keep V of its entries (and the permuted predictions of a linear encoding
 * model, (X permuted)·W, are just the predictions permuted), so no GEMM is used. Two exact strategies:
 *  - 'rows': one streaming pass over both n x V arrays per permutation (n·V multiply-adds);
 *  - 'clips': per voxel block, the clip-pair sums G[a, b, v] = sum_l Zp[b_l, v] Zt[a_l, v] for clips a, b
 *    of equal length are formed once (c·n·V), after which a permutation costs c·V (sum of c rows of G) —
 *    L times fewer operations for clips of L rows; 'auto' picks it when the arithmetic says so.
 * Both use the same shuffles, so they agree up to float rounding.
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
  /** 'rows', 'clips' or 'auto' (default): see the module note. */
  strategy?: 'auto' | 'rows' | 'clips'
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
  strategy: 'rows' | 'clips'
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
        throw new B2mError(
          'bad_request',
          `${what}: non-finite value at row ${Math.floor(i / voxels)}, voxel ${i % voxels}`
        )

  const layout = clipLayout(n, options.clips)
  const nClips = layout.rows.length
  // every shuffle drawn up front (nPerm x clips): both strategies see the same permutations
  const perms = new Int32Array(nPerm * nClips)
  const rand = mulberry32(seed)
  for (let b = 0; b < nPerm; b++) {
    const perm = perms.subarray(b * nClips, (b + 1) * nClips)
    for (let c = 0; c < nClips; c++) perm[c] = c
    // Fisher-Yates within each group of equally long clips
    for (const g of layout.groups) {
      for (let i = g.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1))
        const t = perm[g[i]]
        perm[g[i]] = perm[g[j]]
        perm[g[j]] = t
      }
    }
  }
  let pairCount = 0
  let buildCost = 0
  for (const g of layout.groups) {
    pairCount += g.length * g.length
    buildCost += g.length * g.length * layout.rows[g[0]].length
  }
  const want = options.strategy ?? 'auto'
  if (want !== 'auto' && want !== 'rows' && want !== 'clips')
    throw new B2mError('bad_request', `unknown permutation strategy '${String(want)}' (auto, rows or clips)`)
  const strategy = want !== 'auto' ? want : buildCost + nPerm * nClips < 0.8 * nPerm * n ? 'clips' : 'rows'

  const zp = standardiseColumns(predicted, n, voxels, Float32Array)
  const zt = standardiseColumns(measured, n, voxels, Float32Array)
  const r = new Float64Array(voxels)
  const exceed = new Int32Array(voxels)
  const ctl: Control = { progress: options.onProgress ?? (() => {}), shouldStop: options.shouldStop, lastYield: 0 }
  if (strategy === 'rows') await byRows(zp.z, zt.z, n, voxels, layout, perms, nPerm, r, exceed, ctl)
  else await byClips(zp.z, zt.z, voxels, layout, perms, nPerm, pairCount, r, exceed, ctl)

  const p = new Float64Array(voxels)
  for (let v = 0; v < voxels; v++) {
    if (zp.constant[v] || zt.constant[v]) {
      p[v] = NaN
      r[v] = 0
    } else p[v] = (1 + exceed[v]) / (1 + nPerm)
  }
  let exchangeable = 0
  for (const g of layout.groups) if (g.length > 1) exchangeable += g.length
  return { r, p, permutations: nPerm, clips: nClips, exchangeableClips: exchangeable, seed, strategy }
}

interface Control {
  progress: (fraction: number, message: string) => void
  shouldStop?: () => boolean
  lastYield: number
}

/** Reports, yields to the event loop (at most every 100 ms) and honours cancellation. */
async function checkpoint(ctl: Control, fraction: number, message: string, force = false): Promise<void> {
  if (ctl.shouldStop?.()) throw new PermutationCancelled()
  const now = performance.now()
  if (force || now - ctl.lastYield > 100) {
    ctl.progress(fraction, message)
    await new Promise<void>((resolve) => setImmediate(resolve))
    ctl.lastYield = performance.now()
  }
}

async function byRows(
  zp: Float32Array,
  zt: Float32Array,
  n: number,
  voxels: number,
  layout: ClipLayout,
  perms: Int32Array,
  nPerm: number,
  r: Float64Array,
  exceed: Int32Array,
  ctl: Control
): Promise<void> {
  const nClips = layout.rows.length
  const src = Int32Array.from({ length: n }, (_, i) => i)
  permutedR(zp, zt, src, n, voxels, r)
  const acc = new Float64Array(voxels)
  for (let b = 0; b < nPerm; b++) {
    await checkpoint(ctl, b / nPerm, `permutation ${b + 1} of ${nPerm}`)
    // measured clip c is paired with predicted clip perm[c], row l with row l
    for (let c = 0; c < nClips; c++) {
      const to = layout.rows[c]
      const from = layout.rows[perms[b * nClips + c]]
      for (let l = 0; l < to.length; l++) src[to[l]] = from[l]
    }
    permutedR(zp, zt, src, n, voxels, acc)
    for (let v = 0; v < voxels; v++) if (acc[v] >= r[v]) exceed[v]++
  }
  await checkpoint(ctl, 1, `${nPerm} permutations done`, true)
}

async function byClips(
  zp: Float32Array,
  zt: Float32Array,
  voxels: number,
  layout: ClipLayout,
  perms: Int32Array,
  nPerm: number,
  pairCount: number,
  r: Float64Array,
  exceed: Int32Array,
  ctl: Control
): Promise<void> {
  const nClips = layout.rows.length
  // pair (a, b) of one group lives at pairBase[a] + slot[b]
  const pairBase = new Int32Array(nClips)
  const slot = new Int32Array(nClips)
  let base = 0
  for (const g of layout.groups) {
    g.forEach((c, i) => {
      pairBase[c] = base + i * g.length
      slot[c] = i
    })
    base += g.length * g.length
  }
  // voxel blocks keep G (pairs x width, float64) near 64 MB
  const width = Math.max(1, Math.min(voxels, Math.floor((8 << 20) / pairCount)))
  const G = new Float64Array(pairCount * width)
  const acc = new Float64Array(width)
  const blocks = Math.ceil(voxels / width)
  for (let v0 = 0, blk = 0; v0 < voxels; v0 += width, blk++) {
    const w = Math.min(width, voxels - v0)
    await checkpoint(ctl, blk / blocks, `clip-pair sums, voxel block ${blk + 1} of ${blocks}`)
    G.fill(0)
    for (const g of layout.groups) {
      for (const a of g) {
        const rowsA = layout.rows[a]
        for (const bClip of g) {
          const rowsB = layout.rows[bClip]
          const o = (pairBase[a] + slot[bClip]) * width
          for (let l = 0; l < rowsA.length; l++) {
            const ta = rowsA[l] * voxels + v0
            const pb = rowsB[l] * voxels + v0
            for (let v = 0; v < w; v++) G[o + v] += zp[pb + v] * zt[ta + v]
          }
        }
      }
    }
    acc.fill(0)
    for (let a = 0; a < nClips; a++) {
      const o = (pairBase[a] + slot[a]) * width
      for (let v = 0; v < w; v++) acc[v] += G[o + v]
    }
    for (let v = 0; v < w; v++) r[v0 + v] = acc[v]
    for (let b = 0; b < nPerm; b++) {
      if ((b & 63) === 0)
        await checkpoint(ctl, (blk + b / nPerm) / blocks, `voxel block ${blk + 1} of ${blocks}: permutation ${b + 1}`)
      acc.fill(0)
      for (let a = 0; a < nClips; a++) {
        const o = (pairBase[a] + slot[perms[b * nClips + a]]) * width
        for (let v = 0; v < w; v++) acc[v] += G[o + v]
      }
      for (let v = 0; v < w; v++) if (acc[v] >= r[v0 + v]) exceed[v0 + v]++
    }
  }
  await checkpoint(ctl, 1, `${nPerm} permutations done`, true)
}
