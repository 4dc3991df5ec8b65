import { B2mError } from '../common/errors'
import { checkDims } from './checks'
import { maskFromVolume } from './mask'
import { type Connectivity, dilate, erode, fillHoles, largestComponent } from './morphology'
import type { Dims3, Mask } from './types'

export interface EpiMaskOptions {
  /** Fractions of the sorted intensities between which the threshold is sought (nilearn: 0.2, 0.85). */
  lowerCutoff?: number
  upperCutoff?: number
  /** Keep only the largest connected component (nilearn: true). */
  connected?: boolean
  /** Its connectivity: 26 here by default; nilearn (scipy.ndimage.label's default) uses 6. */
  connectivity?: Connectivity
  /** Opening iterations (nilearn: 2): erode n, [largest component], dilate 2n, erode n. 0 = none. */
  opening?: number
  /** Fill enclosed holes at the end (scipy binary_fill_holes); not in nilearn. */
  fillHoles?: boolean
  /** Ignore exact zeros when building the intensity distribution (nilearn: false). */
  excludeZeros?: boolean
}

export interface EpiMaskResult {
  mask: Mask
  /** The intensity threshold: voxels with mean >= threshold were candidates before the clean-up. */
  threshold: number
  /** 0/1 volume of the final mask (x fastest). */
  volume: Uint8Array
}

/**
 * A brain mask from the mean EPI, after nilearn's compute_epi_mask: sort the (finite, NaN -> 0) intensities,
 * and between the lowerCutoff and upperCutoff quantiles find the largest gap between consecutive values —
 * the minimum of the intensity density, between background and brain; threshold at that gap's midpoint;
 * then erode, keep the largest component, dilate and erode again (an opening that also closes).
 */
export function computeEpiMask(mean: ArrayLike<number>, dims: Dims3, options: EpiMaskOptions = {}): EpiMaskResult {
  checkDims(dims, mean.length, 'mean EPI')
  const lower = options.lowerCutoff ?? 0.2
  const upper = options.upperCutoff ?? 0.85
  const opening = options.opening ?? 2
  const connected = options.connected ?? true
  const connectivity = options.connectivity ?? 26
  if (!(lower >= 0 && lower < upper && upper <= 1)) {
    throw new B2mError('bad_request', `EPI mask: need 0 <= lowerCutoff < upperCutoff <= 1, got ${lower}, ${upper}`)
  }
  if (!Number.isInteger(opening) || opening < 0) {
    throw new B2mError('bad_request', `EPI mask: opening must be a non-negative integer, got ${opening}`)
  }
  const img = new Float64Array(mean.length)
  for (let i = 0; i < img.length; i++) img[i] = Number.isFinite(mean[i]) ? mean[i] : 0
  let sorted = img.slice().sort()
  if (options.excludeZeros) sorted = sorted.filter((x) => x !== 0)
  const n = sorted.length
  if (n < 2) throw new B2mError('bad_request', 'EPI mask: fewer than two usable intensities')
  const lo = Math.floor(lower * n)
  const hi = Math.min(Math.floor(upper * n), n - 1)
  if (hi <= lo) throw new B2mError('bad_request', 'EPI mask: cutoffs leave no intensities to search')
  let ia = 0
  let best = -Infinity
  for (let i = lo; i < hi; i++) {
    const gap = sorted[i + 1] - sorted[i]
    if (gap > best) {
      best = gap
      ia = i
    }
  }
  const threshold = 0.5 * (sorted[ia] + sorted[ia + 1])

  let bin: Uint8Array = new Uint8Array(img.length)
  for (let i = 0; i < img.length; i++) bin[i] = img[i] >= threshold ? 1 : 0
  if (opening) bin = erode(bin, dims, opening)
  const any = bin.some((b) => b !== 0)
  if (!any) throw new B2mError('failed', 'EPI mask: the computed mask is empty (is this a mean EPI, not detrended?)')
  if (connected) bin = largestComponent(bin, dims, connectivity)
  if (opening) bin = erode(dilate(bin, dims, 2 * opening), dims, opening)
  if (options.fillHoles) bin = fillHoles(bin, dims)
  return { mask: maskFromVolume(bin, dims), threshold, volume: bin }
}
