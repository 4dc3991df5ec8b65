import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import { matmulBenchmark } from '../../src-main/onnx/benchmark'
import { matmul, matmulModel } from '../../src-main/onnx/gemm'
import { GraphBuilder, attr } from '../../src-main/onnx/graph'
import { ProtoWriter, fieldFloat, fieldString, readFields, readPackedInt64 } from '../../src-main/onnx/protobuf'
import { SessionManager, onnxRuntimeVersion, type LogLevel } from '../../src-main/onnx/sessions'
import { uniformSigned } from '../helpers/random'

// ---------------------------------------------------------------------------------------------
// Helpers

const rng = uniformSigned

function random32(n: number, seed: number): Float32Array {
  const r = rng(seed)
  return Float32Array.from({ length: n }, r)
}

function random64(n: number, seed: number): Float64Array {
  const r = rng(seed)
  return Float64Array.from({ length: n }, r)
}

/** Plain triple loop in float64: C[m,n] = op(A) op(B), row-major. */
function refMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false
): Float64Array {
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p]
        const bv = transB ? b[j * k + p] : b[p * n + j]
        s += av * bv
      }
      c[i * n + j] = s
    }
  }
  return c
}

/** max |x - ref| / max |ref|. */
function relError(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(x.length).toBe(ref.length)
  let num = 0
  let den = 0
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(x[i] - ref[i]))
    den = Math.max(den, Math.abs(ref[i]))
  }
  return num / (den || 1)
}

async function expectB2mError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<B2mError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(B2mError)
  const b = err as B2mError
  expect(b.code).toBe(code)
  expect(b.message).toMatch(pattern)
  return b
}

const CPU_ONLY = { executionProviders: ['cpu'] }

// ---------------------------------------------------------------------------------------------

