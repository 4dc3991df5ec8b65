/**
 * The big products of the ridge engine, from float32 data centred by column means: the kernel A·Aᵀ
 * (n x n, for n <= p) and the Gram Aᵀ·A (p x p, for p < n), plus Aᵀ·B and Aᵀ·Z. Each is computed in
 * float32 on ONNX Runtime over slabs of the inner dimension and accumulated in float64 across slabs, so
 * float32 rounding only ever spans one slab; the centred copy exists one slab at a time.
 */
import type { SessionManager } from '../onnx/sessions'
import { product } from './blas'

/** Inner-dimension slab for float32 products accumulated in float64. */
export const SLAB = 1024

/** Column means of a [rows, cols] float32 matrix, in float64. */
export function columnMeans(x: Float32Array, rows: number, cols: number): Float64Array {
  const m = new Float64Array(cols)
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    for (let j = 0; j < cols; j++) m[j] += x[o + j]
  }
  for (let j = 0; j < cols; j++) m[j] /= rows
  return m
}

/** Rows [r0, r1) of X minus `mean` (float32, [r1 - r0, cols]). */
export function centredRows(x: Float32Array, cols: number, mean: Float64Array, r0: number, r1: number): Float32Array {
  const out = new Float32Array((r1 - r0) * cols)
  for (let i = r0; i < r1; i++) {
    const o = i * cols
    const w = (i - r0) * cols
    for (let j = 0; j < cols; j++) out[w + j] = x[o + j] - mean[j]
  }
  return out
}

/** Selected rows of X minus `mean`, optionally restricted to columns [c0, c1). */
export function centredRowsAt(
  x: Float32Array,
  cols: number,
  mean: Float64Array,
  rows: Int32Array,
  c0 = 0,
  c1 = cols
): Float32Array {
  const w = c1 - c0
  const out = new Float32Array(rows.length * w)
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r] * cols
    const ow = r * w
    for (let j = c0; j < c1; j++) out[ow + j - c0] = x[o + j] - mean[j]
  }
  return out
}

/** Columns [c0, c1) of X minus their means, as a [rows, c1 - c0] float32 block. */
function centredColumns(
  x: Float32Array,
  rows: number,
  cols: number,
  mean: Float64Array,
  c0: number,
  c1: number
): Float32Array {
  const w = c1 - c0
  const out = new Float32Array(rows * w)
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    const ow = i * w
    for (let j = c0; j < c1; j++) out[ow + j - c0] = x[o + j] - mean[j]
  }
  return out
}

function addInto(acc: Float64Array, part: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += part[i]
}

/** K = A·Aᵀ (n x n, float64) with A = X - mean, over column slabs. */
export async function centredKernel(
  mgr: SessionManager,
  x: Float32Array,
  n: number,
  p: number,
  mean: Float64Array,
  onSlab?: (done: number, total: number) => void
): Promise<Float64Array> {
  const k = new Float64Array(n * n)
  for (let c0 = 0; c0 < p; c0 += SLAB) {
    const c1 = Math.min(p, c0 + SLAB)
    const a = centredColumns(x, n, p, mean, c0, c1)
    addInto(k, await product(mgr, a, [n, c1 - c0], a, [n, c1 - c0], { transB: true }))
    onSlab?.(c1, p)
  }
  // exact symmetry (the two triangles come from different summation orders)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (k[i * n + j] + k[j * n + i])
      k[i * n + j] = v
      k[j * n + i] = v
    }
  }
  return k
}

/** G = Aᵀ·A (p x p, float64) over the given rows (all rows when omitted), A = X - mean, by row slabs. */
export async function centredGram(
  mgr: SessionManager,
  x: Float32Array,
  p: number,
  mean: Float64Array,
  rows: Int32Array
): Promise<Float64Array> {
  const g = new Float64Array(p * p)
  for (let r0 = 0; r0 < rows.length; r0 += SLAB) {
    const r1 = Math.min(rows.length, r0 + SLAB)
    const a = centredRowsAt(x, p, mean, rows.subarray(r0, r1))
    addInto(g, await product(mgr, a, [r1 - r0, p], a, [r1 - r0, p], { transA: true }))
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (g[i * p + j] + g[j * p + i])
      g[i * p + j] = v
      g[j * p + i] = v
    }
  }
  return g
}

/**
 * Aᵀ·B (p x (t1 - t0), float64) over the given rows, A = X - meanX, B = Y[:, t0:t1] - meanY, by row
 * slabs.
 */
export async function centredCross(
  mgr: SessionManager,
  x: Float32Array,
  p: number,
  meanX: Float64Array,
  y: Float32Array,
  t: number,
  meanY: Float64Array,
  rows: Int32Array,
  t0: number,
  t1: number
): Promise<Float64Array> {
  const tb = t1 - t0
  const out = new Float64Array(p * tb)
  for (let r0 = 0; r0 < rows.length; r0 += SLAB) {
    const r1 = Math.min(rows.length, r0 + SLAB)
    const sel = rows.subarray(r0, r1)
    const a = centredRowsAt(x, p, meanX, sel)
    const b = centredRowsAt(y, t, meanY, sel, t0, t1)
    addInto(out, await product(mgr, a, [r1 - r0, p], b, [r1 - r0, tb], { transA: true }))
  }
  return out
}

/** W = Aᵀ·Z (p x t, float32) with A = X - mean, Z [n, t] float32, by column slabs of A. */
export async function centredTransposeTimes(
  mgr: SessionManager,
  x: Float32Array,
  n: number,
  p: number,
  mean: Float64Array,
  z: Float32Array,
  t: number
): Promise<Float32Array> {
  const w = new Float32Array(p * t)
  for (let c0 = 0; c0 < p; c0 += SLAB) {
    const c1 = Math.min(p, c0 + SLAB)
    const a = centredColumns(x, n, p, mean, c0, c1)
    w.set(await product(mgr, a, [n, c1 - c0], z, [n, t], { transA: true }), c0 * t)
  }
  return w
}
