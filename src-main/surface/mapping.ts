/**
 * Volume -> surface as a sparse vertex x voxel matrix (CSR), built once per (surface, volume grid,
 * registration, method) and applied to any number of volumes on that grid.
 *
 * Voxel order is NIfTI's (x fastest): column = x + X*(y + Y*z). Sampling conventions (those of
 * scipy.ndimage.map_coordinates with mode='constant'):
 * * nearest: voxel round(i) (half up), inside when -0.5 <= i < n - 0.5 on every axis;
 * * trilinear: inside when 0 <= i <= n - 1 on every axis; the 8 corner weights (zero weights dropped);
 * * line: `samples` points evenly spaced from white (t = 0) to pial (t = 1), each trilinear, weights
 *   1/samples, merged per voxel; points outside the volume are left out.
 * A row without entries is a vertex outside the volume (NaN). Applying renormalises every row over its
 * valid voxels (finite value, and mask != 0 when a mask is given), so a sample at the edge of a mask or
 * next to NaN voxels averages the valid ones, and a row with none is NaN.
 */
import { B2mError } from '../common/errors'
import type { Mat4 } from '../formats/nifti'

export interface SparseMatrix {
  nRows: number
  nCols: number
  /** nRows + 1 offsets into cols/vals. */
  rowPtr: Int32Array
  cols: Int32Array
  vals: Float32Array
}

export type SamplingMethod = 'nearest' | 'trilinear' | 'line'

export interface BuildOptions {
  method: SamplingMethod
  /** Volume shape [X, Y, Z]. */
  shape: readonly [number, number, number] | readonly number[]
  /** Surface coordinates -> continuous voxel indices. */
  toVoxel: Mat4
  /** Vertex positions (n * 3) sampled by nearest/trilinear, and the inner (white) surface of `line`. */
  positions: Float32Array
  /** The outer (pial) surface for `line`. */
  outer?: Float32Array
  /** Points per vertex for `line` (default 10). */
  samples?: number
}

export function matrixBytes(m: SparseMatrix): number {
  return m.rowPtr.byteLength + m.cols.byteLength + m.vals.byteLength
}

class Growable {
  cols: Int32Array
  vals: Float32Array
  n = 0
  constructor(capacity: number) {
    this.cols = new Int32Array(Math.max(16, capacity))
    this.vals = new Float32Array(Math.max(16, capacity))
  }
  push(c: number, v: number): void {
    if (this.n === this.cols.length) {
      const cols = new Int32Array(this.cols.length * 2)
      cols.set(this.cols)
      const vals = new Float32Array(this.vals.length * 2)
      vals.set(this.vals)
      this.cols = cols
      this.vals = vals
    }
    this.cols[this.n] = c
    this.vals[this.n++] = v
  }
}

const cornerCols = new Int32Array(8)
const cornerW = new Float64Array(8)

/**
 * Writes the trilinear corners of voxel point (i, j, k) with non-zero weight into cornerCols/cornerW
 * and returns how many; -1 when the point is outside the volume.
 */
function trilinearCorners(i: number, j: number, k: number, nx: number, ny: number, nz: number): number {
  if (!(i >= 0 && i <= nx - 1 && j >= 0 && j <= ny - 1 && k >= 0 && k <= nz - 1)) return -1
  let i0 = Math.floor(i)
  let j0 = Math.floor(j)
  let k0 = Math.floor(k)
  // On the last plane, step back one cell so the far corner has weight 1 (and stays inside).
  if (i0 === nx - 1 && nx > 1) i0--
  if (j0 === ny - 1 && ny > 1) j0--
  if (k0 === nz - 1 && nz > 1) k0--
  const fx = i - i0
  const fy = j - j0
  const fz = k - k0
  const sxy = nx * ny
  let n = 0
  for (let c = 0; c < 8; c++) {
    const dx = c & 1
    const dy = (c >> 1) & 1
    const dz = (c >> 2) & 1
    const w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * (dz ? fz : 1 - fz)
    if (w === 0) continue
    cornerCols[n] = i0 + dx + nx * (j0 + dy) + sxy * (k0 + dz)
    cornerW[n++] = w
  }
  return n
}

