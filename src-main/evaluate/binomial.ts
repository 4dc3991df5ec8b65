/** The one-sided binomial test of a listening test (or any two-alternative choice) against chance. */
import { B2mError } from '../common/errors'
import { lnGamma } from './tdist'

/**
 * P(X >= k) for X ~ Binomial(n, p0): the one-sided p of k successes in n trials when each succeeds with
 * probability p0 by chance (0.5 for a two-alternative choice). 8 of 10 at 0.5 gives 56/1024 = 0.0546875.
 */
export function binomialUpperTail(k: number, n: number, p0 = 0.5): number {
  if (!Number.isInteger(n) || n < 0)
    throw new B2mError('bad_request', `binomial test: n must be a whole number >= 0, got ${n}`)
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new B2mError('bad_request', `binomial test: successes must be a whole number in 0..${n}, got ${k}`)
  if (!(p0 > 0 && p0 < 1)) throw new B2mError('bad_request', `binomial test: chance level must be in (0, 1), got ${p0}`)
  if (k === 0) return 1
  // p0 = 0.5 (the listening test): an exact integer sum of binomial coefficients over 2^n. The one rounding
  // is Number(sum) (dividing by a power of two is exact), so 8/10 gives exactly 0.0546875.
  if (p0 === 0.5 && n <= 1000) {
    let c = 1n
    for (let i = 0; i < k; i++) c = (c * BigInt(n - i)) / BigInt(i + 1)
    let sum = 0n
    for (let i = k; i <= n; i++) {
      sum += c
      c = (c * BigInt(n - i)) / BigInt(i + 1)
    }
    return Number(sum) / 2 ** n
  }
  // First term in log space (no overflow of C(n, k) for large n), the rest by the ratio of successive terms.
  const lq = Math.log1p(-p0)
  const lp = Math.log(p0)
  let term = Math.exp(lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1) + k * lp + (n - k) * lq)
  let sum = 0
  const ratio = p0 / (1 - p0)
  for (let i = k; i <= n; i++) {
    sum += term
    term *= ((n - i) / (i + 1)) * ratio
    if (term < sum * 1e-17) break
  }
  return Math.min(1, sum)
}
