import { SessionManager } from '../../onnx/sessions'
import { matmulBenchmark } from '../../onnx/benchmark'
import type { ExecutionProvider } from '../../../src-preload/api'
import type { JobImpl } from '../context'

interface Params {
  size: number
  repeats: number
  provider?: ExecutionProvider
}

/** Measures MatMul throughput of the compute device through ONNX Runtime: the engine ridge uses. */
export const computeBenchmark: JobImpl<Params, unknown> = async (params, ctx) => {
  const sessions = new SessionManager({ log: (level, text) => ctx.log(level, text) })
  try {
    ctx.log('info', `MatMul ${params.size}x${params.size}, ${params.repeats} repeats`)
    const result = await matmulBenchmark(
      sessions,
      params.size,
      params.repeats,
      (i, gflops) => {
        ctx.progress((i + 1) / params.repeats, `repeat ${i + 1}/${params.repeats}: ${gflops.toFixed(1)} GFLOP/s`)
        return !ctx.cancelled
      },
      { providers: params.provider ? [params.provider] : undefined }
    )
    ctx.throwIfCancelled()
    ctx.log('info', `${result.gflops.toFixed(1)} GFLOP/s on ${result.provider} over ${result.seconds.toFixed(2)} s`)
    return result
  } finally {
    await sessions.dispose()
  }
}
