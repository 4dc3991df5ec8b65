/**
 * Small dense helpers for the ridge room: `C - op(A)·op(B)` as one ONNX Runtime Gemm (so the subtraction
 * runs inside MLAS rather than as a JS pass), plus plain typed-array utilities.
 */
import * as ort from 'onnxruntime-node'
import { B2mError } from '../common/errors'
import type { FloatMatrix, MatrixShape } from '../onnx/gemm'
import { GraphBuilder } from '../onnx/graph'
import type { SessionManager } from '../onnx/sessions'

type DType = 'float32' | 'float64'
const models = new Map<string, Uint8Array>()

/**
 * `[C -] op(A)·op(B)` as Transpose + MatMul (+ Sub). ONNX Runtime's float64 Gemm operator is far slower
 * than its MatMul (MLAS DGEMM), so transposes are explicit nodes and the product is always a MatMul.
 */
function productModel(dtype: DType, transA: boolean, transB: boolean, withC: boolean): Uint8Array {
  const id = `${dtype}:${transA ? 1 : 0}:${transB ? 1 : 0}:${withC ? 1 : 0}`
  let bytes = models.get(id)
  if (!bytes) {
    const g = new GraphBuilder(`b2m_ridge_product_${dtype}`)
    const a = g.input('A', dtype, transA ? ['k', 'm'] : ['m', 'k'])
    const b = g.input('B', dtype, transB ? ['n', 'k'] : ['k', 'n'])
    const a2 = transA ? g.node('Transpose', [a], { perm: [1, 0] }) : a
    const b2 = transB ? g.node('Transpose', [b], { perm: [1, 0] }) : b
    let y
    if (withC) {
      const c = g.input('C', dtype, ['m', 'n'])
      const p = g.node('MatMul', [a2, b2])
      y = g.node('Sub', [c, p], {}, { outputs: ['Y'] })
    } else {
      y = g.node('MatMul', [a2, b2], {}, { outputs: ['Y'] })
    }
    g.output(y, dtype, ['m', 'n'])
    bytes = g.toModel()
    models.set(id, bytes)
  }
  return bytes
}

function dims(aShape: MatrixShape, bShape: MatrixShape, transA: boolean, transB: boolean): [number, number, number] {
  const m = transA ? aShape[1] : aShape[0]
  const k = transA ? aShape[0] : aShape[1]
  const kb = transB ? bShape[1] : bShape[0]
  const n = transB ? bShape[0] : bShape[1]
  if (k !== kb) throw new B2mError('internal', `product: inner dimensions differ (${k} vs ${kb})`)
  return [m, k, n]
}

async function runProduct<T extends FloatMatrix>(
  mgr: SessionManager,
  a: T,
  aShape: MatrixShape,
  b: T,
  bShape: MatrixShape,
  c: T | undefined,
  transA: boolean,
  transB: boolean
): Promise<T> {
  const dtype: DType = a instanceof Float32Array ? 'float32' : 'float64'
  const [m, k, n] = dims(aShape, bShape, transA, transB)
  if (a.length !== aShape[0] * aShape[1] || b.length !== bShape[0] * bShape[1] || (c && c.length !== m * n)) {
    throw new B2mError(
      'internal',
      `product: array sizes do not match shapes [${aShape.join(',')}], [${bShape.join(',')}]`
    )
  }
  if (m === 0 || n === 0 || k === 0) {
    if (c) return c.slice() as T
    return (dtype === 'float32' ? new Float32Array(m * n) : new Float64Array(m * n)) as T
  }
  const model = productModel(dtype, transA, transB, c !== undefined)
  const { session } = await mgr.session(model, {
    cacheKey: `b2m:ridge:product:v1:${dtype}:${transA ? 1 : 0}:${transB ? 1 : 0}:${c ? 1 : 0}`
  })
  const feeds: Record<string, ort.Tensor> = {
    A: new ort.Tensor(dtype, a, [aShape[0], aShape[1]]),
    B: new ort.Tensor(dtype, b, [bShape[0], bShape[1]])
  }
  if (c) feeds.C = new ort.Tensor(dtype, c, [m, n])
  const res = await session.run(feeds)
  const y = res.Y.data
  if (y.length !== m * n)
    throw new B2mError('internal', `product: ONNX Runtime returned ${y.length} elements for [${m}, ${n}]`)
  return y as T
}

/** op(A)·op(B) as a new [m, n] array (float64 products through MLAS DGEMM). */
export function product<T extends FloatMatrix>(
  mgr: SessionManager,
  a: T,
  aShape: MatrixShape,
  b: T,
  bShape: MatrixShape,
  opts: { transA?: boolean; transB?: boolean } = {}
): Promise<T> {
  return runProduct(mgr, a, aShape, b, bShape, undefined, opts.transA ?? false, opts.transB ?? false)
}

/** Returns a new array `C - op(A)·op(B)` ([m, n], row-major); `c` is left as it is. */
export function gemmUpdate<T extends FloatMatrix>(
  mgr: SessionManager,
  a: T,
  aShape: MatrixShape,
  b: T,
  bShape: MatrixShape,
  c: T,
  opts: { transA?: boolean; transB?: boolean } = {}
): Promise<T> {
  return runProduct(mgr, a, aShape, b, bShape, c, opts.transA ?? false, opts.transB ?? false)
}

/** A deterministic uniform(-1, 1) generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1
  }
}

let panelModel: Uint8Array | undefined

/**
 * y = T v − Vtᵀ (Wt v) − Wtᵀ (Vt v): the matrix-vector step of the blocked
 * Householder tridiagonalisation (dlatrd), in one float64 ONNX Runtime call. T is [m, m], v [m],
 * Vt and Wt [c, m] (the panel's reflectors and their W vectors as rows).
 */
export async function panelMatvec(
  mgr: SessionManager,
  T: Float64Array,
  m: number,
  v: Float64Array,
  vt: Float64Array,
  wt: Float64Array,
  c: number
): Promise<Float64Array> {
  if (!panelModel) {
    const g = new GraphBuilder('b2m_ridge_panel_matvec')
    const t = g.input('T', 'float64', ['m', 'm'])
    const x = g.input('v', 'float64', ['m', 1])
    const vv = g.input('Vt', 'float64', ['c', 'm'])
    const ww = g.input('Wt', 'float64', ['c', 'm'])
    const tv = g.node('MatMul', [t, x])
    const a = g.node('MatMul', [ww, x]) // [c, 1]
    const b = g.node('MatMul', [vv, x])
    const va = g.node('MatMul', [g.node('Transpose', [vv], { perm: [1, 0] }), a])
    const wb = g.node('MatMul', [g.node('Transpose', [ww], { perm: [1, 0] }), b])
    const y = g.node('Sub', [g.node('Sub', [tv, va]), wb], {}, { outputs: ['y'] })
    g.output(y, 'float64', ['m', 1])
    panelModel = g.toModel()
  }
  const { session } = await mgr.session(panelModel, { cacheKey: 'b2m:ridge:panel-matvec:v1' })
  const res = await session.run({
    T: new ort.Tensor('float64', T, [m, m]),
    v: new ort.Tensor('float64', v, [m, 1]),
    Vt: new ort.Tensor('float64', vt.subarray(0, c * m), [c, m]),
    Wt: new ort.Tensor('float64', wt.subarray(0, c * m), [c, m])
  })
  return res.y.data as Float64Array
}
