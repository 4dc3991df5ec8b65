import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import { uniform01 } from '../helpers/random'
import {
  CHANCE_IDENTIFICATION,
  PermutationCancelled,
  benjaminiHochberg,
  clipPermutationTest,
  identificationAccuracy,
  lnGamma,
  leaveOneGenreOut,
  oracleIdentification,
  pearsonPValue,
  pearsonPValues,
  perDimensionCorrelation,
  perGenreIdentification,
  regularizedIncompleteBeta,
  studentTSf,
  topKGenreAgreement
} from '../../src-main/evaluate'
import { SessionManager } from '../../src-main/onnx/sessions'

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0
const hasScipy = hasNumpy && spawnSync('python3', ['-c', 'import scipy.stats'], { encoding: 'utf8' }).status === 0

/** Runs python3 with `input` as JSON on stdin; returns its stdout parsed as JSON. */
function py<T = Record<string, number[]>>(code: string, input: unknown): T {
  const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

const rng = uniform01
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
}
function randn(n: number, seed: number): Float64Array {
  const r = rng(seed)
  return Float64Array.from({ length: n }, () => gauss(r))
}

const sessions = new SessionManager({ preferred: ['cpu'] })
afterAll(() => sessions.dispose())

describe('identification accuracy (Eq. 2)', () => {
  it('hand-checked tiny case, with a tie counted as not greater', async () => {
    // T rows 0 and 2 are identical: prediction 0 ties C_00 with C_02 and C_22 ties with C_20
    const T = Float64Array.from([1, 2, 3, 0, 0, 1, 1, 2, 3, 3, 1, 0])
    const P = Float64Array.from(T)
    const r = await identificationAccuracy(sessions, P, T, 4, 3)
    // rows: 0: wins over 1 and 3, tie with 2 -> 2/3; 1: wins all -> 1; 2: like 0 -> 2/3; 3: 1
    expect(Array.from(r.perSample)).toEqual([2 / 3, 1, 2 / 3, 1])
    expect(r.accuracy).toBeCloseTo((2 / 3 + 1 + 2 / 3 + 1) / 4, 15)
    // a prediction anti-correlated with its own truth loses against everything
    const Pn = Float64Array.from([3, 2, 1, 0, 0, 1, 1, 2, 3, 3, 1, 0])
    const r2 = await identificationAccuracy(sessions, Pn, T, 4, 3)
    expect(r2.perSample[0]).toBe(0)
    expect(CHANCE_IDENTIFICATION).toBe(0.5)
  })

  it('rejects constant rows and bad shapes', async () => {
    await expect(
      identificationAccuracy(
        sessions,
        new Float64Array([1, 1, 1, 1, 2, 3]),
        new Float64Array(6).map((_, i) => i),
        2,
        3
      )
    ).rejects.toThrow(/row 0 is constant/)
    await expect(identificationAccuracy(sessions, new Float64Array(5), new Float64Array(6), 2, 3)).rejects.toThrow(
      B2mError
    )
  })

  it.skipIf(!hasNumpy)('matches a straightforward numpy implementation on random data', async () => {
    const n = 97
    const d = 33
    const T = randn(n * d, 1)
    const P = Float32Array.from(T, (v, i) => 0.4 * v + randn(1, 1000 + i)[0])
    const r = await identificationAccuracy(sessions, P, T, n, d)
    const ref = py(
      `
import json, sys, numpy as np
a = json.load(sys.stdin); n, d = a["n"], a["d"]
P = np.array(a["P"], dtype=np.float64).reshape(n, d); T = np.array(a["T"]).reshape(n, d)
C = np.array([[np.corrcoef(P[i], T[j])[0, 1] for j in range(n)] for i in range(n)])
ids = [sum(1 for j in range(n) if j != i and C[i, i] > C[i, j]) / (n - 1) for i in range(n)]
print(json.dumps({"ids": ids, "C": C.ravel().tolist()}))`,
      { n, d, P: Array.from(P), T: Array.from(T) }
    )
    expect(Array.from(r.perSample)).toEqual(ref.ids)
    for (let i = 0; i < n * n; i++) expect(Math.abs(r.correlation[i] - ref.C[i])).toBeLessThan(1e-12)
    expect(r.accuracy).toBeGreaterThan(0.7)
  })

  it('oracle: T against itself is 1 without duplicates; repeats give the repeat consistency', async () => {
    const n = 20
    const d = 16
    const T = randn(n * d, 5)
    const self = await oracleIdentification(sessions, T, n, d)
    expect(self).toMatchObject({ accuracy: 1, method: 'self', repeats: 0 })
    const reps = [0, 1, 2].map((s) => Float64Array.from(T, (v, i) => v + 2 * randn(1, 77 * s + i)[0]))
    const o = await oracleIdentification(sessions, T, n, d, reps)
    expect(o.method).toBe('repeats')
    expect(o.accuracy).toBeGreaterThan(0.5)
    expect(o.accuracy).toBeLessThan(1)
  })
})

