/**
 * The analytic null of Pearson's r: under independence (bivariate normal), t = r sqrt((n-2)/(1-r²))
 * follows Student's t with n-2 degrees of freedom. Its tail is a regularised incomplete beta function:
 *   P(T >= t) = I_x(df/2, 1/2) / 2 for t > 0, with x = df/(df+t²) = 1 - r²,
 * evaluated by Lentz's continued fraction (Numerical Recipes §6.4) with log-gamma from a Lanczos series,
 * and with 1-x passed explicitly (r², not 1 - (1-r²)) so small r loses no digits.
 */
import { B2mError } from '../common/errors'

const LANCZOS_G = 7
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
]
const LN_SQRT_2PI = 0.9189385332046727

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new B2mError('bad_request', `lnGamma needs x > 0, got ${x}`)
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x)
  const z = x - 1
  let s = LANCZOS[0]
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (z + i)
  const t = z + LANCZOS_G + 0.5
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s)
}

export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b)
}

/** The continued fraction of I_x(a, b) (modified Lentz); y = 1 - x. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300
  const EPS = 1e-16
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < TINY) d = TINY
  d = 1 / d
  let h = d
  for (let m = 1; m <= 100000; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) return h
  }
  throw new B2mError('internal', `incomplete beta did not converge for a=${a}, b=${b}, x=${x}`)
}

/**
 * The regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1. Pass `y` = 1 - x when
 * it is known more precisely than 1 - x can be computed.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number, y = 1 - x): number {
  if (!(a > 0) || !(b > 0)) throw new B2mError('bad_request', `incomplete beta needs a, b > 0, got a=${a}, b=${b}`)
  if (!(x >= 0 && x <= 1) || !(y >= 0 && y <= 1))
    throw new B2mError('bad_request', `incomplete beta needs 0 <= x <= 1, got ${x}`)
  if (x === 0) return 0
  if (y === 0) return 1
  const lnFront = a * Math.log(x) + b * Math.log(y) - lnBeta(a, b)
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, y)) / b
}

/** The complement 1 - I_x(a, b) = I_{1-x}(b, a), without cancellation. */
export function regularizedIncompleteBetaUpper(x: number, a: number, b: number, y = 1 - x): number {
  return regularizedIncompleteBeta(y, b, a, x)
}

/** P(T >= t) for Student's t with `df` > 0 degrees of freedom (scipy.stats.t.sf). */
export function studentTSf(t: number, df: number): number {
  if (!(df > 0)) throw new B2mError('bad_request', `degrees of freedom must be > 0, got ${df}`)
  if (Number.isNaN(t)) return NaN
  if (t === Infinity) return 0
  if (t === -Infinity) return 1
  const t2 = t * t
  // x = df/(df+t²), 1-x = t²/(df+t²); for huge |t| this stays finite
  const x = df / (df + t2)
  const y = t2 / (df + t2)
  const half = 0.5 * regularizedIncompleteBeta(x, df / 2, 0.5, y)
  return t > 0 ? half : 1 - half
}

export type Alternative = 'greater' | 'less' | 'two-sided'

/**
 * The analytic p-value of one Pearson r from n samples (scipy.stats.pearsonr with the same
 * `alternative`, whose null is this t distribution): 'greater' (the default; r > 0 is evidence) is
 * P(T >= t). NaN r gives NaN. Needs n >= 3.
 */
export function pearsonPValue(r: number, n: number, alternative: Alternative = 'greater'): number {
  if (!Number.isInteger(n) || n < 3)
    throw new B2mError('bad_request', `a Pearson p-value needs n >= 3 samples, got ${n}`)
  if (Number.isNaN(r)) return NaN
  if (r > 1 || r < -1) {
    if (Math.abs(r) > 1 + 1e-12) throw new B2mError('bad_request', `r must lie in [-1, 1], got ${r}`)
    r = Math.sign(r)
  }
  const df = n - 2
  // x = df/(df+t²) = 1 - r², y = r²; 1 - r² as (1-r)(1+r) keeps digits near |r| = 1
  const x = (1 - r) * (1 + r)
  const y = r * r
  const tail = x === 0 ? 0 : 0.5 * regularizedIncompleteBeta(x, df / 2, 0.5, y) // P(T >= |t|)
  if (alternative === 'two-sided') return Math.min(1, 2 * tail)
  const upper = r >= 0 ? tail : 1 - tail
  if (alternative === 'greater') return r === 0 ? 0.5 : upper
  return r === 0 ? 0.5 : r > 0 ? 1 - tail : tail
}

/** pearsonPValue for every entry of `r` (e.g. one r per voxel). */
export function pearsonPValues(r: ArrayLike<number>, n: number, alternative: Alternative = 'greater'): Float64Array {
  const out = new Float64Array(r.length)
  for (let i = 0; i < r.length; i++) out[i] = pearsonPValue(r[i], n, alternative)
  return out
}

/** t = r sqrt((n-2)/(1-r²)) (±Infinity at |r| = 1). */
export function pearsonT(r: number, n: number): number {
  const x = (1 - r) * (1 + r)
  return x === 0 ? (r > 0 ? Infinity : -Infinity) : r * Math.sqrt((n - 2) / x)
}
