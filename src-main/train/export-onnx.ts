/**
 * A decoder as an ONNX model Python (onnxruntime) can run: input `responses` float32 [n, columns] (rows
 * of the preprocessing's response matrix), output `embedding` float32 [n, dim]. Each part gathers its
 * columns, centres them by its training means, multiplies by its weights and adds the embedding's
 * training mean (the same map as X·W + intercept); an ROI ensemble averages its parts.
 */
import type { ModelRecord } from '../catalogue/models'
import { APP_VERSION } from '../common/version'
import { GraphBuilder } from '../onnx/graph'
import type { Workspace } from '../workspace'
import { loadDecoderParts } from './decoder'

export function decoderOnnx(ws: Workspace, rec: ModelRecord): Uint8Array {
  const parts = loadDecoderParts(ws, rec)
  const cols = rec.summary.columns as number
  const t = parts[0].targets
  const g = new GraphBuilder(`b2m_decoder_${rec.id}`)
  const x = g.input('responses', 'float32', ['n', cols])
  const outs = parts.map((p, i) => {
    const identity = p.columns.length === cols && p.columns.every((c, k) => c === k)
    const xs = identity
      ? x
      : g.node('Gather', [x, g.initializer(`part${i}_columns`, p.columns, [p.columns.length])], { axis: 1 })
    const centred = g.node('Sub', [xs, g.initializer(`part${i}_x_mean`, p.xMean, [p.xMean.length])])
    const prod = g.node('MatMul', [centred, g.initializer(`part${i}_weights`, p.weights, [p.columns.length, t])])
    return g.node('Add', [prod, g.initializer(`part${i}_y_mean`, p.yMean, [t])])
  })
  let y
  if (outs.length === 1) y = g.node('Identity', [outs[0]], {}, { outputs: ['embedding'] })
  else {
    const sum = g.node('Sum', outs)
    y = g.node(
      'Mul',
      [sum, g.initializer('inv_parts', Float32Array.of(1 / outs.length), [])],
      {},
      { outputs: ['embedding'] }
    )
  }
  g.output(y, 'float32', ['n', t])
  return g.toModel({
    producerVersion: APP_VERSION,
    docString: `Brain2Music Lab decoder ${rec.id} (${rec.subject}, feature set ${rec.featureSet}): responses [n, ${cols}] -> embedding [n, ${t}]`
  })
}
