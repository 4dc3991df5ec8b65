import { B2mError } from '../common/errors'
import { checkRun, checkTr, throwIfCancelled } from './checks'
import { type MedianEdge, SlidingMedian, medianWindowTRs } from './sliding-median'
import type { CancelFn, ProgressFn, RunData } from './types'

export interface MedianDetrendOptions {
  /** Repetition time, seconds. */
  tr: number
  /** Window length in seconds (the paper's 240 s); turned into round(s / TR) TRs, made odd. */
  windowSeconds?: number
  /** Or the window in TRs directly (odd); wins over windowSeconds. */
  windowTRs?: number
  edge?: MedianEdge
  onProgress?: ProgressFn
  isCancelled?: CancelFn
}

/** Voxels per block: gathered into a contiguous per-voxel buffer, so the strided reads stay cache-friendly. */
const BLOCK = 256

/**
 * Subtracts each voxel's running median (its slow drift) from its time series, IN PLACE.
 * Returns the window actually used, in TRs.
 */
export function medianDetrendInPlace(run: RunData, options: MedianDetrendOptions): { windowTRs: number } {
  checkRun(run)
  checkTr(options.tr)
  const w = options.windowTRs ?? medianWindowTRs(options.windowSeconds ?? 240, options.tr)
  const { data, nVolumes: T, nVoxels: V } = run
  const filter = new SlidingMedian(T, w, options.edge ?? 'shrink')
  const buf = new Float64Array(BLOCK * T)
  const med = new Float64Array(T)
  const meds = new Float64Array(BLOCK * T)
  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    throwIfCancelled(options.isCancelled, 'median detrending')
    const B = Math.min(BLOCK, V - v0)
    for (let t = 0; t < T; t++) {
      const row = t * V + v0
      for (let b = 0; b < B; b++) buf[b * T + t] = data[row + b]
    }
    for (let b = 0; b < B; b++) {
      filter.apply(buf.subarray(b * T, b * T + T), med)
      meds.set(med, b * T)
    }
    for (let t = 0; t < T; t++) {
      const row = t * V + v0
      for (let b = 0; b < B; b++) data[row + b] = buf[b * T + t] - meds[b * T + t]
    }
    options.onProgress?.((v0 + B) / V, `median detrending (window ${w} TRs)`)
  }
  return { windowTRs: w }
}

/**
 * Orthonormal basis (T x (order+1), row-major) of the polynomials of degree <= order on the run's time axis:
 * Legendre polynomials of u = 2t/(T-1) - 1 in [-1, 1], orthonormalised on the T sample points by
 * Gram-Schmidt (twice), so least squares is a projection.
 */
export function legendreBasis(T: number, order: number): Float64Array {
  const K = order + 1
  if (!Number.isInteger(order) || order < 0) {
    throw new B2mError('bad_request', `polynomial detrend: order must be a non-negative integer, got ${order}`)
  }
  if (K > T) throw new B2mError('bad_request', `polynomial detrend: order ${order} needs more than ${T} volumes`)
  const Q = new Float64Array(T * K)
  for (let t = 0; t < T; t++) {
    const u = T === 1 ? 0 : (2 * t) / (T - 1) - 1
    let p0 = 1
    let p1 = u
    Q[t * K] = 1
    if (K > 1) Q[t * K + 1] = u
    for (let n = 1; n + 1 < K; n++) {
      const p2 = ((2 * n + 1) * u * p1 - n * p0) / (n + 1)
      Q[t * K + n + 1] = p2
      p0 = p1
      p1 = p2
    }
  }
  for (let j = 0; j < K; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let dot = 0
        for (let t = 0; t < T; t++) dot += Q[t * K + i] * Q[t * K + j]
        for (let t = 0; t < T; t++) Q[t * K + j] -= dot * Q[t * K + i]
      }
    }
    let norm = 0
    for (let t = 0; t < T; t++) norm += Q[t * K + j] ** 2
    norm = Math.sqrt(norm)
    if (!(norm > 1e-10)) throw new B2mError('failed', `polynomial detrend: basis degenerate at degree ${j}`)
    for (let t = 0; t < T; t++) Q[t * K + j] /= norm
  }
  return Q
}

/**
 * Removes, IN PLACE, each voxel's least-squares fit by a polynomial of degree <= order in time (order 0 =
 * the mean, 1 = linear trend, ...). Streams rows twice (coefficients, then residuals), in float64.
 */
export function polynomialDetrendInPlace(
  run: RunData,
  order: number,
  options: { onProgress?: ProgressFn; isCancelled?: CancelFn } = {}
): void {
  checkRun(run)
  const { data, nVolumes: T, nVoxels: V } = run
  const K = order + 1
  const Q = legendreBasis(T, order)
  const C = new Float64Array(K * V)
  for (let t = 0; t < T; t++) {
    const row = t * V
    for (let j = 0; j < K; j++) {
      const q = Q[t * K + j]
      const o = j * V
      for (let v = 0; v < V; v++) C[o + v] += q * data[row + v]
    }
  }
  throwIfCancelled(options.isCancelled, 'polynomial detrending')
  options.onProgress?.(0.5, `polynomial detrending (order ${order})`)
  const fit = new Float64Array(V)
  for (let t = 0; t < T; t++) {
    const row = t * V
    fit.fill(0)
    for (let j = 0; j < K; j++) {
      const q = Q[t * K + j]
      const o = j * V
      for (let v = 0; v < V; v++) fit[v] += q * C[o + v]
    }
    for (let v = 0; v < V; v++) data[row + v] = data[row + v] - fit[v]
  }
  options.onProgress?.(1, `polynomial detrending (order ${order})`)
}