describe('per-dimension correlation and per-genre identification', () => {
  it.skipIf(!hasNumpy)(
    'per-dimension r matches numpy; constant dimensions are NaN and left out of the mean',
    async () => {
      const n = 50
      const d = 6
      const T = randn(n * d, 9)
      const P = Float64Array.from(T, (v, i) => v * (i % d) * 0.2 + randn(1, 500 + i)[0])
      for (let i = 0; i < n; i++) P[i * d + 5] = 3 // constant column
      const r = perDimensionCorrelation(P, T, n, d)
      const ref = py<number[]>(
        `
import json, sys, numpy as np
a = json.load(sys.stdin); n, d = a["n"], a["d"]
P = np.array(a["P"]).reshape(n, d); T = np.array(a["T"]).reshape(n, d)
print(json.dumps([float(np.corrcoef(P[:, k], T[:, k])[0, 1]) for k in range(d - 1)]))`,
        { n, d, P: Array.from(P), T: Array.from(T) }
      )
      for (let k = 0; k < d - 1; k++) expect(r.perDimension[k]).toBeCloseTo(ref[k], 12)
      expect(r.perDimension[5]).toBeNaN()
      expect(r.undefinedDimensions).toBe(1)
      expect(r.mean).toBeCloseTo(ref.reduce((a, b) => a + b, 0) / (d - 1), 12)
    }
  )

  it('per-genre identification averages id_i within each genre', () => {
    const s = perGenreIdentification(Float64Array.from([1, 0.5, 0, 0.25]), ['rock', 'jazz', 'rock', 'jazz'])
    expect(s).toEqual([
      { genre: 'jazz', n: 2, accuracy: 0.375 },
      { genre: 'rock', n: 2, accuracy: 0.5 }
    ])
  })

  it('top-k genre agreement with chance', () => {
    const libraryGenres = ['a', 'a', 'b', 'b', 'b', 'c']
    const indices = Int32Array.from([0, 1, 2, 2, 3, 5])
    const r = topKGenreAgreement({ indices, queries: 2, k: 3, queryGenres: ['a', 'b'], libraryGenres })
    expect(Array.from(r.perQuery)).toEqual([2 / 3, 2 / 3])
    expect(r.precision).toBeCloseTo(2 / 3, 15)
    expect(r.hitRate).toBe(1)
    expect(r.chancePrecision).toBeCloseTo((2 / 6 + 3 / 6) / 2, 15)
    const top1 = topKGenreAgreement({ indices, queries: 2, k: 3, topK: 1, queryGenres: ['a', 'c'], libraryGenres })
    expect(Array.from(top1.perQuery)).toEqual([1, 0])
    expect(top1.perGenre.map((g) => g.genre)).toEqual(['a', 'c'])
  })

  it('leave-one-genre-out hands each fold the other genres and assembles held-out predictions', async () => {
    const n = 30
    const d = 8
    const T = randn(n * d, 11)
    const genres = Array.from({ length: n }, (_, i) => ['blues', 'jazz', 'rock'][i % 3])
    const seen: string[] = []
    const r = await leaveOneGenreOut({
      sessions,
      genres,
      truth: T,
      n,
      d,
      train: (fold) => {
        seen.push(fold.genre)
        for (const i of fold.trainIndex) expect(genres[i]).not.toBe(fold.genre)
        for (const i of fold.testIndex) expect(genres[i]).toBe(fold.genre)
        expect(fold.trainIndex.length + fold.testIndex.length).toBe(n)
        // a "decoder" that returns a noisy copy of the held-out truth
        const out = new Float64Array(fold.testIndex.length * d)
        fold.testIndex.forEach((row, t) => {
          for (let j = 0; j < d; j++) out[t * d + j] = T[row * d + j] + 0.3 * randn(1, row * d + j)[0]
        })
        return out
      }
    })
    expect(seen).toEqual(['blues', 'jazz', 'rock'])
    expect(r.folds.map((f) => f.n)).toEqual([10, 10, 10])
    for (const f of r.folds) expect(f.withinGenre).toBeGreaterThan(0.8)
    expect(r.overall.accuracy).toBeGreaterThan(0.8)
    expect(r.perDimension.mean).toBeGreaterThan(0.8)
    await expect(
      leaveOneGenreOut({ sessions, genres, truth: T, n, d, train: () => new Float64Array(3) })
    ).rejects.toThrow(/held-out genre blues/)
  })
})

