import { B2mError } from '../common/errors'
import { checkDims } from './checks'
import type { Dims3 } from './types'

/**
 * Binary 3D morphology on 0/1 volumes (Uint8Array, x fastest), written to match scipy.ndimage:
 * erosion and dilation use the 6-neighbour cross (scipy's default structure) with everything outside the
 * grid counting as 0; hole filling is scipy's binary_fill_holes (background not 6-connected to the border
 * is filled); components can be 6-, 18- or 26-connected.
 */

export type Connectivity = 6 | 18 | 26

/** Neighbour offsets (dx, dy, dz) for a connectivity. */
function offsets(connectivity: Connectivity): [number, number, number][] {
  const out: [number, number, number][] = []
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const n = Math.abs(dx) + Math.abs(dy) + Math.abs(dz)
        if (n === 0) continue
        if (connectivity === 6 && n > 1) continue
        if (connectivity === 18 && n > 2) continue
        out.push([dx, dy, dz])
      }
  return out
}

/**
 * Labels the connected components of the nonzero voxels: labels 1..count in order of each component's
 * first voxel (flat order), `sizes[label]` voxels each (sizes[0] = 0).
 */
export function labelComponents(
  binary: Uint8Array,
  dims: Dims3,
  connectivity: Connectivity = 26
): { labels: Int32Array; count: number; sizes: number[] } {
  checkDims(dims, binary.length, 'binary volume')
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new B2mError('bad_request', `connectivity must be 6, 18 or 26, got ${String(connectivity)}`)
  }
  const [X, Y, Z] = dims
  const XY = X * Y
  const labels = new Int32Array(binary.length)
  const queue = new Int32Array(binary.length)
  const nb = offsets(connectivity)
  const sizes = [0]
  let count = 0
  for (let seed = 0; seed < binary.length; seed++) {
    if (!binary[seed] || labels[seed]) continue
    const label = ++count
    let head = 0
    let tail = 0
    queue[tail++] = seed
    labels[seed] = label
    while (head < tail) {
      const i = queue[head++]
      const x = i % X
      const y = Math.floor(i / X) % Y
      const z = Math.floor(i / XY)
      for (const [dx, dy, dz] of nb) {
        const xx = x + dx
        const yy = y + dy
        const zz = z + dz
        if (xx < 0 || yy < 0 || zz < 0 || xx >= X || yy >= Y || zz >= Z) continue
        const j = xx + X * yy + XY * zz
        if (binary[j] && !labels[j]) {
          labels[j] = label
          queue[tail++] = j
        }
      }
    }
    sizes.push(tail)
  }
  return { labels, count, sizes }
}

/** Keeps the largest connected component (ties: the one met first in flat order). All-zero stays all-zero. */
export function largestComponent(binary: Uint8Array, dims: Dims3, connectivity: Connectivity = 26): Uint8Array {
  const { labels, count, sizes } = labelComponents(binary, dims, connectivity)
  const out = new Uint8Array(binary.length)
  if (count === 0) return out
  let best = 1
  for (let l = 2; l <= count; l++) if (sizes[l] > sizes[best]) best = l
  for (let i = 0; i < out.length; i++) out[i] = labels[i] === best ? 1 : 0
  return out
}

function step(binary: Uint8Array, dims: Dims3, erode: boolean): Uint8Array {
  const [X, Y, Z] = dims
  const XY = X * Y
  const out = new Uint8Array(binary.length)
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const i = x + X * y + XY * z
        if (erode) {
          out[i] =
            binary[i] &&
            x > 0 &&
            x < X - 1 &&
            y > 0 &&
            y < Y - 1 &&
            z > 0 &&
            z < Z - 1 &&
            binary[i - 1] &&
            binary[i + 1] &&
            binary[i - X] &&
            binary[i + X] &&
            binary[i - XY] &&
            binary[i + XY]
              ? 1
              : 0
        } else {
          out[i] =
            binary[i] ||
            (x > 0 && binary[i - 1]) ||
            (x < X - 1 && binary[i + 1]) ||
            (y > 0 && binary[i - X]) ||
            (y < Y - 1 && binary[i + X]) ||
            (z > 0 && binary[i - XY]) ||
            (z < Z - 1 && binary[i + XY])
              ? 1
              : 0
        }
      }
  return out
}

/** scipy.ndimage.binary_erosion(mask, iterations=n) with its default cross and border 0. */
export function erode(binary: Uint8Array, dims: Dims3, iterations = 1): Uint8Array {
  checkDims(dims, binary.length, 'binary volume')
  let b = binary
  for (let k = 0; k < iterations; k++) b = step(b, dims, true)
  return b === binary ? binary.slice() : b
}

/** scipy.ndimage.binary_dilation(mask, iterations=n) with its default cross and border 0. */
export function dilate(binary: Uint8Array, dims: Dims3, iterations = 1): Uint8Array {
  checkDims(dims, binary.length, 'binary volume')
  let b = binary
  for (let k = 0; k < iterations; k++) b = step(b, dims, false)
  return b === binary ? binary.slice() : b
}

/** scipy.ndimage.binary_fill_holes: background voxels not 6-connected to the grid's border become 1. */
export function fillHoles(binary: Uint8Array, dims: Dims3): Uint8Array {
  checkDims(dims, binary.length, 'binary volume')
  const [X, Y, Z] = dims
  const XY = X * Y
  const outside = new Uint8Array(binary.length)
  const queue = new Int32Array(binary.length)
  let tail = 0
  const seed = (i: number) => {
    if (!binary[i] && !outside[i]) {
      outside[i] = 1
      queue[tail++] = i
    }
  }
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++)
        if (x === 0 || y === 0 || z === 0 || x === X - 1 || y === Y - 1 || z === Z - 1) seed(x + X * y + XY * z)
  for (let head = 0; head < tail; head++) {
    const i = queue[head]
    const x = i % X
    const y = Math.floor(i / X) % Y
    const z = Math.floor(i / XY)
    if (x > 0) seed(i - 1)
    if (x < X - 1) seed(i + 1)
    if (y > 0) seed(i - X)
    if (y < Y - 1) seed(i + X)
    if (z > 0) seed(i - XY)
    if (z < Z - 1) seed(i + XY)
  }
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < out.length; i++) out[i] = outside[i] ? 0 : 1
  return out
}
