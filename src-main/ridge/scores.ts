/**
 * Held-out Pearson r for every alpha at once, as one ONNX Runtime graph (float32): predictions
 * P[a] = L·diag(1/(λ+α_a))·C for all alphas as a batched MatMul, then per-target correlation with the
 * held-out truth. The caller refines near-ties in float64 (see fit.ts).
 */
import * as ort from 'onnxruntime-node'
import { B2mError } from '../common/errors'
import { GraphBuilder } from '../onnx/graph'
import type { SessionManager } from '../onnx/sessions'

let model: Uint8Array | undefined

function scoresModel(): Uint8Array {
  if (!model) {
    const g = new GraphBuilder('b2m_ridge_scores')
    const ls = g.input('LS', 'float32', ['a', 'm', 'r']) // L scaled per alpha
    const c = g.input('C', 'float32', ['r', 't'])
    const y = g.input('Y', 'float32', ['m', 't']) // truth centred by its held-out mean
    const p = g.node('MatMul', [ls, c]) // [a, m, t]
    const axes = g.constant(BigInt64Array.from([1n]), [1])
    const pm = g.node('ReduceMean', [p], { axes: [1], keepdims: 1 })
    const pc = g.node('Sub', [p, pm])
    const num = g.node('ReduceSum', [g.node('Mul', [pc, y]), axes], { keepdims: 0 }, { outputs: ['NUM'] })
    const pss = g.node('ReduceSum', [g.node('Mul', [pc, pc]), axes], { keepdims: 0 }, { outputs: ['PSS'] })
    g.output(num, 'float32', ['a', 't'])
    g.output(pss, 'float32', ['a', 't'])
    model = g.toModel()
  }
  return model
}

/**
 * Adds r per (alpha, target) into scores[a * t + t0 + j]. L [m, r] and C [r, tb] float32; truth is the
 * held-out Y block centred by its own column means ([m, tb] float64) with its sums of squares.
 */
export async function addScoresFloat32(
  mgr: SessionManager,
  L: Float32Array,
  m: number,
  lam: Float64Array,
  C: Float32Array,
  tb: number,
  truth: { centred: Float64Array; ss: Float64Array },
  alphas: Float64Array,
  scores: Float64Array,
  t: number,
  t0: number
): Promise<void> {
  const r = lam.length
  const nA = alphas.length
  if (L.length !== m * r || C.length !== r * tb) throw new B2mError('internal', 'ridge scores: shapes do not agree')
  const { session } = await mgr.session(scoresModel(), { cacheKey: 'b2m:ridge:scores:v1' })
  // alphas in groups so the [a, m, tb] prediction tensor stays under ~256 MB
  const perAlpha = m * tb * 4 * 3
  const group = Math.max(1, Math.min(nA, Math.floor((256 << 20) / Math.max(1, perAlpha))))
  const y = Float32Array.from(truth.centred)
  for (let a0 = 0; a0 < nA; a0 += group) {
    const a1 = Math.min(nA, a0 + group)
    const ls = new Float32Array((a1 - a0) * m * r)
    for (let a = a0; a < a1; a++) {
      const base = (a - a0) * m * r
      const alpha = alphas[a]
      const s = new Float32Array(r)
      for (let k = 0; k < r; k++) s[k] = 1 / (lam[k] + alpha)
      for (let i = 0; i < m; i++) {
        const o = i * r
        for (let k = 0; k < r; k++) ls[base + o + k] = L[o + k] * s[k]
      }
    }
    const res = await session.run({
      LS: new ort.Tensor('float32', ls, [a1 - a0, m, r]),
      C: new ort.Tensor('float32', C, [r, tb]),
      Y: new ort.Tensor('float32', y, [m, tb])
    })
    const num = res.NUM.data as Float32Array
    const pss = res.PSS.data as Float32Array
    for (let a = a0; a < a1; a++) {
      const o = (a - a0) * tb
      const so = a * t + t0
      for (let j = 0; j < tb; j++) {
        const den = Math.sqrt(pss[o + j] * truth.ss[j])
        scores[so + j] += den > 0 ? num[o + j] / den : 0
      }
    }
  }
}
