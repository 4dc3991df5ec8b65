import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { CosineIndex } from '../../src-main/decode/retrieval'
import { TopK } from '../../src-main/decode/retrieval-topk'
import { SessionManager } from '../../src-main/onnx/sessions'
import { uniform01 } from '../helpers/random'

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0

function py<T = Record<string, number[]>>(code: string, input: unknown): T {
  const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

const rng = uniform01

const sessions = new SessionManager({ preferred: ['cpu'] })
afterAll(() => sessions.dispose())

/** numpy reference: float64 cosine scores, stable argsort of -score (ties -> lower index), first k. */
const NUMPY_TOPK = `
import json, sys, numpy as np
a = json.load(sys.stdin)
L = np.array(a["L"], dtype=np.float64).reshape(a["N"], a["d"]); Q = np.array(a["Q"], dtype=np.float64).reshape(a["q"], a["d"])
def unit(M):
    n = np.linalg.norm(M, axis=1, keepdims=True); return np.divide(M, n, out=np.zeros_like(M), where=n > 0)
S = unit(Q) @ unit(L).T
I = np.argsort(-S, axis=1, kind="stable")[:, : a["k"]]
print(json.dumps({"I": I.ravel().tolist(), "S": np.take_along_axis(S, I, 1).ravel().tolist()}))`

describe('TopK heap', () => {
  it('keeps the best k with ties to the lower index, best first', () => {
    const h = new TopK(3)
    h.reset()
    const scores = [0.5, 0.9, 0.5, 0.9, 0.1, 0.5, 0.95]
    scores.forEach((s, i) => h.push(s, i))
    const idx = new Int32Array(3)
    const sc = new Float32Array(3)
    expect(h.drain(idx, sc, 0)).toBe(3)
    expect(Array.from(idx)).toEqual([6, 1, 3])
  })
})

describe('exact cosine retrieval', () => {
  it.skipIf(!hasNumpy)('matches brute force (numpy argsort) for js and gemm, across chunk boundaries', async () => {
    const N = 1000
    const d = 24
    const q = 7
    const r = rng(1)
    const L = Float32Array.from({ length: N * d }, () => r() - 0.5)
    L.fill(0, 5 * d, 6 * d) // an all-zero library row scores 0
    const Q = Float32Array.from({ length: q * d }, () => r() - 0.5)
    const k = 15
    const ref = py(NUMPY_TOPK, { L: Array.from(L), Q: Array.from(Q), N, d, q, k })
    // block sizes straddle the library size: 1000 = 3 x 333 + 1; score bounds force query batches of 1 and 3
    for (const blockRows of [1, 333, 999, 1000, 5000, undefined]) {
      const index = CosineIndex.fromLibrary(L, N, d, { blockRows })
      expect(index.zeroRows).toBe(1)
      for (let i = 0; i < N; i += 111) {
        const row = index.row(i)
        const norm = Math.hypot(...Array.from(L.subarray(i * d, (i + 1) * d)))
        for (let j = 0; j < d; j++) expect(row[j]).toBeCloseTo(L[i * d + j] / norm, 6)
      }
      for (const v of [
        { method: 'js' as const },
        { method: 'gemm' as const },
        { method: 'gemm' as const, scoreBlock: 1 },
        { method: 'gemm' as const, scoreBlock: 3 * index.blockRows }
      ]) {
        const res = await index.query(Q, q, { k, sessions, ...v })
        expect(res.method).toBe(v.method)
        expect(Array.from(res.indices), JSON.stringify({ blockRows, ...v })).toEqual(ref.I)
        for (let i = 0; i < q * k; i++) expect(Math.abs(res.scores[i] - ref.S[i])).toBeLessThan(2e-6)
      }
    }
    const index = CosineIndex.fromLibrary(L, N, d)
    // one query at a time gives the same rows as the batch
    const one = await index.query(Q.subarray(3 * d, 4 * d), 1, { k, sessions })
    expect(Array.from(one.indices)).toEqual(ref.I.slice(3 * k, 4 * k))
  })

  it.skipIf(!hasNumpy)('exact ties order by library index (±1 vectors: every score is exact in float32)', async () => {
    const N = 300
    const d = 16
    const q = 5
    const r = rng(7)
    const sign = () => (r() < 0.5 ? -1 : 1)
    const L = Float32Array.from({ length: N * d }, sign)
    for (let i = 0; i < 20; i++) L.copyWithin((100 + i) * d, i * d, (i + 1) * d) // duplicated rows
    const Q = Float32Array.from({ length: q * d }, sign)
    Q.set(L.subarray(0, d), 0) // a query equal to rows 0 and 100
    for (const k of [1, 10, 299, 300, 301, 1000]) {
      const ref = py(NUMPY_TOPK, { L: Array.from(L), Q: Array.from(Q), N, d, q, k: Math.min(k, N) })
      for (const blockRows of [undefined, 7, 100]) {
        const index = CosineIndex.fromLibrary(L, N, d, { blockRows })
        for (const method of ['js', 'gemm'] as const) {
          const res = await index.query(Q, q, { k, sessions, method })
          expect(res.k).toBe(Math.min(k, N))
          expect(Array.from(res.indices), `${method} k=${k} blockRows=${blockRows}`).toEqual(ref.I)
          expect(Array.from(res.scores)).toEqual(ref.S.map((s) => Math.fround(s)))
        }
      }
    }
    const res = await CosineIndex.fromLibrary(L, N, d).query(Q.subarray(0, d), 1, { k: 2, sessions })
    expect(Array.from(res.indices)).toEqual([0, 100])
    expect(Array.from(res.scores)).toEqual([1, 1])
  })

  it('handles k > N, empty query batches, in-place building and bad input', async () => {
    const L = Float32Array.from([3, 4, 0, 0, -1, 0])
    const index = CosineIndex.fromLibrary(L, 3, 2, { inPlace: true })
    expect(index.data).toBe(L)
    // one block of 3 rows, stored dimension-major
    expect(Array.from(L)).toEqual([0.6000000238418579, 0, -1, 0.800000011920929, 0, 0])
    expect(Array.from(index.row(0))).toEqual([0.6000000238418579, 0.800000011920929])
    const res = await index.query(Float32Array.from([1, 0]), 1, { k: 10 })
    expect(res.method).toBe('js') // no SessionManager
    expect(res.k).toBe(3)
    expect(Array.from(res.indices)).toEqual([0, 1, 2])
    expect((await index.query(new Float32Array(0), 0, { k: 2, sessions })).indices.length).toBe(0)
    await expect(index.query(Float32Array.from([1, 0]), 1, { k: 0 })).rejects.toThrow(/k must be/)
    await expect(index.query(Float32Array.from([1, 0]), 1, { k: 1, method: 'gemm' })).rejects.toThrow(/SessionManager/)
    await expect(index.query(Float32Array.from([1, NaN]), 1, { k: 1 })).rejects.toThrow(/row 0 holds a non-finite/)
    expect(() => CosineIndex.fromLibrary(new Float32Array(5), 3, 2)).toThrow(/needs 6/)
  })
})
