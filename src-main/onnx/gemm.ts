/**
 * Dense matrix multiply through ONNX Runtime (MLAS on CPU, cuBLAS on CUDA): the engine under the ridge
 * solvers. One model per (dtype, transA, transB) with symbolic dims, so one cached session serves every
 * shape. Inputs are wrapped in ort.Tensor over the caller's buffers (no copies on the way in).
 *
 * All matrices are row-major. Shapes are those of the arrays as stored; with transA the product uses
 * Aᵀ, so `a` stored as [k, m] gives a [m, k] operand (handy for XᵀX without transposing in JS).
 */
import * as ort from 'onnxruntime-node'
import type { ExecutionProvider } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { GraphBuilder } from './graph'
import type { SessionHandle, SessionManager } from './sessions'

export type FloatMatrix = Float32Array | Float64Array
export type MatrixShape = readonly [number, number]

export interface MatmulOptions<T extends FloatMatrix> {
  /** Use Aᵀ: `a` is stored as [k, m]. */
  transA?: boolean
  /** Use Bᵀ: `b` is stored as [n, k]. */
  transB?: boolean
  /**
   * Where to write the [m, n] result (e.g. a view into a larger buffer); returned as is. Not faster:
   * onnxruntime-node 1.30 still copies the result into a new array it then drops (~10% slower at 2048).
   */
  out?: T
  /** Providers to try for the session (default: the manager's preference). */
  providers?: readonly ExecutionProvider[]
}

type DType = 'float32' | 'float64'

const models = new Map<string, Uint8Array>()

/** The ONNX model for Y = op(A) · op(B) with symbolic dims; MatMul without transposes, Gemm with them. */
export function matmulModel(dtype: DType, transA = false, transB = false): Uint8Array {
  const id = `${dtype}:${transA ? 1 : 0}:${transB ? 1 : 0}`
  let bytes = models.get(id)
  if (!bytes) {
    const g = new GraphBuilder(`b2m_matmul_${dtype}${transA ? '_tA' : ''}${transB ? '_tB' : ''}`)
    const a = g.input('A', dtype, transA ? ['k', 'm'] : ['m', 'k'])
    const b = g.input('B', dtype, transB ? ['n', 'k'] : ['k', 'n'])
    const y =
      transA || transB
        ? g.node('Gemm', [a, b], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 }, { outputs: ['Y'] })
        : g.node('MatMul', [a, b], {}, { outputs: ['Y'] })
    g.output(y, dtype, ['m', 'n'])
    bytes = g.toModel()
    models.set(id, bytes)
  }
  return bytes
}

/** The cached session that multiplies matrices of `dtype` (shared by all shapes). */
export function matmulSession(
  mgr: SessionManager,
  dtype: DType,
  transA = false,
  transB = false,
  providers?: readonly ExecutionProvider[]
): Promise<SessionHandle> {
  const model = matmulModel(dtype, transA, transB)
  return mgr.session(model, { cacheKey: `b2m:matmul:v1:${dtype}:${transA ? 1 : 0}:${transB ? 1 : 0}`, providers })
}

function checkShape(what: string, data: FloatMatrix, shape: MatrixShape): void {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new B2mError(
      'bad_request',
      `matmul: ${what} shape must be two non-negative integers, got [${shape.join(', ')}]`
    )
  }
  if (data.length !== shape[0] * shape[1]) {
    throw new B2mError(
      'bad_request',
      `matmul: ${what} has ${data.length} elements, shape [${shape.join(', ')}] needs ${shape[0] * shape[1]}`
    )
  }
}

/**
 * C = op(A) · op(B), row-major. `aShape`/`bShape` are the shapes of the arrays as stored.
 * Both operands must share one element type; the result has it too.
 */
export function matmul(
  mgr: SessionManager,
  a: Float32Array,
  aShape: MatrixShape,
  b: Float32Array,
  bShape: MatrixShape,
  options?: MatmulOptions<Float32Array>
): Promise<Float32Array>
export function matmul(
  mgr: SessionManager,
  a: Float64Array,
  aShape: MatrixShape,
  b: Float64Array,
  bShape: MatrixShape,
  options?: MatmulOptions<Float64Array>
): Promise<Float64Array>
export async function matmul(
  mgr: SessionManager,
  a: FloatMatrix,
  aShape: MatrixShape,
  b: FloatMatrix,
  bShape: MatrixShape,
  options: MatmulOptions<FloatMatrix> = {}
): Promise<FloatMatrix> {
  let dtype: DType
  if (a instanceof Float32Array) dtype = 'float32'
  else if (a instanceof Float64Array) dtype = 'float64'
  else throw new B2mError('bad_request', 'matmul: A must be a Float32Array or Float64Array')
  if (a.constructor !== b.constructor) {
    throw new B2mError(
      'bad_request',
      `matmul: A is ${a.constructor.name} but B is ${b.constructor.name}; convert one first`
    )
  }
  checkShape('A', a, aShape)
  checkShape('B', b, bShape)
  const transA = options.transA ?? false
  const transB = options.transB ?? false
  const [m, k] = transA ? [aShape[1], aShape[0]] : [aShape[0], aShape[1]]
  const [kb, n] = transB ? [bShape[1], bShape[0]] : [bShape[0], bShape[1]]
  if (k !== kb) {
    throw new B2mError(
      'bad_request',
      `matmul: inner dimensions differ: op(A) is [${m}, ${k}] and op(B) is [${kb}, ${n}]`
    )
  }
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array
  const out = options.out
  if (out !== undefined) {
    if (out.constructor !== a.constructor)
      throw new B2mError('bad_request', `matmul: out must be a ${a.constructor.name}`)
    if (out.length !== m * n)
      throw new B2mError('bad_request', `matmul: out has ${out.length} elements, the result needs ${m * n}`)
  }
  if (m === 0 || n === 0 || k === 0) {
    const r = out ?? new Ctor(m * n)
    r.fill(0)
    return r
  }

  const { session } = await matmulSession(mgr, dtype, transA, transB, options.providers)
  const feeds = {
    A: new ort.Tensor(dtype, a, [aShape[0], aShape[1]]),
    B: new ort.Tensor(dtype, b, [bShape[0], bShape[1]])
  }
  if (out !== undefined) {
    await session.run(feeds, { Y: new ort.Tensor(dtype, out, [m, n]) })
    return out
  }
  const result = await session.run(feeds)
  const y = result.Y
  if (!y || !(y.data instanceof Ctor) || y.data.length !== m * n) {
    throw new B2mError('internal', `matmul: ONNX Runtime returned an unexpected result for [${m}, ${k}] x [${k}, ${n}]`)
  }
  return y.data
}
