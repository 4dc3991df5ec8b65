import { B2mError } from '../common/errors'
import { checkDims } from './checks'
import type { Dims3, Mask, RunData } from './types'

type NumericArray = ArrayLike<number>

/** A mask from a mask volume: every finite nonzero voxel is in. Indices are flat, x fastest, ascending. */
export function maskFromVolume(volume: NumericArray, dims: Dims3): Mask {
  checkDims(dims, volume.length, 'mask volume')
  let n = 0
  for (let i = 0; i < volume.length; i++) if (isIn(volume[i])) n++
  if (n === 0) throw new B2mError('bad_request', 'mask volume: no nonzero voxels')
  const indices = new Int32Array(n)
  for (let i = 0, k = 0; i < volume.length; i++) if (isIn(volume[i])) indices[k++] = i
  return { dims: [dims[0], dims[1], dims[2]], indices, nVoxels: n }
}

const isIn = (x: number) => x !== 0 && x === x

/** The mask as a 0/1 volume of X*Y*Z bytes (x fastest). */
export function maskToVolume(mask: Mask): Uint8Array {
  const [X, Y, Z] = mask.dims
  const out = new Uint8Array(X * Y * Z)
  for (let v = 0; v < mask.nVoxels; v++) out[mask.indices[v]] = 1
  return out
}

/** Voxel (x, y, z) of masked voxel v. */
export function voxelCoordinates(mask: Mask, v: number): [number, number, number] {
  const [X, Y] = mask.dims
  const i = mask.indices[v]
  return [i % X, Math.floor(i / X) % Y, Math.floor(i / (X * Y))]
}

/**
 * Copies the masked voxels of one volume (X*Y*Z values, x fastest, any numeric array, optionally scaled
 * as NIfTI's scl_slope/scl_inter) into row `t` of a run. For readers that stream volume by volume.
 */
export function maskVolumeInto(volume: NumericArray, mask: Mask, run: RunData, t: number, slope = 1, inter = 0): void {
  const [X, Y, Z] = mask.dims
  if (volume.length !== X * Y * Z) {
    throw new B2mError('bad_request', `volume ${t}: has ${volume.length} values, mask grid is ${X} x ${Y} x ${Z}`)
  }
  if (run.nVoxels !== mask.nVoxels) {
    throw new B2mError('bad_request', `run has ${run.nVoxels} voxels, mask has ${mask.nVoxels}`)
  }
  if (!Number.isInteger(t) || t < 0 || t >= run.nVolumes) {
    throw new B2mError('bad_request', `volume index ${t} outside 0..${run.nVolumes - 1}`)
  }
  const idx = mask.indices
  const out = run.data
  const o = t * run.nVoxels
  if (slope === 1 && inter === 0) for (let v = 0; v < idx.length; v++) out[o + v] = volume[idx[v]]
  else for (let v = 0; v < idx.length; v++) out[o + v] = volume[idx[v]] * slope + inter
}

/** Masks a whole 4D block (X*Y*Z*T values, x fastest, then t) into a T x V run. */
export function applyMask(volumes4d: NumericArray, nVolumes: number, mask: Mask): RunData {
  const [X, Y, Z] = mask.dims
  const n3 = X * Y * Z
  if (volumes4d.length !== n3 * nVolumes) {
    throw new B2mError('bad_request', `4D data has ${volumes4d.length} values, expected ${X}x${Y}x${Z}x${nVolumes}`)
  }
  const run: RunData = { data: new Float32Array(nVolumes * mask.nVoxels), nVolumes, nVoxels: mask.nVoxels }
  const idx = mask.indices
  for (let t = 0; t < nVolumes; t++) {
    const base = t * n3
    const o = t * mask.nVoxels
    for (let v = 0; v < idx.length; v++) run.data[o + v] = volumes4d[base + idx[v]]
  }
  return run
}

/** Mean over time of a run's masked voxels (length V). */
export function meanOverTime(run: RunData): Float64Array {
  const { data, nVolumes: T, nVoxels: V } = run
  const acc = new Float64Array(V)
  for (let t = 0; t < T; t++) {
    const o = t * V
    for (let v = 0; v < V; v++) acc[v] += data[o + v]
  }
  for (let v = 0; v < V; v++) acc[v] /= T
  return acc
}

/**
 * Puts a vector of V values (one per masked voxel) back into the grid: X*Y*Z float32, x fastest,
 * `fill` (NaN by default) outside the mask.
 */
export function backProject(values: NumericArray, mask: Mask, fill = NaN): Float32Array {
  if (values.length !== mask.nVoxels) {
    throw new B2mError('bad_request', `back-projection: ${values.length} values for a mask of ${mask.nVoxels} voxels`)
  }
  const [X, Y, Z] = mask.dims
  const out = new Float32Array(X * Y * Z).fill(fill)
  const idx = mask.indices
  for (let v = 0; v < idx.length; v++) out[idx[v]] = values[v]
  return out
}
