import { SessionManager } from '../../src-main/onnx/sessions'
import { matmul } from '../../src-main/onnx/gemm'
import { envWithoutOpenblasOverrides, python } from './python'

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 32 - 0.5
  }
  return out
}

const NUMPY = (n: number, reps: number) => `
import json, time, numpy as np
rng = np.random.default_rng(0)
a = rng.standard_normal((${n}, ${n})).astype(np.float32); b = rng.standard_normal((${n}, ${n})).astype(np.float32)
a @ b
best = 1e9
for _ in range(${reps}):
    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
print(json.dumps({"seconds": best, "gflops": 2 * ${n}**3 / best / 1e9}))
`

/** float32 square MatMul: ONNX Runtime through the session manager vs numpy's BLAS, best of N. */
export async function benchGemm(): Promise<Record<string, unknown>> {
  const sessions = new SessionManager()
  const rows = []
  try {
    for (const n of [512, 1024, 2048]) {
      const reps = n >= 2048 ? 3 : 5
      const a = random(n * n, 1)
      const b = random(n * n, 2)
      await matmul(sessions, a, [n, n], b, [n, n])
      let best = Infinity
      for (let i = 0; i < reps; i++) {
        const t = performance.now()
        await matmul(sessions, a, [n, n], b, [n, n])
        best = Math.min(best, (performance.now() - t) / 1000)
      }
      const np = python(NUMPY(n, reps)) as { seconds: number; gflops: number }
      const npFree = python(NUMPY(n, reps), envWithoutOpenblasOverrides()) as { seconds: number; gflops: number }
      rows.push({
        n,
        b2m: { seconds: best, gflops: (2 * n ** 3) / best / 1e9 },
        numpy: np,
        numpyWithoutOpenblasOverrides: npFree,
        ratioVsNumpy: np.seconds / best
      })
    }
  } finally {
    await sessions.dispose()
  }
  return { name: 'gemm', unit: 'seconds (best of N); ratio > 1 means b2m is faster', rows }
}
