import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNpy } from '../../src-main/formats/npy'
import { SessionManager } from '../../src-main/onnx/sessions'
import {
  defaultAlphas,
  loadRidgeModel,
  makeFolds,
  RidgeCancelled,
  ridgeFit,
  ridgePredict,
  saveRidgeModel,
  type RidgeFitResult
} from '../../src-main/ridge'

const REF = resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'ridge_ref.py')
const hasRef = existsSync(REF) && spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0

function py(code: string): void {
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
}

function runRef(dir: string, args: string[]): void {
  const r = spawnSync(
    'python3',
    [REF, 'fit', '--x', join(dir, 'X.npy'), '--y', join(dir, 'Y.npy'), '--out', join(dir, 'ref'), ...args],
    {
      encoding: 'utf8'
    }
  )
  if (r.status !== 0) throw new Error(`ridge_ref.py failed: ${r.stderr}`)
}

interface Problem {
  dir: string
  x: Float32Array
  y: Float32Array
  n: number
  p: number
  t: number
}

/** A problem written by numpy: low-rank signal, a constant (zero-variance) target, a pure-noise target. */
function makeProblem(
  root: string,
  name: string,
  n: number,
  p: number,
  t: number,
  seed: number,
  groups?: number
): Problem {
  const dir = join(root, name)
  py(`
import numpy as np, os
os.makedirs(${JSON.stringify(dir)}, exist_ok=True)
rng = np.random.default_rng(${seed})
Z = rng.standard_normal((${n}, 4))
X = Z @ rng.standard_normal((4, ${p})) * 0.5 + rng.standard_normal((${n}, ${p})) + 3.0
Y = Z @ rng.standard_normal((4, ${t})) * np.linspace(0.05, 2, ${t}) + rng.standard_normal((${n}, ${t})) + 1.5
Y[:, 0] = 2.0                        # zero variance
Y[:, 1] = rng.standard_normal(${n})  # pure noise
np.save(${JSON.stringify(join(dir, 'X.npy'))}, X.astype(np.float32))
np.save(${JSON.stringify(join(dir, 'Y.npy'))}, Y.astype(np.float32))
${groups ? `np.save(${JSON.stringify(join(dir, 'G.npy'))}, (np.arange(${n}) * ${groups} // ${n}).astype(np.int32)[rng.permutation(${n})])` : ''}
`)
  const x = readNpy(join(dir, 'X.npy')).data as Float32Array
  const y = readNpy(join(dir, 'Y.npy')).data as Float32Array
  return { dir, x, y, n, p, t }
}

/** max over targets of max_i |w_i - w_ref_i| / max_i |w_ref_i| (targets with all-zero weights compare absolutely). */
function weightError(w: Float32Array, ref: Float32Array, p: number, t: number): number {
  let worst = 0
  for (let j = 0; j < t; j++) {
    let scale = 0
    let diff = 0
    for (let i = 0; i < p; i++) {
      scale = Math.max(scale, Math.abs(ref[i * t + j]))
      diff = Math.max(diff, Math.abs(w[i * t + j] - ref[i * t + j]))
    }
    worst = Math.max(worst, scale > 0 ? diff / scale : diff)
  }
  return worst
}

function compare(
  prob: Problem,
  fit: RidgeFitResult
): { w: number; cv: number; b: number; alphas: number[]; refAlphas: number[] } {
  const ref = join(prob.dir, 'ref')
  const w = readNpy(join(ref, 'weights.npy')).data as Float32Array
  const b = readNpy(join(ref, 'intercept.npy')).data as Float32Array
  const a = readNpy(join(ref, 'alphas.npy')).data as Float64Array
  const s = readNpy(join(ref, 'cv_scores.npy')).data as Float64Array
  let cv = 0
  for (let i = 0; i < s.length; i++) cv = Math.max(cv, Math.abs(s[i] - fit.cvScores[i]))
  let bErr = 0
  for (let j = 0; j < prob.t; j++)
    bErr = Math.max(bErr, Math.abs(b[j] - fit.intercept[j]) / Math.max(1, Math.abs(b[j])))
  return {
    w: weightError(fit.weights, w, prob.p, prob.t),
    cv,
    b: bErr,
    alphas: Array.from(fit.bestAlphas),
    refAlphas: Array.from(a)
  }
}

let root: string
let sessions: SessionManager

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'b2m-ridge-'))
  sessions = new SessionManager({ preferred: ['cpu'] })
})
afterAll(async () => {
  await sessions.dispose()
  rmSync(root, { recursive: true, force: true })
})

describe('folds', () => {
  it('follow numpy.array_split', () => {
    const f = makeFolds(11, 3)
    expect(f.map((x) => Array.from(x.test))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10]
    ])
    expect(Array.from(f[1].train)).toEqual([0, 1, 2, 3, 8, 9, 10])
  })
  it('leave one group out over sorted labels', () => {
    const f = makeFolds(6, 5, Int32Array.from([3, 1, 3, 2, 1, 2]))
    expect(f.map((x) => x.group)).toEqual([1, 2, 3])
    expect(Array.from(f[0].test)).toEqual([1, 4])
  })
  it('default alpha grid is logspace(-2, 10, 25)', () => {
    const a = defaultAlphas()
    expect(a.length).toBe(25)
    expect(a[0]).toBeCloseTo(0.01, 15)
    expect(a[24] / 1e10).toBeCloseTo(1, 12)
    expect(a[12] / 1e4).toBeCloseTo(1, 12)
  })
})

describe.skipIf(!hasRef)('ridge matches ridge_ref.py', () => {
  it('kernel form (n <= p), 5 folds, default alphas', async () => {
    const prob = makeProblem(root, 'kernel', 120, 300, 7, 1)
    runRef(prob.dir, [])
    const fit = await ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], { sessions })
    expect(fit.form).toBe('kernel')
    const c = compare(prob, fit)
    expect(c.alphas).toEqual(c.refAlphas)
    expect(c.cv).toBeLessThan(1e-5)
    expect(c.w).toBeLessThan(1e-4)
    expect(c.b).toBeLessThan(1e-4)
    // the zero-variance target scores 0 everywhere and goes through the float64 near-tie refinement
    // (whether the pure-noise target's flat curve also does depends on rounding, so it is not counted)
    for (let a = 0; a < fit.alphas.length; a++) expect(fit.cvScores[a * prob.t]).toBe(0)
    expect(fit.refinedTargets).toBeGreaterThanOrEqual(1)
    expect(fit.refinedTargets).toBeLessThan(prob.t)
    // the Gram form gives the same model on the same data
    const gram = await ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], { sessions, form: 'gram' })
    const g = compare(prob, gram)
    expect(g.alphas).toEqual(g.refAlphas)
    // forced onto p > n the Gram matrix is rank-deficient, so CV scores at the smallest alphas carry
    // float32 rounding; the chosen alphas and the weights still agree
    expect(g.cv).toBeLessThan(5e-3)
    expect(g.w).toBeLessThan(1e-4)
  }, 120_000)

  it('reports progress and stops when asked', async () => {
    const prob = makeProblem(root, 'stop', 60, 30, 3, 5)
    const seen: number[] = []
    await ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], { sessions, onProgress: (f) => seen.push(f) })
    expect(seen[0]).toBe(0)
    expect(seen[seen.length - 1]).toBe(1)
    let calls = 0
    await expect(
      ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], { sessions, shouldStop: () => ++calls > 2 })
    ).rejects.toBeInstanceOf(RidgeCancelled)
  }, 120_000)

  it('rejects bad input with specific errors', async () => {
    const x = new Float32Array(20)
    await expect(ridgeFit(x, [10, 2], new Float32Array(9), [9, 1], { sessions })).rejects.toThrow(
      /X has 10 rows but Y has 9/
    )
    await expect(ridgeFit(x, [10, 2], new Float32Array(10), [10, 1], { sessions, alphas: [1, -1] })).rejects.toThrow(
      /positive/
    )
    await expect(ridgeFit(x, [10, 2], new Float32Array(10), [10, 1], { sessions, folds: 11 })).rejects.toThrow(
      /cannot exceed/
    )
    const bad = new Float32Array(20)
    bad[3] = NaN
    await expect(ridgeFit(bad, [10, 2], new Float32Array(10), [10, 1], { sessions })).rejects.toThrow(/non-finite/)
  })

  it('gram form (p < n), 4 folds, custom alphas, small target batches', async () => {
    const prob = makeProblem(root, 'gram', 200, 40, 9, 2)
    runRef(prob.dir, ['--folds', '4', '--alphas', '0.1,1,10,100,1000,10000,100000'])
    const fit = await ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], {
      sessions,
      folds: 4,
      alphas: [0.1, 1, 10, 100, 1000, 10000, 100000],
      targetBatch: 4
    })
    expect(fit.form).toBe('gram')
    const c = compare(prob, fit)
    expect(c.alphas).toEqual(c.refAlphas)
    expect(c.cv).toBeLessThan(1e-5)
    expect(c.w).toBeLessThan(1e-4)
    expect(c.b).toBeLessThan(1e-4)
  }, 120_000)

  it('leave-one-group-out in both forms', async () => {
    for (const [name, n, p] of [
      ['groups-kernel', 90, 150],
      ['groups-gram', 150, 30]
    ] as const) {
      const prob = makeProblem(root, name, n, p, 5, 3, 4)
      runRef(prob.dir, ['--groups', join(prob.dir, 'G.npy')])
      const groups = readNpy(join(prob.dir, 'G.npy')).data as Int32Array
      const fit = await ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], { sessions, groups })
      expect(fit.nFolds).toBe(4)
      const c = compare(prob, fit)
      expect(c.alphas).toEqual(c.refAlphas)
      expect(c.cv).toBeLessThan(1e-5)
      expect(c.w).toBeLessThan(1e-4)
    }
  }, 120_000)

  it('warns when chosen alphas sit on the grid edge, predicts, saves and loads', async () => {
    const prob = makeProblem(root, 'edge', 80, 200, 4, 4)
    const fit = await ridgeFit(prob.x, [prob.n, prob.p], prob.y, [prob.n, prob.t], { sessions, alphas: [1e4, 1e5] })
    expect(fit.warnings.length).toBeGreaterThan(0)
    expect(fit.warnings.join(' ')).toMatch(/of 4 targets chose the (smallest|largest) alpha/)
    const dir = join(root, 'model')
    saveRidgeModel(dir, fit, { seed: 4 })
    const m = loadRidgeModel(dir)
    expect(Array.from(m.weights)).toEqual(Array.from(fit.weights))
    expect(m.info.alphaGrid).toEqual([1e4, 1e5])
    const pred = await ridgePredict(m, prob.x, [prob.n, prob.p], sessions)
    // check one entry by hand
    let s = m.intercept[2]
    for (let i = 0; i < prob.p; i++) s += prob.x[5 * prob.p + i] * m.weights[i * prob.t + 2]
    expect(pred[5 * prob.t + 2]).toBeCloseTo(s, 3)
  }, 120_000)
})
