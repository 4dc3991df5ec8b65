/**
 * Per-vertex map arithmetic on typed arrays: A - B, robust ranges, and the display defaults a map
 * starts with. Pure functions, no stores.
 */
import type { ColormapName } from './colormaps'
import { colormap } from './colormaps'

export interface HemiPair {
  lh: Float32Array
  rh: Float32Array
}

/** A - B per vertex (NaN where either is NaN). Lengths must agree. */
export function subtractMaps(a: HemiPair, b: HemiPair): HemiPair {
  const sub = (x: Float32Array, y: Float32Array, h: string): Float32Array => {
    if (x.length !== y.length) throw new Error(`A and B differ in length on ${h} (${x.length} vs ${y.length} vertices)`)
    const out = new Float32Array(x.length)
    for (let i = 0; i < x.length; i++) out[i] = x[i]! - y[i]!
    return out
  }
  return { lh: sub(a.lh, b.lh, 'lh'), rh: sub(a.rh, b.rh, 'rh') }
}

export interface MapSummary {
  min: number
  max: number
  absMax: number
  /** Robust (2nd/98th percentile) low/high and 98th percentile of |x|. */
  lo: number
  hi: number
  absHi: number
  finite: number
  nan: number
}

/** Range summary over both hemispheres (exact min/max; percentiles from a strided sample). */
export function summarize(p: HemiPair): MapSummary {
  let min = Infinity
  let max = -Infinity
  let finite = 0
  let nan = 0
  const total = p.lh.length + p.rh.length
  const step = Math.max(1, Math.floor(total / 50000))
  const sample: number[] = []
  let k = 0
  for (const arr of [p.lh, p.rh])
    for (let i = 0; i < arr.length; i++, k++) {
      const v = arr[i]!
      if (!Number.isFinite(v)) {
        nan++
        continue
      }
      finite++
      if (v < min) min = v
      if (v > max) max = v
      if (k % step === 0) sample.push(v)
    }
  if (!finite) return { min: 0, max: 0, absMax: 0, lo: 0, hi: 0, absHi: 0, finite, nan }
  sample.sort((a, b) => a - b)
  const q = (f: number): number => sample[Math.min(sample.length - 1, Math.floor(f * (sample.length - 1)))]!
  const abs = sample.map(Math.abs).sort((a, b) => a - b)
  const absHi = abs[Math.min(abs.length - 1, Math.floor(0.98 * (abs.length - 1)))]!
  return { min, max, absMax: Math.max(Math.abs(min), Math.abs(max)), lo: q(0.02), hi: q(0.98), absHi, finite, nan }
}

export interface DisplaySettings {
  colormap: ColormapName
  vmin: number
  vmax: number
  threshold: number
  /** Slider domains. */
  domain: [number, number]
  thresholdDomain: [number, number]
}

/** Signed data (a real share of each sign) gets a diverging map centred on 0; the rest a sequential one. */
export function defaultDisplay(s: MapSummary): DisplaySettings {
  const signed = s.min < 0 && s.max > 0 && Math.min(-s.min, s.max) > 0.05 * s.absMax
  if (signed) {
    const r = niceCeil(s.absHi || s.absMax || 1)
    const dom = niceCeil(s.absMax || 1)
    return { colormap: 'RdBu_r', vmin: -r, vmax: r, threshold: 0, domain: [-dom, dom], thresholdDomain: [0, dom] }
  }
  const lo = s.lo
  const hi = s.hi > s.lo ? s.hi : s.lo + 1
  return {
    colormap: 'viridis',
    vmin: lo,
    vmax: hi,
    threshold: s.min,
    domain: [s.min, s.max > s.min ? s.max : s.min + 1],
    thresholdDomain: [s.min, s.max > s.min ? s.max : s.min + 1]
  }
}

/**
 * A - B: diverging, symmetric. The default threshold is 1% of the larger of A's and B's ranges, so
 * "no difference" (exact zeros, or float noise) shows the curvature instead of a wash of white.
 */
export function diffDisplay(diff: MapSummary, a: MapSummary, b: MapSummary): DisplaySettings {
  const ref = Math.max(a.absHi, b.absHi, a.absMax, b.absMax) || 1
  const r = niceCeil(diff.absHi || diff.absMax || ref)
  const dom = niceCeil(Math.max(diff.absMax, r))
  return {
    colormap: 'RdBu_r',
    vmin: -r,
    vmax: r,
    threshold: 0.01 * ref,
    domain: [-dom, dom],
    thresholdDomain: [0, dom]
  }
}

/** When the colormap changes kind (sequential <-> diverging), the range follows. */
export function adaptToColormap(d: DisplaySettings, name: ColormapName, s: MapSummary): DisplaySettings {
  const was = colormap(d.colormap).diverging
  const now = colormap(name).diverging
  if (was === now) return { ...d, colormap: name }
  if (now) {
    const r = niceCeil(s.absHi || s.absMax || 1)
    const dom = niceCeil(s.absMax || 1)
    return { colormap: name, vmin: -r, vmax: r, threshold: 0, domain: [-dom, dom], thresholdDomain: [0, dom] }
  }
  const seq = defaultDisplay({ ...s, min: Math.max(0, s.min) })
  return { ...seq, colormap: name }
}

/** Rounds up to 1, 2, 2.5 or 5 x 10^k (keeps slider ends readable). */
export function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1
  const mag = 10 ** Math.floor(Math.log10(x))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= x * (1 - 1e-9)) return m * mag
  return 10 * mag
}