/** Builds the CSR matrix (one row per vertex, one column per voxel of the grid). */
export function buildMatrix(opts: BuildOptions): SparseMatrix {
  const [nx, ny, nz] = opts.shape
  if (![nx, ny, nz].every((n) => Number.isInteger(n) && n > 0)) {
    throw new B2mError('bad_request', `volume shape must be three positive integers, got [${opts.shape.join(', ')}]`)
  }
  const p = opts.positions
  const nRows = p.length / 3
  const m = opts.toVoxel
  const [a00, a01, a02, a03] = m[0]
  const [a10, a11, a12, a13] = m[1]
  const [a20, a21, a22, a23] = m[2]
  const rowPtr = new Int32Array(nRows + 1)
  const method = opts.method
  let acc: Growable
  if (method === 'nearest') {
    acc = new Growable(nRows)
    for (let v = 0; v < nRows; v++) {
      const x = p[3 * v]
      const y = p[3 * v + 1]
      const z = p[3 * v + 2]
      const i = Math.floor(a00 * x + a01 * y + a02 * z + a03 + 0.5)
      const j = Math.floor(a10 * x + a11 * y + a12 * z + a13 + 0.5)
      const k = Math.floor(a20 * x + a21 * y + a22 * z + a23 + 0.5)
      if (i >= 0 && i < nx && j >= 0 && j < ny && k >= 0 && k < nz) acc.push(i + nx * (j + ny * k), 1)
      rowPtr[v + 1] = acc.n
    }
  } else if (method === 'trilinear') {
    acc = new Growable(nRows * 8)
    for (let v = 0; v < nRows; v++) {
      const x = p[3 * v]
      const y = p[3 * v + 1]
      const z = p[3 * v + 2]
      const n = trilinearCorners(
        a00 * x + a01 * y + a02 * z + a03,
        a10 * x + a11 * y + a12 * z + a13,
        a20 * x + a21 * y + a22 * z + a23,
        nx,
        ny,
        nz
      )
      for (let c = 0; c < n; c++) acc.push(cornerCols[c], cornerW[c])
      rowPtr[v + 1] = acc.n
    }
  } else if (method === 'line') {
    const q = opts.outer
    if (!q) throw new B2mError('bad_request', 'line sampling needs the pial (outer) surface as well as the white')
    if (q.length !== p.length) {
      throw new B2mError(
        'bad_request',
        `line sampling needs white and pial surfaces with the same vertices: white has ${p.length / 3}, pial ${q.length / 3}`
      )
    }
    const n = opts.samples ?? 10
    if (!Number.isInteger(n) || n < 1)
      throw new B2mError('bad_request', `line samples must be a positive integer, got ${n}`)
    acc = new Growable(nRows * 16)
    const scale = 1 / n
    // Dense scratch row: weights summed per voxel, the touched voxels listed (and reset) per vertex.
    const dense = new Float64Array(nx * ny * nz)
    const touched = new Int32Array(8 * n)
    for (let v = 0; v < nRows; v++) {
      let nt = 0
      for (let s = 0; s < n; s++) {
        const t = n === 1 ? 0.5 : s / (n - 1)
        const x = p[3 * v] + t * (q[3 * v] - p[3 * v])
        const y = p[3 * v + 1] + t * (q[3 * v + 1] - p[3 * v + 1])
        const z = p[3 * v + 2] + t * (q[3 * v + 2] - p[3 * v + 2])
        const nc = trilinearCorners(
          a00 * x + a01 * y + a02 * z + a03,
          a10 * x + a11 * y + a12 * z + a13,
          a20 * x + a21 * y + a22 * z + a23,
          nx,
          ny,
          nz
        )
        for (let c = 0; c < nc; c++) {
          const col = cornerCols[c]
          if (dense[col] === 0) touched[nt++] = col
          dense[col] += cornerW[c] * scale
        }
      }
      for (let e = 0; e < nt; e++) {
        const col = touched[e]
        acc.push(col, dense[col])
        dense[col] = 0
      }
      rowPtr[v + 1] = acc.n
    }
  } else {
    throw new B2mError('bad_request', `unknown projection method "${String(method)}" (nearest, trilinear or line)`)
  }
  return {
    nRows,
    nCols: nx * ny * nz,
    rowPtr,
    cols: acc.cols.slice(0, acc.n),
    vals: acc.vals.slice(0, acc.n)
  }
}

/**
 * out[v] = sum_j w_vj x_j / sum_j w_vj over the row's valid voxels (finite, mask != 0); NaN when none.
 * Accumulates in float64.
 */
export function applyMatrix(
  m: SparseMatrix,
  volume: Float32Array | Float64Array,
  mask?: Uint8Array | null
): Float32Array {
  if (volume.length !== m.nCols) {
    throw new B2mError('bad_request', `volume has ${volume.length} voxels but the mapping was built for ${m.nCols}`)
  }
  if (mask && mask.length !== m.nCols) {
    throw new B2mError('bad_request', `mask has ${mask.length} voxels but the volume has ${m.nCols}`)
  }
  const out = new Float32Array(m.nRows)
  const { rowPtr, cols, vals } = m
  for (let r = 0; r < m.nRows; r++) {
    let s = 0
    let ws = 0
    for (let e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
      const c = cols[e]
      const x = volume[c]
      if (x === x && x !== Infinity && x !== -Infinity && (!mask || mask[c] !== 0)) {
        s += vals[e] * x
        ws += vals[e]
      }
    }
    out[r] = ws > 0 ? s / ws : NaN
  }
  return out
}

export interface ValueStats {
  min: number
  max: number
  absMax: number
  finite: number
  nan: number
}

/** Min, max, |max| over finite values (0 when there are none) and the finite / NaN counts. */
export function valueStats(...arrays: Float32Array[]): ValueStats {
  let min = Infinity
  let max = -Infinity
  let finite = 0
  let nan = 0
  for (const a of arrays)
    for (let i = 0; i < a.length; i++) {
      const x = a[i]
      if (Number.isFinite(x)) {
        finite++
        if (x < min) min = x
        if (x > max) max = x
      } else if (x !== x) nan++
    }
  if (finite === 0) return { min: 0, max: 0, absMax: 0, finite, nan }
  return { min, max, absMax: Math.max(Math.abs(min), Math.abs(max)), finite, nan }
}