describe('protobuf wire encoder', () => {
  it('writes varints, negative int64, floats, strings and packed fields per the wire format', () => {
    const w = new ProtoWriter()
    w.varint(1, 300) // key 0x08, 300 = ac 02
    w.varint(2, -1) // 10-byte two's complement
    w.float(3, 1.5)
    w.string(4, 'hé')
    w.packedVarints(5, [1, 150, -2])
    const bytes = w.finish()
    expect([...bytes.subarray(0, 3)]).toEqual([0x08, 0xac, 0x02])
    expect([...bytes.subarray(3, 14)]).toEqual([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    const f = readFields(bytes)
    expect(f.map((x) => [x.field, x.wire])).toEqual([
      [1, 0],
      [2, 0],
      [3, 5],
      [4, 2],
      [5, 2]
    ])
    expect(f[0].varint).toBe(300n)
    expect(BigInt.asIntN(64, f[1].varint!)).toBe(-1n)
    expect(fieldFloat(f[2])).toBe(1.5)
    expect(fieldString(f[3])).toBe('hé')
    expect(readPackedInt64(f[4].bytes!)).toEqual([1n, 150n, -2n])
  })

  it('nests messages with correct lengths, including large payloads', () => {
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff)
    const inner = new ProtoWriter().string(1, 'x').bytes(2, big)
    const outer = new ProtoWriter().varint(1, 7).message(2, inner).varint(3, 9)
    const f = readFields(outer.finish())
    expect(f.map((x) => x.field)).toEqual([1, 2, 3])
    const g = readFields(f[1].bytes!)
    expect(fieldString(g[0])).toBe('x')
    expect(g[1].bytes!.length).toBe(big.length)
    expect(g[1].bytes![12345]).toBe(12345 & 0xff)
    expect(f[2].varint).toBe(9n)
  })
})

describe('GraphBuilder', () => {
  it('writes ModelProto fields by the onnx.proto3 numbers', () => {
    const g = new GraphBuilder('tiny')
    const x = g.input('X', 'float32', ['n', 4])
    g.output(g.node('Relu', [x], {}, { outputs: ['Y'] }), 'float32', ['n', 4])
    const model = readFields(g.toModel())
    const byField = new Map(model.map((f) => [f.field, f]))
    expect(byField.get(1)!.varint).toBe(8n) // ir_version
    expect(fieldString(byField.get(2)!)).toBe('brain2music-lab') // producer_name
    const opset = readFields(byField.get(8)!.bytes!) // opset_import
    expect(opset.find((f) => f.field === 2)!.varint).toBe(17n)
    const graph = readFields(byField.get(7)!.bytes!)
    expect(fieldString(graph.find((f) => f.field === 2)!)).toBe('tiny')
    const node = readFields(graph.find((f) => f.field === 1)!.bytes!)
    expect(fieldString(node.find((f) => f.field === 4)!)).toBe('Relu') // op_type
    expect(fieldString(node.find((f) => f.field === 1)!)).toBe('X') // input
    expect(fieldString(node.find((f) => f.field === 2)!)).toBe('Y') // output
    // input ValueInfo -> TypeProto.tensor_type -> shape -> dims: 'n' (dim_param) and 4 (dim_value)
    const vi = readFields(graph.find((f) => f.field === 11)!.bytes!)
    expect(fieldString(vi[0])).toBe('X')
    const tensorType = readFields(readFields(vi[1].bytes!)[0].bytes!)
    expect(tensorType[0].varint).toBe(1n) // FLOAT
    const dims = readFields(tensorType[1].bytes!).map((d) => readFields(d.bytes!)[0])
    expect(dims[0].field).toBe(2)
    expect(fieldString(dims[0])).toBe('n')
    expect(dims[1].field).toBe(1)
    expect(dims[1].varint).toBe(4n)
  })

  it('builds a MatMul graph that onnxruntime-node runs, matching a JS triple loop', async () => {
    const [m, k, n] = [37, 64, 8]
    const g = new GraphBuilder('matmul')
    const x = g.input('X', 'float32', ['n', k])
    const wData = random32(k * n, 2)
    const w = g.initializer('W', wData, [k, n])
    const y = g.node('MatMul', [x, w])
    g.output(y, 'float32', ['n', n])
    const bytes: Uint8Array = g.toModel()

    const session = await ort.InferenceSession.create(bytes, CPU_ONLY)
    expect(session.inputNames).toEqual(['X'])
    expect(session.outputNames).toEqual([y.name])
    const xData = random32(m * k, 1)
    const out = await session.run({ X: new ort.Tensor('float32', xData, [m, k]) })
    const got = out[y.name]
    expect(got.dims).toEqual([m, n])
    const err = relError(got.data as Float32Array, refMatmul(xData, wData, m, k, n))
    expect(err).toBeLessThan(1e-5)
    await session.release()
  })

  it('symbolic dims: one session serves two shapes', async () => {
    const g = new GraphBuilder('mm_sym')
    const a = g.input('A', 'float32', ['m', 'k'])
    const b = g.input('B', 'float32', ['k', 'n'])
    g.output(g.node('MatMul', [a, b], {}, { outputs: ['C'] }), 'float32', ['m', 'n'])
    const session = await ort.InferenceSession.create(g.toModel(), CPU_ONLY)
    expect(session.inputMetadata[0]).toMatchObject({ shape: ['m', 'k'] })
    for (const [m, k, n, seed] of [
      [3, 5, 7, 10],
      [50, 17, 33, 20]
    ]) {
      const A = random32(m * k, seed)
      const B = random32(k * n, seed + 1)
      const r = await session.run({ A: new ort.Tensor('float32', A, [m, k]), B: new ort.Tensor('float32', B, [k, n]) })
      expect(r.C.dims).toEqual([m, n])
      expect(relError(r.C.data as Float32Array, refMatmul(A, B, m, k, n))).toBeLessThan(1e-5)
    }
    await session.release()
  })

  it('initializer + Add + Relu graph matches JS', async () => {
    const g = new GraphBuilder('affine_relu')
    const x = g.input('X', 'float32', ['batch', 6])
    const bias = Float32Array.from([-0.5, 0.25, 0, 1, -2, 0.75])
    const b = g.initializer('bias', bias, [6])
    const scale = g.constant(Float32Array.from([2]), [])
    const y = g.node('Relu', [g.node('Mul', [g.node('Add', [x, b]), scale])])
    g.output(y, 'float32', ['batch', 6])
    const session = await ort.InferenceSession.create(g.toModel(), CPU_ONLY)
    const X = random32(4 * 6, 3)
    const r = await session.run({ X: new ort.Tensor('float32', X, [4, 6]) })
    const got = r[y.name].data as Float32Array
    const want = Array.from(X, (v, i) => Math.max(0, (v + bias[i % 6]) * 2))
    expect(relError(got, want)).toBeLessThan(1e-6)
    expect(got.some((v) => v === 0)).toBe(true) // Relu really clipped something
    await session.release()
  })

  it('attributes round trip: Gemm alpha/beta/transB with a bias C', async () => {
    const [m, k, n] = [5, 4, 3]
    const g = new GraphBuilder('gemm_attrs')
    const a = g.input('A', 'float32', [m, k])
    const B = random32(n * k, 7) // stored [n, k], used transposed
    const C = random32(n, 8) // broadcast over rows
    const y = g.node('Gemm', [a, g.initializer('B', B, [n, k]), g.initializer('C', C, [n])], {
      alpha: 2, // integral, but alpha is FLOAT by name
      beta: attr.float(-0.5),
      transB: 1
    })
    g.output(y, 'float32', [m, n])
    const session = await ort.InferenceSession.create(g.toModel(), CPU_ONLY)
    const A = random32(m * k, 9)
    const r = await session.run({ A: new ort.Tensor('float32', A, [m, k]) })
    const ab = refMatmul(A, B, m, k, n, false, true)
    const want = Array.from(ab, (v, i) => 2 * v - 0.5 * C[i % n])
    expect(relError(r[y.name].data as Float32Array, want)).toBeLessThan(1e-5)
    await session.release()
  })

  it('ints, string and tensor attributes: Transpose perm, ReduceSum keepdims, ConstantOfShape value', async () => {
    const g = new GraphBuilder('more_attrs')
    const x = g.input('X', 'float32', [2, 3, 4])
    const t = g.node('Transpose', [x], { perm: [2, 0, 1] }) // [4, 2, 3]
    const s = g.node('ReduceMax', [t], { axes: [-1], keepdims: 0 }) // opset 17: axes is an attribute
    const shape = g.initializer('shape', BigInt64Array.from([2n, 2n]), [2])
    const filled = g.node('ConstantOfShape', [shape], { value: attr.tensor(Float64Array.from([2.5]), [1]) })
    const pad = g.node('Pad', [t, g.constant(BigInt64Array.from([0n, 0n, 0n, 0n, 0n, 1n]), [6])], { mode: 'edge' })
    g.output(t, 'float32', [4, 2, 3])
    g.output(s, 'float32', [4, 2])
    g.output(filled, 'float64', [2, 2])
    g.output(pad, 'float32', [4, 2, 4])
    const session = await ort.InferenceSession.create(g.toModel(), CPU_ONLY)
    const X = random32(24, 11)
    const r = await session.run({ X: new ort.Tensor('float32', X, [2, 3, 4]) })
    const T = r[t.name].data as Float32Array
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 2; j++) for (let l = 0; l < 3; l++) expect(T[i * 6 + j * 3 + l]).toBe(X[j * 12 + l * 4 + i])
    const S = r[s.name].data as Float32Array
    for (let i = 0; i < 8; i++) expect(S[i]).toBe(Math.max(T[i * 3], T[i * 3 + 1], T[i * 3 + 2]))
    expect(Array.from(r[filled.name].data as Float64Array)).toEqual([2.5, 2.5, 2.5, 2.5])
    const P = r[pad.name].data as Float32Array
    expect(r[pad.name].dims).toEqual([4, 2, 4])
    expect(P[3]).toBe(T[2]) // edge mode repeats the last element
    await session.release()
  })

  it('rejects undefined inputs, duplicate names and bad shapes', () => {
    const g = new GraphBuilder('bad')
    const x = g.input('X', 'float32', [2])
    expect(() => g.input('X', 'float32', [2])).toThrow(/already used/)
    expect(() => g.initializer('W', new Float32Array(3), [2, 2])).toThrow(/do not fill/)
    expect(() => g.input('Z', 'float32', [-1])).toThrow(/bad dimension/)
    g.output(g.node('Add', [x, 'nope']), 'float32', [2])
    expect(() => g.toModel()).toThrow(B2mError)
    expect(() => g.toModel()).toThrow(/'nope' before it is defined/)
  })
})

