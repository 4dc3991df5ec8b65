import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNpy, writeNpy } from '../../src-main/formats/npy'
import { SessionManager } from '../../src-main/onnx/sessions'
import { eigh, eighSmall, tridiagonalEigenvalues } from '../../src-main/ridge/eigh'
import { uniformSigned } from '../helpers/random'

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0

const rng = uniformSigned

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = rng(seed)
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = r()
      a[i * n + j] = v
      a[j * n + i] = v
    }
  }
  return a
}

/** Q diag(w) Qᵀ with Q from Gram-Schmidt on random vectors: a matrix with chosen (repeated) eigenvalues. */
function withSpectrum(w: number[], seed: number): Float64Array {
  const n = w.length
  const r = rng(seed)
  const q = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(n).map(() => r())
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let s = 0
        for (let i = 0; i < n; i++) s += q[i * n + k] * v[i]
        for (let i = 0; i < n; i++) v[i] -= s * q[i * n + k]
      }
    }
    const nv = Math.hypot(...v)
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / nv
  }
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let k = 0; k < n; k++) s += q[i * n + k] * w[k] * q[j * n + k]
      a[i * n + j] = s
    }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]
  return a
}

/** ||A V - V diag(w)||_F / ||A||_F and ||Vᵀ V - I||_F. */
function quality(
  a: Float64Array,
  n: number,
  w: Float64Array,
  v: Float64Array
): { residual: number; orthogonality: number } {
  let res = 0
  let an = 0
  let orth = 0
  const col = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) col[i] = v[i * n + j]
    for (let i = 0; i < n; i++) {
      let s = 0
      let o = 0
      const ai = i * n
      for (let k = 0; k < n; k++) {
        s += a[ai + k] * col[k]
        o += v[k * n + i] * col[k]
      }
      res += (s - col[i] * w[j]) ** 2
      orth += (o - (i === j ? 1 : 0)) ** 2
      an += a[ai + j] ** 2
    }
  }
  return { residual: Math.sqrt(res / (an || 1)), orthogonality: Math.sqrt(orth) }
}

function numpyEigenvalues(dir: string, a: Float64Array, n: number): Float64Array {
  writeNpy(join(dir, 'A.npy'), { dtype: 'float64', shape: [n, n], data: a })
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import numpy as np; np.save('${join(dir, 'w.npy')}', np.linalg.eigvalsh(np.load('${join(dir, 'A.npy')}')))`
    ],
    {
      encoding: 'utf8'
    }
  )
  if (r.status !== 0) throw new Error(r.stderr)
  return readNpy(join(dir, 'w.npy')).data as Float64Array
}

let dir: string
let sessions: SessionManager
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-eigh-'))
  sessions = new SessionManager({ preferred: ['cpu'] })
})
afterAll(async () => {
  await sessions.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('eigh', () => {
  it.each([
    [1, {}],
    [2, {}],
    [10, {}],
    [63, {}],
    [65, {}],
    [200, { blockSize: 16, ortMatvecFrom: 50 }],
    [500, {}]
  ])(
    'n = %i: residual, orthogonality and eigenvalues vs numpy',
    async (n, opts) => {
      const a = randomSymmetric(n, n + 7)
      const { values, vectors } = await eigh(a, n, { sessions, ...opts })
      const q = quality(a, n, values, vectors)
      expect(q.residual).toBeLessThan(1e-10)
      expect(q.orthogonality).toBeLessThan(1e-10)
      for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1])
      if (hasNumpy) {
        const ref = numpyEigenvalues(dir, a, n)
        let scale = 0
        for (const v of ref) scale = Math.max(scale, Math.abs(v))
        for (let i = 0; i < n; i++) expect(Math.abs(values[i] - ref[i])).toBeLessThan(1e-12 * Math.max(1, scale))
      }
    },
    60_000
  )

  it('handles repeated eigenvalues, zero blocks and a diagonal matrix on the blocked path', async () => {
    const spectrum = Array.from({ length: 150 }, (_, i) => (i < 40 ? 1 : i < 70 ? -2 : i < 80 ? 0 : i / 10))
    for (const a of [
      withSpectrum(spectrum, 3),
      Float64Array.from({ length: 100 * 100 }, (_, k) => (k % 101 === 0 ? (k % 7) - 3 : 0))
    ]) {
      const n = Math.round(Math.sqrt(a.length))
      const { values, vectors } = await eigh(a, n, { sessions, blockSize: 16 })
      const q = quality(a, n, values, vectors)
      expect(q.residual).toBeLessThan(1e-10)
      expect(q.orthogonality).toBeLessThan(1e-10)
    }
    const z = await eigh(new Float64Array(80 * 80), 80, { sessions })
    expect(Array.from(z.values).every((v) => v === 0)).toBe(true)
    expect(quality(new Float64Array(80 * 80), 80, z.values, z.vectors).orthogonality).toBeLessThan(1e-12)
  }, 60_000)

  it('the JS path agrees with the blocked path', async () => {
    const n = 120
    const a = randomSymmetric(n, 99)
    const s = eighSmall(a, n)
    const b = await eigh(a, n, { sessions })
    for (let i = 0; i < n; i++) expect(Math.abs(s.values[i] - b.values[i])).toBeLessThan(1e-12)
  })

  it('tridiagonal QL eigenvalues', () => {
    const d = Float64Array.from([2, 2, 2, 2])
    tridiagonalEigenvalues(d, Float64Array.from([-1, -1, -1]))
    const exact = [1, 2, 3, 4].map((k) => 2 - 2 * Math.cos((k * Math.PI) / 5))
    for (let i = 0; i < 4; i++) expect(d[i]).toBeCloseTo(exact[i], 13)
  })

  it('rejects bad input', async () => {
    await expect(eigh(new Float64Array(3), 2)).rejects.toThrow(/needs 4/)
    await expect(eigh(Float64Array.from([1, NaN, NaN, 1]), 2)).rejects.toThrow(/non-finite/)
  })
})
