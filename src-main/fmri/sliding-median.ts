import { B2mError } from '../common/errors'

/**
 * How the window is completed near the ends of the series (h = (window - 1) / 2):
 * * `shrink` (default): the window is cut at the ends, so point t takes the median of
 *   x[max(0, t-h) .. min(T-1, t+h)]; an even count takes the mean of the two middle values (numpy's median).
 *   No invented samples: the trend estimate at the edges comes from the data alone.
 * * `reflect`: scipy.ndimage.median_filter mode='reflect' (d c b a | a b c d | d c b a).
 * * `mirror`: scipy.ndimage mode='mirror' (d c b | a b c d | c b a).
 * * `nearest`: scipy.ndimage mode='nearest' (a a a | a b c d | d d d).
 * * `zeros`: scipy.signal.medfilt (zero padding). With positive data (raw BOLD) the h pad zeros all sort
 *   below the data, so near the ends the 'median' becomes a low order statistic (at t = 0 the minimum of
 *   x[0..h]) and the trend is biased low there; kept for comparison with medfilt-based pipelines.
 */
export type MedianEdge = 'shrink' | 'reflect' | 'mirror' | 'nearest' | 'zeros'

export const MEDIAN_EDGES: readonly MedianEdge[] = ['shrink', 'reflect', 'mirror', 'nearest', 'zeros']

/**
 * A running median of odd window length over series of a fixed length T, reusing its buffers.
 *
 * The window is kept as a sorted array; each step replaces the outgoing sample by the incoming one with a
 * binary search and a shift of only the values lying between them, O(log w + d) per step with d the
 * displacement (on average about w/3 for noise, contiguous memory). For the paper's w = 161 this beats a
 * two-heap median with lazy deletion in practice; the first window costs O(w^2) at worst by insertion.
 */
export class SlidingMedian {
  readonly length: number
  readonly window: number
  readonly edge: MedianEdge
  private readonly half: number
  private readonly sorted: Float64Array
  private readonly padded: Float64Array
  private n = 0

  constructor(length: number, window: number, edge: MedianEdge = 'shrink') {
    if (!Number.isInteger(length) || length <= 0) {
      throw new B2mError('bad_request', `median filter: series length must be > 0, got ${length}`)
    }
    if (!Number.isInteger(window) || window < 1 || window % 2 === 0) {
      throw new B2mError('bad_request', `median filter: window must be an odd positive integer, got ${window}`)
    }
    if (!MEDIAN_EDGES.includes(edge)) throw new B2mError('bad_request', `median filter: unknown edge mode '${edge}'`)
    this.length = length
    this.window = window
    this.edge = edge
    this.half = (window - 1) / 2
    this.sorted = new Float64Array(window)
    this.padded = edge === 'shrink' ? new Float64Array(0) : new Float64Array(length + 2 * this.half)
  }

  /** Writes the running median of `x` (length T) into `out` (length T; may be a different array only). */
  apply(x: ArrayLike<number>, out: Float64Array): Float64Array {
    const T = this.length
    if (x.length !== T || out.length !== T) {
      throw new B2mError('bad_request', `median filter: expected series of length ${T}, got ${x.length}/${out.length}`)
    }
    this.n = 0
    const h = this.half
    if (this.edge === 'shrink') {
      const first = Math.min(h, T - 1)
      for (let i = 0; i <= first; i++) this.insert(x[i])
      for (let t = 0; t < T; t++) {
        out[t] = this.median()
        const add = t + 1 + h
        const rem = t - h
        if (add < T && rem >= 0) this.replace(x[rem], x[add])
        else if (add < T) this.insert(x[add])
        else if (rem >= 0 && t + 1 < T) this.remove(x[rem])
      }
      return out
    }
    const p = this.padded
    for (let i = 0; i < p.length; i++) {
      const j = this.sourceIndex(i - h)
      p[i] = j < 0 ? 0 : x[j]
    }
    const w = this.window
    for (let i = 0; i < w; i++) this.insert(p[i])
    out[0] = this.median()
    for (let t = 1; t < T; t++) {
      this.replace(p[t - 1], p[t - 1 + w])
      out[t] = this.median()
    }
    return out
  }

  /** Index into the series for padded position i (may be outside 0..T-1); -1 means a zero. */
  private sourceIndex(i: number): number {
    const T = this.length
    if (i >= 0 && i < T) return i
    switch (this.edge) {
      case 'zeros':
        return -1
      case 'nearest':
        return i < 0 ? 0 : T - 1
      case 'reflect': {
        const p = 2 * T
        const m = ((i % p) + p) % p
        return m < T ? m : p - 1 - m
      }
      case 'mirror': {
        if (T === 1) return 0
        const p = 2 * T - 2
        const m = ((i % p) + p) % p
        return m < T ? m : p - m
      }
      default:
        return i
    }
  }

  private median(): number {
    const n = this.n
    const s = this.sorted
    const m = n >> 1
    return n & 1 ? s[m] : 0.5 * (s[m - 1] + s[m])
  }

  /** First index whose value is >= v. */
  private lowerBound(v: number): number {
    const s = this.sorted
    let lo = 0
    let hi = this.n
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (s[mid] < v) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private insert(v: number): void {
    const s = this.sorted
    let i = this.n++
    while (i > 0 && s[i - 1] > v) {
      s[i] = s[i - 1]
      i--
    }
    s[i] = v
  }

  private remove(v: number): void {
    const s = this.sorted
    const n = --this.n
    for (let i = this.lowerBound(v); i < n; i++) s[i] = s[i + 1]
  }

  private replace(out: number, v: number): void {
    const s = this.sorted
    const n = this.n
    let i = this.lowerBound(out)
    if (v > out) {
      while (i + 1 < n && s[i + 1] < v) {
        s[i] = s[i + 1]
        i++
      }
    } else {
      while (i > 0 && s[i - 1] > v) {
        s[i] = s[i - 1]
        i--
      }
    }
    s[i] = v
  }
}

/** Running median of one series (convenience; allocates). */
export function slidingMedian(x: ArrayLike<number>, window: number, edge: MedianEdge = 'shrink'): Float64Array {
  return new SlidingMedian(x.length, window, edge).apply(x, new Float64Array(x.length))
}

/** The paper's window in TRs: round(seconds / TR), made odd by adding one if even (240 s at 1.5 s -> 161). */
export function medianWindowTRs(seconds: number, tr: number): number {
  if (!(seconds > 0) || !(tr > 0)) {
    throw new B2mError('bad_request', `median window: seconds and TR must be > 0, got ${seconds}, ${tr}`)
  }
  const w = Math.max(1, Math.round(seconds / tr))
  return w % 2 === 0 ? w + 1 : w
}