describe('SessionManager', () => {
  const logs: [LogLevel, string][] = []
  let mgr: SessionManager
  let dir: string

  beforeAll(() => {
    mgr = new SessionManager({ log: (level, text) => logs.push([level, text]) })
    dir = mkdtempSync(join(tmpdir(), 'b2m-onnx-'))
  })
  afterAll(async () => {
    await mgr.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reports the onnxruntime version', () => {
    expect(onnxRuntimeVersion()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('lists available providers with a note for CUDA when it is absent', async () => {
    const { providers, notes } = await mgr.availableProviders()
    expect(providers).toContain('cpu')
    if (!providers.includes('cuda')) {
      expect(notes.some((n) => n.startsWith('CUDA: ') && n.length > 'CUDA: '.length)).toBe(true)
    }
  })

  it('falls back to CPU when CUDA is requested and logs why', async () => {
    const { providers } = await mgr.availableProviders()
    const h = await mgr.session(matmulModel('float32'), { providers: ['cuda'] })
    if (providers.includes('cuda')) {
      expect(h.provider).toBe('cuda')
    } else {
      expect(h.provider).toBe('cpu')
      expect(h.key.endsWith('|cpu')).toBe(true)
      expect(logs.some(([level, text]) => level === 'warn' && /CUDA execution provider unavailable/.test(text))).toBe(
        true
      )
    }
    expect(h.session.inputNames).toEqual(['A', 'B'])
  })

  it('probes CUDA by creating a session once and keeps the error text', async () => {
    const probeLogs: string[] = []
    const probing = new SessionManager({ alwaysProbe: true, log: (_l, t) => probeLogs.push(t) })
    const first = await probing.availableProviders()
    const second = await probing.availableProviders()
    expect(second).toEqual(first)
    expect(probeLogs.filter((t) => /execution provider cuda is/.test(t))).toHaveLength(1) // probed once
    if (!first.providers.includes('cuda')) {
      const note = first.notes.find((n) => n.startsWith('CUDA: '))!
      expect(note).toMatch(/Cuda|CUDA|shared library/) // ONNX Runtime's own words
      expect(note.includes(String.fromCharCode(27))).toBe(false)
      const h = await probing.session(matmulModel('float32'))
      expect(h.provider).toBe('cpu')
    }
    await probing.dispose()
    await expectB2mError(probing.session(matmulModel('float32')), 'failed', /disposed/)
  })

  it('fails clearly when strictly only an unavailable provider is allowed', async () => {
    const { providers } = await mgr.availableProviders()
    if (providers.includes('cuda')) return
    await expectB2mError(
      mgr.session(matmulModel('float32'), { providers: ['cuda'], strict: true }),
      'failed',
      /no usable execution provider among \[cuda\]: cuda: .+/
    )
  })

  it('caches sessions by content, and release() forgets them', async () => {
    const g = new GraphBuilder('cache')
    const x = g.input('x', 'float32', [3])
    g.output(g.node('Neg', [x]), 'float32', [3])
    const bytes = g.toModel()
    const copy = bytes.slice()
    const h1 = await mgr.session(bytes)
    const h2 = await mgr.session(copy) // same content, different array
    expect(h2.session).toBe(h1.session)
    expect(h2.key).toBe(h1.key)
    expect(h1.key).toMatch(/^sha256:[0-9a-f]{64}\|cpu$/)
    // concurrent requests share one creation
    const [c1, c2] = await Promise.all([
      mgr.session(matmulModel('float64', true, false)),
      mgr.session(matmulModel('float64', true, false))
    ])
    expect(c1.session).toBe(c2.session)
    expect(await mgr.release(h1.key)).toBe(true)
    expect(await mgr.release(h1.key)).toBe(false)
    const h3 = await mgr.session(bytes)
    expect(h3.session).not.toBe(h1.session)
  })

  it('caches file sessions by path and mtime', async () => {
    const g = new GraphBuilder('file')
    const x = g.input('x', 'float32', [2])
    g.output(g.node('Abs', [x], {}, { outputs: ['y'] }), 'float32', [2])
    const path = join(dir, 'abs.onnx')
    writeFileSync(path, g.toModel())
    const h1 = await mgr.session(path)
    const h2 = await mgr.session(path)
    expect(h2.session).toBe(h1.session)
    expect(h1.key).toContain(path)
    const r = await h1.session.run({ x: new ort.Tensor('float32', Float32Array.from([-3, 4]), [2]) })
    expect(Array.from(r.y.data as Float32Array)).toEqual([3, 4])
  })

  it('invalid model bytes give a clear B2mError', async () => {
    const junk = new TextEncoder().encode('this is not an onnx model at all')
    const err = await expectB2mError(
      mgr.session(junk),
      'bad_request',
      /in-memory ONNX model \(\d+ bytes\) cannot be loaded: .+/
    )
    expect(err.message.includes(String.fromCharCode(27))).toBe(false) // no terminal colour codes
    await expectB2mError(mgr.session(new Uint8Array(0)), 'bad_request', /empty/)
    const bad = join(dir, 'bad.onnx')
    writeFileSync(bad, junk)
    const fileErr = await expectB2mError(mgr.session(bad), 'bad_request', /not a loadable ONNX model/)
    expect(fileErr.file).toBe(bad)
    await expectB2mError(mgr.session(join(dir, 'missing.onnx')), 'not_found', /not found/)
    expect(mgr.size).toBeGreaterThan(0) // failures are not cached, earlier sessions remain
  })
})

describe('matmul through ONNX Runtime', () => {
  let mgr: SessionManager
  beforeAll(() => {
    mgr = new SessionManager()
  })
  afterAll(async () => {
    await mgr.dispose()
  })

  it('float32 matches the triple loop, for several shapes with one session', async () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [7, 13, 5],
      [64, 100, 33]
    ]) {
      const a = random32(m * k, m + k)
      const b = random32(k * n, k + n)
      const c = await matmul(mgr, a, [m, k], b, [k, n])
      expect(c).toBeInstanceOf(Float32Array)
      expect(relError(c, refMatmul(a, b, m, k, n))).toBeLessThan(1e-5)
    }
    expect(mgr.size).toBe(1)
  })

  it('float64 matches the triple loop to double precision', async () => {
    const [m, k, n] = [31, 77, 19]
    const a = random64(m * k, 5)
    const b = random64(k * n, 6)
    const c = await matmul(mgr, a, [m, k], b, [k, n])
    expect(c).toBeInstanceOf(Float64Array)
    expect(relError(c, refMatmul(a, b, m, k, n))).toBeLessThan(1e-12)
  })

  it('transA / transB go through Gemm', async () => {
    const [m, k, n] = [9, 11, 6]
    for (const [tA, tB] of [
      [true, false],
      [false, true],
      [true, true]
    ]) {
      const a = random64(m * k, 21)
      const b = random64(k * n, 22)
      const c = await matmul(mgr, a, tA ? [k, m] : [m, k], b, tB ? [n, k] : [k, n], { transA: tA, transB: tB })
      expect(relError(c, refMatmul(a, b, m, k, n, tA, tB))).toBeLessThan(1e-12)
    }
    // XᵀX is symmetric
    const X = random32(40 * 8, 30)
    const xtx = await matmul(mgr, X, [40, 8], X, [40, 8], { transA: true })
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(xtx[i * 8 + j]).toBeCloseTo(xtx[j * 8 + i], 5)
  })

  it('reads subarray views in place and writes into out', async () => {
    const backing = random32(1000, 40)
    const a = backing.subarray(100, 100 + 6 * 4)
    const b = backing.subarray(501, 501 + 4 * 3)
    const out = new Float32Array(6 * 3)
    const c = await matmul(mgr, a, [6, 4], b, [4, 3], { out })
    expect(c).toBe(out)
    expect(relError(out, refMatmul(a, b, 6, 4, 3))).toBeLessThan(1e-5)
  })

  it('handles empty dimensions and rejects mismatched shapes', async () => {
    const z = await matmul(mgr, new Float32Array(0), [3, 0], new Float32Array(0), [0, 2])
    expect(Array.from(z)).toEqual([0, 0, 0, 0, 0, 0])
    await expectB2mError(
      matmul(mgr, new Float32Array(6), [2, 3], new Float32Array(8), [4, 2]),
      'bad_request',
      /inner dimensions/
    )
    await expectB2mError(
      matmul(mgr, new Float32Array(5), [2, 3], new Float32Array(6), [3, 2]),
      'bad_request',
      /5 elements/
    )
    const mixed = matmul(mgr, new Float32Array(4), [2, 2], new Float64Array(4) as unknown as Float32Array, [2, 2])
    await expectB2mError(mixed, 'bad_request', /Float32Array but B is Float64Array/)
  })

  it('benchmark reports throughput and stops when onStep returns false', async () => {
    const steps: number[] = []
    const indices: number[] = []
    const r = await matmulBenchmark(mgr, 128, 10, (i, g) => {
      indices.push(i)
      steps.push(g)
      return i < 2
    })
    expect(indices).toEqual([0, 1, 2])
    expect(r.repeats).toBe(3)
    expect(r.cancelled).toBe(true)
    expect(steps).toHaveLength(3)
    expect(['cpu', 'cuda']).toContain(r.provider)
    expect(r.gflops).toBeGreaterThan(0)
    expect(r.seconds).toBeGreaterThan(0)
    const full = await matmulBenchmark(mgr, 64, 2, undefined, { dtype: 'float64' })
    expect(full).toMatchObject({ size: 64, repeats: 2, cancelled: false, dtype: 'float64' })
  })
})
