import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readNpy, writeNpy } from '../../src-main/formats/npy'
import { SessionManager } from '../../src-main/onnx/sessions'
import { eigh } from '../../src-main/ridge/eigh'
import { ridgeFit } from '../../src-main/ridge/fit'
import { envWithoutOpenblasOverrides, python } from './python'

const REF = resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'ridge_ref.py')

interface Shape {
  name: string
  n: number
  p: number
  t: number
}

/** The shapes; B2M_BENCH_RIDGE_SCALE (0 < s <= 1) shrinks p and t for a quick run. */
function shapes(): Shape[] {
  const s = Math.min(1, Math.max(0.001, Number(process.env.B2M_BENCH_RIDGE_SCALE ?? 1) || 1))
  const sc = (v: number): number => Math.max(8, Math.round(v * s))
  return [
    { name: 'a: decoder 1920 x 60000 -> 128', n: 1920, p: sc(60000), t: 128 },
    { name: 'b: encoding 1920 x 128 -> 60000', n: 1920, p: 128, t: sc(60000) },
    { name: 'c: 3600 x 20000 -> 2000', n: 3600, p: sc(20000), t: sc(2000) }
  ]
}

function runPy(args: string[], env: Record<string, string | undefined> = process.env): Record<string, unknown> {
  const r = spawnSync('python3', args, { encoding: 'utf8', env: env as NodeJS.ProcessEnv, maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`python3 ${args[1]} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
  const lines = r.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}

async function benchShape(sessions: SessionManager, shape: Shape): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'b2m-bench-ridge-'))
  try {
    runPy([REF, 'make', '--n', `${shape.n}`, '--p', `${shape.p}`, '--t', `${shape.t}`, '--seed', '0', '--out', dir])
    let ours: Record<string, unknown>
    let weights: Float32Array
    let bestAlphas: Float64Array
    {
      const x = readNpy(join(dir, 'X.npy')).data as Float32Array
      const y = readNpy(join(dir, 'Y.npy')).data as Float32Array
      const t0 = performance.now()
      const fit = await ridgeFit(x, [shape.n, shape.p], y, [shape.n, shape.t], { sessions })
      const seconds = (performance.now() - t0) / 1000
      weights = fit.weights
      bestAlphas = fit.bestAlphas
      let best = 0
      for (let j = 0; j < shape.t; j++) {
        let m = -Infinity
        for (let a = 0; a < fit.alphas.length; a++) m = Math.max(m, fit.cvScores[a * shape.t + j])
        best += m
      }
      ours = { seconds, form: fit.form, mean_best_cv_r: best / shape.t, warnings: fit.warnings }
    }
    const out = join(dir, 'ref')
    const fitArgs = [REF, 'fit', '--x', join(dir, 'X.npy'), '--y', join(dir, 'Y.npy'), '--out', out]
    const numpy = runPy(fitArgs)
    // agreement with the reference on the same problem
    const refW = readNpy(join(out, 'weights.npy')).data as Float32Array
    const refA = readNpy(join(out, 'alphas.npy')).data as Float64Array
    let sameAlpha = 0
    for (let j = 0; j < shape.t; j++) if (refA[j] === bestAlphas[j]) sameAlpha++
    let worst = 0
    for (let j = 0; j < shape.t; j++) {
      let scale = 0
      let diff = 0
      for (let i = 0; i < shape.p; i++) {
        scale = Math.max(scale, Math.abs(refW[i * shape.t + j]))
        diff = Math.max(diff, Math.abs(weights[i * shape.t + j] - refW[i * shape.t + j]))
      }
      worst = Math.max(worst, scale > 0 ? diff / scale : diff)
    }
    const numpyFree = runPy(fitArgs, envWithoutOpenblasOverrides())
    return {
      shape: shape.name,
      n: shape.n,
      p: shape.p,
      t: shape.t,
      b2m: ours,
      numpy,
      numpyWithoutOpenblasOverrides: numpyFree,
      ratioVsNumpy: (numpy.seconds as number) / (ours.seconds as number),
      ratioVsNumpyWithoutOverrides: (numpyFree.seconds as number) / (ours.seconds as number),
      agreement: { sameAlphaFraction: sameAlpha / shape.t, maxWeightErrorRelToTargetMax: worst }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const NUMPY_EIGH = (file: string): string => `
import json, time, numpy as np
a = np.load(${JSON.stringify(file)})
np.linalg.eigh(a[:64, :64])
t = time.perf_counter(); w, v = np.linalg.eigh(a); dt = time.perf_counter() - t
print(json.dumps({"seconds": dt}))
`

async function benchEigh(sessions: SessionManager): Promise<Record<string, unknown>[]> {
  const sizes = (process.env.B2M_BENCH_EIGH_SIZES ?? '1000,2000,3600')
    .split(',')
    .map(Number)
    .filter((v) => v > 0)
  const rows: Record<string, unknown>[] = []
  const dir = mkdtempSync(join(tmpdir(), 'b2m-bench-eigh-'))
  try {
    for (const n of sizes) {
      // a kernel-like matrix (what the ridge engine decomposes): B Bᵀ / n + a random symmetric part
      let s = 12345 + n
      const r = (): number => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        return s / 2 ** 32 - 0.5
      }
      const a = new Float64Array(n * n)
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const v = r()
          a[i * n + j] = v
          a[j * n + i] = v
        }
      }
      const file = join(dir, `A${n}.npy`)
      writeNpy(file, { dtype: 'float64', shape: [n, n], data: a })
      let phases: Record<string, number> = {}
      const t0 = performance.now()
      await eigh(a, n, { sessions, onPhases: (p) => (phases = p) })
      const seconds = (performance.now() - t0) / 1000
      const np = python(NUMPY_EIGH(file)) as { seconds: number }
      const npFree = python(NUMPY_EIGH(file), envWithoutOpenblasOverrides()) as { seconds: number }
      rows.push({
        n,
        b2m: { seconds, phases },
        numpy: np,
        numpyWithoutOpenblasOverrides: npFree,
        ratioVsNumpy: np.seconds / seconds,
        ratioVsNumpyWithoutOverrides: npFree.seconds / seconds
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

/**
 * The ridge engine against ridge_ref.py (numpy) on the same generated problems, in the same run, plus
 * the float64 eigendecomposition against numpy.linalg.eigh. Ratios > 1 mean b2m is faster.
 */
export async function benchRidge(): Promise<Record<string, unknown>> {
  const sessions = new SessionManager({ preferred: ['cpu'] })
  try {
    const only = process.env.B2M_BENCH_RIDGE_ONLY // e.g. "eigh" or "a,c"
    const want = (k: string): boolean => !only || only.split(',').includes(k)
    const eighRows = want('eigh') ? await benchEigh(sessions) : []
    const rows = []
    for (const shape of shapes()) if (want(shape.name[0])) rows.push(await benchShape(sessions, shape))
    return {
      name: 'ridge',
      unit: 'seconds (one run each); ratio > 1 means b2m is faster',
      scale: Number(process.env.B2M_BENCH_RIDGE_SCALE ?? 1),
      eigh: eighRows,
      rows
    }
  } finally {
    await sessions.dispose()
  }
}
