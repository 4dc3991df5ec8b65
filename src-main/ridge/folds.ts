/**
 * Cross-validation folds as ridge_ref.py defines them: K contiguous blocks of the sample index
 * (numpy.array_split semantics: the first n % K blocks are one longer), or leave-one-group-out over the
 * sorted distinct group values.
 */
import { B2mError } from '../common/errors'

export interface Fold {
  train: Int32Array
  test: Int32Array
  /** The held-out group value (leave-one-group-out only). */
  group?: number
}

export function makeFolds(n: number, k: number, groups?: Int32Array): Fold[] {
  if (groups) {
    if (groups.length !== n)
      throw new B2mError('bad_request', `groups has ${groups.length} entries but there are ${n} samples`)
    const values = Array.from(new Set(groups)).sort((a, b) => a - b)
    if (values.length < 2)
      throw new B2mError('bad_request', 'groups must hold at least two distinct values for leave-one-group-out')
    return values.map((g) => {
      const train: number[] = []
      const test: number[] = []
      for (let i = 0; i < n; i++) (groups[i] === g ? test : train).push(i)
      return { train: Int32Array.from(train), test: Int32Array.from(test), group: g }
    })
  }
  if (!Number.isInteger(k) || k < 2) throw new B2mError('bad_request', `folds must be an integer >= 2, got ${k}`)
  if (k > n) throw new B2mError('bad_request', `folds (${k}) cannot exceed the number of samples (${n})`)
  const base = Math.floor(n / k)
  const extra = n % k
  const folds: Fold[] = []
  let start = 0
  for (let f = 0; f < k; f++) {
    const size = base + (f < extra ? 1 : 0)
    const test = new Int32Array(size)
    for (let i = 0; i < size; i++) test[i] = start + i
    const train = new Int32Array(n - size)
    let w = 0
    for (let i = 0; i < n; i++) if (i < start || i >= start + size) train[w++] = i
    folds.push({ train, test })
    start += size
  }
  return folds
}
