/**
 * Pure helpers of the slice viewer: where a displayed pixel sits in the run's voxel grid, the gray
 * image of a slice, and the outline of the mask. Rows run from the top of the displayed slice
 * (src-main/import/queries.ts sliceVolume): axial rows are -y, coronal and sagittal rows are -z.
 */
import type { SliceAxis } from '@contract'

export type Vec3 = [number, number, number]

/** How the subject's mask shows over the slice. */
export type Overlay = 'outline' | 'tint' | 'none'

/** The voxel [x, y, z] under row r, column c of slice `index` of a run of shape [X, Y, Z]. */
export function pixelToVoxel(axis: SliceAxis, index: number, r: number, c: number, shape: Vec3): Vec3 {
  const [, Y, Z] = shape
  if (axis === 'axial') return [c, Y - 1 - r, index]
  if (axis === 'coronal') return [c, index, Z - 1 - r]
  return [index, c, Z - 1 - r]
}

/** Where voxel v shows on slice `index` of `axis` ({r, c}), or null when it is on another slice. */
export function voxelToPixel(axis: SliceAxis, index: number, v: Vec3, shape: Vec3): { r: number; c: number } | null {
  const [, Y, Z] = shape
  const [x, y, z] = v
  if (axis === 'axial') return z === index ? { r: Y - 1 - y, c: x } : null
  if (axis === 'coronal') return y === index ? { r: Z - 1 - z, c: x } : null
  return x === index ? { r: Z - 1 - z, c: y } : null
}

/** Which axis of the grid a slice axis steps through, for labels. */
export const AXIS_OF: Record<SliceAxis, 'x' | 'y' | 'z'> = { axial: 'z', coronal: 'y', sagittal: 'x' }

export interface Rgb {
  r: number
  g: number
  b: number
}

/**
 * RGBA pixels (rows x cols) of a slice in gray from min (black) to max (white); with `tint`, mask
 * voxels are blended towards that colour.
 */
export function grayRgba(
  image: Float32Array,
  min: number,
  max: number,
  mask: Uint8Array | null,
  tint: Rgb | null,
  alpha = 0.35
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(new ArrayBuffer(image.length * 4))
  const span = max > min ? max - min : 1
  for (let i = 0; i < image.length; i++) {
    const v = image[i]
    let g = Number.isFinite(v) ? ((v - min) / span) * 255 : 0
    g = g < 0 ? 0 : g > 255 ? 255 : g
    let r = g
    let gg = g
    let b = g
    if (tint && mask && mask[i]) {
      r = g * (1 - alpha) + tint.r * alpha
      gg = g * (1 - alpha) + tint.g * alpha
      b = g * (1 - alpha) + tint.b * alpha
    }
    const o = i * 4
    out[o] = r
    out[o + 1] = gg
    out[o + 2] = b
    out[o + 3] = 255
  }
  return out
}

/**
 * The edges between mask and non-mask voxels (and the image border), as segments in voxel units:
 * [x0, y0, x1, y1] with x along columns and y down the rows.
 */
export function maskEdges(mask: Uint8Array, rows: number, cols: number): number[] {
  const seg: number[] = []
  const inside = (r: number, c: number) => r >= 0 && r < rows && c >= 0 && c < cols && mask[r * cols + c] !== 0
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      if (!inside(r, c)) continue
      if (!inside(r - 1, c)) seg.push(c, r, c + 1, r)
      if (!inside(r + 1, c)) seg.push(c, r + 1, c + 1, r + 1)
      if (!inside(r, c - 1)) seg.push(c, r, c, r + 1)
      if (!inside(r, c + 1)) seg.push(c + 1, r, c + 1, r + 1)
    }
  return seg
}

/** The largest whole number of screen pixels per voxel that fits the box (at least 1). */
export function fitScale(rows: number, cols: number, maxWidth: number, maxHeight: number): number {
  return Math.max(1, Math.floor(Math.min(maxWidth / Math.max(1, cols), maxHeight / Math.max(1, rows))))
}

/** "Nice" axis ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return []
  if (hi <= lo) return [lo]
  const raw = (hi - lo) / Math.max(1, target)
  const pow = Math.pow(10, Math.floor(Math.log10(raw)))
  const f = raw / pow
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow
  const out: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Math.abs(t) < step * 1e-9 ? 0 : t)
  return out
}

/** A tick label with no more decimals than its step needs. */
export function tickLabel(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(v) || 1
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)))
  return v.toFixed(decimals)
}