describe('analytic p-values of Pearson r', () => {
  it('incomplete beta and t tail at known values', () => {
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14)
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 12)
    expect(regularizedIncompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 15)
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 15)
    // I_x(a, 1) = x^a
    expect(regularizedIncompleteBeta(0.7, 3.5, 1)).toBeCloseTo(0.7 ** 3.5, 14)
    // t with 1 df is Cauchy: sf(t) = 1/2 - atan(t)/pi
    for (const t of [-3, -0.5, 0, 0.2, 1, 7, 1e3])
      expect(studentTSf(t, 1)).toBeCloseTo(0.5 - Math.atan(t) / Math.PI, 14)
    expect(pearsonPValue(1, 10)).toBe(0)
    expect(pearsonPValue(-1, 10)).toBe(1)
    expect(pearsonPValue(0, 10)).toBe(0.5)
    expect(() => pearsonPValue(0.5, 2)).toThrow(/n >= 3/)
  })

  it.skipIf(!hasScipy)('p-values match scipy.stats.pearsonr and scipy.stats.t.sf', () => {
    const cases: { x: number[]; y: number[] }[] = []
    const r = rng(3)
    for (const n of [3, 5, 12, 40, 200, 3000]) {
      for (const rho of [-0.9, -0.1, 0, 0.05, 0.3, 0.8, 0.99]) {
        const x = Array.from({ length: n }, () => gauss(r))
        const y = x.map((v) => rho * v + Math.sqrt(1 - rho * rho) * gauss(r))
        cases.push({ x, y })
      }
    }
    const ref = py<
      { r?: number; n?: number; g?: number; l?: number; two?: number; t: number; df?: number; tsf: number }[]
    >(
      `
import json, sys, numpy as np
from scipy import stats
cases = json.load(sys.stdin)
out = []
for c in cases:
    x = np.array(c["x"]); y = np.array(c["y"])
    g = stats.pearsonr(x, y, alternative="greater"); l = stats.pearsonr(x, y, alternative="less"); t2 = stats.pearsonr(x, y)
    n = len(x); r = float(g.statistic); t = r * np.sqrt((n - 2) / (1 - r * r))
    out.append({"r": r, "n": n, "g": float(g.pvalue), "l": float(l.pvalue), "two": float(t2.pvalue), "t": float(t), "tsf": float(stats.t.sf(t, n - 2))})
for t, df in [(0.1, 1), (2.5, 3), (10.0, 7), (40.0, 50), (-3.0, 12), (1.7, 2998), (80.0, 998), (200.0, 5000)]:
    out.append({"t": t, "df": df, "tsf": float(stats.t.sf(t, df))})
print(json.dumps(out))`,
      cases
    )
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300)
    let worst = 0
    for (const c of ref) {
      if (c.r !== undefined) {
        const n = c.n!
        for (const [alt, want] of [
          ['greater', c.g!],
          ['less', c.l!],
          ['two-sided', c.two!]
        ] as const) {
          const got = pearsonPValue(c.r, n, alt)
          // scipy computes pearsonr's p from a beta distribution; agreement to ~1e-9 relative
          if (want > 1e-290) worst = Math.max(worst, rel(got, want))
          expect(rel(got, want)).toBeLessThan(1e-8)
        }
        expect(rel(studentTSf(c.t, n - 2), c.tsf)).toBeLessThan(1e-8)
      } else {
        expect(rel(studentTSf(c.t, c.df!), c.tsf)).toBeLessThan(1e-9)
      }
    }
    expect(worst).toBeLessThan(1e-8)
    expect(Array.from(pearsonPValues([0.3, NaN], 20)).map((v) => Number.isNaN(v))).toEqual([false, true])
  })
})

