/** Small shared helpers of the evaluation room: shape checks and row/column standardisation in float64. */
import { B2mError } from '../common/errors'

export type Matrix = Float32Array | Float64Array

export function checkMatrix(what: string, data: ArrayLike<number>, rows: number, cols: number): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array))
    throw new B2mError('bad_request', `${what} must be a Float32Array or Float64Array`)
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1)
    throw new B2mError('bad_request', `${what}: shape must be [rows >= 0, cols >= 1], got [${rows}, ${cols}]`)
  if (data.length !== rows * cols)
    throw new B2mError(
      'bad_request',
      `${what} has ${data.length} values, shape [${rows}, ${cols}] needs ${rows * cols}`
    )
}

export function checkFinite(what: string, data: ArrayLike<number>, cols: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]))
      throw new B2mError('bad_request', `${what}: non-finite value at row ${Math.floor(i / cols)}, column ${i % cols}`)
  }
}

/**
 * Each row centred by its own mean and scaled to unit Euclidean norm (float64), so that the dot product
 * of two such rows is their Pearson correlation. Throws on a constant row (its correlation is undefined).
 */
export function standardiseRows(what: string, data: Matrix, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    const o = r * cols
    let mean = 0
    for (let j = 0; j < cols; j++) mean += data[o + j]
    mean /= cols
    let ss = 0
    for (let j = 0; j < cols; j++) {
      const v = data[o + j] - mean
      out[o + j] = v
      ss += v * v
    }
    if (!(ss > 0))
      throw new B2mError(
        'bad_request',
        `${what}: row ${r} is constant (or not finite), so its Pearson correlation is undefined`
      )
    const inv = 1 / Math.sqrt(ss)
    for (let j = 0; j < cols; j++) out[o + j] *= inv
  }
  return out
}

/**
 * Each column centred by its mean and scaled to unit norm, written as float32 or float64; a constant
 * column becomes all zeros and is flagged in `constant`.
 */
export function standardiseColumns<T extends Matrix>(
  data: Matrix,
  rows: number,
  cols: number,
  Out: { new (n: number): T }
): { z: T; constant: Uint8Array } {
  const mean = new Float64Array(cols)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j]
  for (let j = 0; j < cols; j++) mean[j] /= rows
  const ss = new Float64Array(cols)
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    for (let j = 0; j < cols; j++) {
      const v = data[o + j] - mean[j]
      ss[j] += v * v
    }
  }
  const inv = new Float64Array(cols)
  const constant = new Uint8Array(cols)
  for (let j = 0; j < cols; j++) {
    if (ss[j] > 0) inv[j] = 1 / Math.sqrt(ss[j])
    else constant[j] = 1
  }
  const z = new Out(rows * cols)
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    for (let j = 0; j < cols; j++) z[o + j] = (data[o + j] - mean[j]) * inv[j]
  }
  return { z, constant }
}

/** Distinct labels in a stable order: numbers ascending, strings by code unit order. */
export function distinctLabels<L extends string | number>(labels: ArrayLike<L>): L[] {
  const set = new Set<L>()
  for (let i = 0; i < labels.length; i++) set.add(labels[i])
  return [...set].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
  )
}

/** A seeded 32-bit generator (mulberry32): uniform integers for shuffles. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
