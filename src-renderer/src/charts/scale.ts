/**
 * Axis arithmetic for the inline-SVG charts: linear and log10 scales, their ticks and labels, and
 * histogram binning. Plain numbers in, plain numbers out; no DOM.
 */
import { niceTicks, tickLabel } from '../components/runs/slice'

export { niceTicks, tickLabel }

export interface Scale {
  (v: number): number
  domain: [number, number]
  range: [number, number]
  log: boolean
}

/** Linear map of [d0, d1] onto [r0, r1]; a degenerate domain maps everything to the middle. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0
  const f = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0))) as Scale
  f.domain = [d0, d1]
  f.range = [r0, r1]
  f.log = false
  return f
}

/** log10 map of [d0, d1] (both > 0) onto [r0, r1]. */
export function logScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const l0 = Math.log10(d0)
  const l1 = Math.log10(d1)
  const lin = linearScale(l0, l1, r0, r1)
  const f = ((v: number) => lin(Math.log10(v))) as Scale
  f.domain = [d0, d1]
  f.range = [r0, r1]
  f.log = true
  return f
}

/** Powers of ten within [lo, hi] (lo, hi > 0), thinned to at most `max` ticks. */
export function logTicks(lo: number, hi: number, max = 8): number[] {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return []
  const e0 = Math.ceil(Math.log10(lo) - 1e-9)
  const e1 = Math.floor(Math.log10(hi) + 1e-9)
  if (e1 < e0) return [lo, hi]
  const every = Math.max(1, Math.ceil((e1 - e0 + 1) / max))
  const out: number[] = []
  for (let e = e0; e <= e1; e++) if ((e - e0) % every === 0) out.push(Math.pow(10, e))
  return out
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹'
}

/** 1000 -> "10³", 0.01 -> "10⁻²"; other values in short scientific form. */
export function powerLabel(v: number): string {
  const e = Math.log10(v)
  if (Math.abs(e - Math.round(e)) < 1e-9) {
    const k = String(Math.round(e))
    return `10${[...k].map((c) => SUPERSCRIPT[c] ?? c).join('')}`
  }
  return fmtSig(v)
}

/** A number in at most `digits` significant digits, exponent form when very large or small. */
export function fmtSig(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(Math.max(0, digits - 2))
  return Number(v.toPrecision(digits)).toString()
}

/** Finite min and max of values (null when none is finite). */
export function extent(values: ArrayLike<number>): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (!Number.isFinite(v)) continue
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : null
}

export interface Histogram {
  /** bins + 1 edges, ascending. */
  edges: number[]
  counts: number[]
}

/**
 * Counts of values in `bins` equal bins over [lo, hi]; the last bin is closed on the right so hi
 * itself is counted. Values outside the range or not finite are left out.
 */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Histogram {
  const edges: number[] = []
  for (let i = 0; i <= bins; i++) edges.push(lo + ((hi - lo) * i) / bins)
  const counts = new Array<number>(bins).fill(0)
  const w = (hi - lo) / bins
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (!Number.isFinite(v) || v < lo || v > hi) continue
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++
  }
  return { edges, counts }
}

/** n values evenly spaced in log10 from 10^lo to 10^hi (numpy's logspace). */
export function logspace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [Math.pow(10, lo)]
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(Math.pow(10, lo + ((hi - lo) * i) / (n - 1)))
  return out
}