describe('Benjamini-Hochberg FDR', () => {
  it('hand-checked q-values', () => {
    const r = benjaminiHochberg([0.01, 0.04, 0.03, 0.5], 0.05)
    // sorted: .01*4/1=.04, .03*4/2=.06, .04*4/3=.0533, .5 -> monotone: .04, .0533, .0533, .5
    expect(r.q[0]).toBeCloseTo(0.04, 15)
    expect(r.q[2]).toBeCloseTo(0.16 / 3, 15)
    expect(r.q[1]).toBeCloseTo(0.16 / 3, 15)
    expect(r.q[3]).toBeCloseTo(0.5, 15)
    expect(Array.from(r.significant)).toEqual([1, 0, 0, 0])
    const withNaN = benjaminiHochberg([NaN, 0.01, 0.02])
    expect(withNaN.tests).toBe(2)
    expect(withNaN.q[0]).toBeNaN()
    expect(withNaN.q[2]).toBeCloseTo(0.02, 15)
    expect(() => benjaminiHochberg([1.5])).toThrow(/outside/)
  })

  it.skipIf(!hasNumpy)('matches a numpy reference of BH (with ties) on 5000 p-values', () => {
    const r = rng(8)
    const p = Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? r() * 1e-4 : i % 7 === 0 ? 0.02 : r()))
    const ours = benjaminiHochberg(p, 0.1)
    const ref = py(
      `
import json, sys, numpy as np
p = np.array(json.load(sys.stdin)); m = len(p)
o = np.argsort(p, kind="stable"); ranked = p[o] * m / np.arange(1, m + 1)
q = np.minimum.accumulate(ranked[::-1])[::-1]; q = np.minimum(q, 1)
out = np.empty(m); out[o] = q
below = np.nonzero(np.sort(p) <= np.arange(1, m + 1) * 0.1 / m)[0]
k = below[-1] + 1 if len(below) else 0
mask = p <= (np.sort(p)[k - 1] if k else -1)
print(json.dumps({"q": out.tolist(), "mask": mask.astype(int).tolist()}))`,
      p
    )
    for (let i = 0; i < p.length; i++) expect(Math.abs(ours.q[i] - ref.q[i])).toBeLessThan(1e-15)
    expect(Array.from(ours.significant)).toEqual(ref.mask)
    expect(ours.count).toBeGreaterThan(400)
  })
})

describe('clip permutation test', () => {
  const clipsOf = (nClips: number, len: number) =>
    Int32Array.from({ length: nClips * len }, (_, i) => Math.floor(i / len))

  it('null data gives roughly uniform p; strong signal gives the smallest possible p', async () => {
    const nClips = 40
    const len = 5
    const n = nClips * len
    const V = 400
    const measured = randn(n * V, 21)
    const predicted = randn(n * V, 22)
    for (let v = 0; v < 50; v++)
      for (let i = 0; i < n; i++) predicted[i * V + v] = measured[i * V + v] + 0.5 * predicted[i * V + v]
    const fractions: number[] = []
    const r = await clipPermutationTest({
      predicted: Float32Array.from(predicted),
      measured: Float32Array.from(measured),
      n,
      voxels: V,
      clips: clipsOf(nClips, len),
      permutations: 199,
      seed: 4,
      onProgress: (f) => fractions.push(f)
    })
    expect(fractions[fractions.length - 1]).toBe(1)
    expect(r.clips).toBe(40)
    expect(r.exchangeableClips).toBe(40)
    for (let v = 0; v < 50; v++) expect(r.p[v]).toBe(1 / 200)
    const nullP = Array.from(r.p.subarray(50))
    const mean = nullP.reduce((a, b) => a + b, 0) / nullP.length
    expect(mean).toBeGreaterThan(0.45)
    expect(mean).toBeLessThan(0.55)
    // roughly uniform: each decile holds 35 +- ~18 of 350
    for (let k = 0; k < 10; k++) {
      const c = nullP.filter((p) => p > k / 10 && p <= (k + 1) / 10).length
      expect(c).toBeGreaterThan(15)
      expect(c).toBeLessThan(60)
    }
    // the same seed gives the same p-values
    const again = await clipPermutationTest({
      predicted: Float32Array.from(predicted),
      measured: Float32Array.from(measured),
      n,
      voxels: V,
      clips: clipsOf(nClips, len),
      permutations: 199,
      seed: 4
    })
    expect(Array.from(again.p)).toEqual(Array.from(r.p))
  })

  it('moves whole clips, and only among clips of the same length', async () => {
    // 6 clips of 3 rows, prediction = truth: only clip orders that put every clip back in place reach r = 1
    const nClips = 6
    const len = 3
    const n = nClips * len
    const clipValue = [3, -1, 4, 1, -5, 9]
    const measured = Float64Array.from({ length: n }, (_, i) => clipValue[Math.floor(i / len)] + (i % len) * 0.01)
    const predicted = Float64Array.from(measured)
    const r = await clipPermutationTest({
      predicted,
      measured,
      n,
      voxels: 1,
      clips: clipsOf(nClips, len),
      permutations: 719,
      seed: 1
    })
    expect(r.r[0]).toBeCloseTo(1, 7) // columns are standardised in float32
    // only the identity permutation (1 of 720 clip orders) reaches r = 1: p ~ 1/720 + 1/720
    expect(r.p[0]).toBeLessThan(0.02)
    // clips of unequal length are only exchanged with clips of their own length
    const uneven = Int32Array.from([0, 0, 1, 1, 2, 3, 3, 4])
    const u = await clipPermutationTest({
      predicted: randn(8 * 2, 3),
      measured: randn(8 * 2, 4),
      n: 8,
      voxels: 2,
      clips: uneven,
      permutations: 10
    })
    expect(u.clips).toBe(5)
    expect(u.exchangeableClips).toBe(5) // clips 0, 1, 3 (2 rows) trade places, and so do 2 and 4 (1 row)
  })

  it('the rows and clips strategies agree (same shuffles), with clips of mixed lengths', async () => {
    const lengths = [4, 4, 4, 2, 4, 2, 2, 4, 1, 4, 4, 2]
    const clips = Int32Array.from(lengths.flatMap((len, c) => Array.from({ length: len }, () => c)))
    const n = clips.length
    const V = 37
    const measured = randn(n * V, 31)
    const predicted = Float64Array.from(randn(n * V, 32), (v, i) => v + (i % V < 10 ? measured[i] : 0))
    const run = (strategy: 'rows' | 'clips') =>
      clipPermutationTest({ predicted, measured, n, voxels: V, clips, permutations: 300, seed: 9, strategy })
    const [a, b] = [await run('rows'), await run('clips')]
    expect(a.strategy).toBe('rows')
    expect(b.strategy).toBe('clips')
    for (let v = 0; v < V; v++) expect(b.r[v]).toBeCloseTo(a.r[v], 12)
    expect(Array.from(b.p)).toEqual(Array.from(a.p))
    expect(a.exchangeableClips).toBe(11) // the single 1-row clip never moves
    // 'auto' picks clips here: building G (sum of g² L) + 300 x 12 is far below 300 x 36
    expect((await clipPermutationTest({ predicted, measured, n, voxels: V, clips, permutations: 300 })).strategy).toBe(
      'clips'
    )
    expect((await clipPermutationTest({ predicted, measured, n, voxels: V, permutations: 300 })).strategy).toBe('rows')
  })

  it('can be cancelled and rejects bad input', async () => {
    let polls = 0
    await expect(
      clipPermutationTest({
        predicted: randn(100, 1),
        measured: randn(100, 2),
        n: 20,
        voxels: 5,
        permutations: 1000,
        shouldStop: () => ++polls > 3
      })
    ).rejects.toBeInstanceOf(PermutationCancelled)
    polls = 0
    await expect(
      clipPermutationTest({
        predicted: randn(100, 1),
        measured: randn(100, 2),
        n: 20,
        voxels: 5,
        clips: Int32Array.from({ length: 20 }, (_, i) => i >> 2),
        permutations: 1000,
        strategy: 'clips',
        shouldStop: () => ++polls > 3
      })
    ).rejects.toBeInstanceOf(PermutationCancelled)
    await expect(
      clipPermutationTest({
        predicted: randn(10, 1),
        measured: randn(10, 2),
        n: 5,
        voxels: 2,
        clips: new Int32Array(4)
      })
    ).rejects.toThrow(/4 labels/)
  })
})
