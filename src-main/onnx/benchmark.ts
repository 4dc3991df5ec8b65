/**
 * MatMul throughput through ONNX Runtime: the 'compute.benchmark' job. Square size x size matrices,
 * one untimed warm-up run (session creation, thread-pool spin-up), then `repeats` timed runs.
 * GFLOP/s counts 2·n³ floating-point operations per product.
 */
import type { ExecutionProvider } from '../../src-preload/api'
import { matmul, matmulSession } from './gemm'
import type { SessionManager } from './sessions'

export interface MatmulBenchmarkResult {
  size: number
  /** Timed runs completed (fewer than asked when stopped early). */
  repeats: number
  provider: ExecutionProvider
  /** Throughput over all completed timed runs. */
  gflops: number
  /** Wall time of the completed timed runs. */
  seconds: number
  /** Best single-run throughput. */
  peakGflops: number
  /** True when onStep returned false. */
  cancelled: boolean
  dtype: 'float32' | 'float64'
}

export interface MatmulBenchmarkOptions {
  providers?: readonly ExecutionProvider[]
  dtype?: 'float32' | 'float64'
  /** Seed for the random matrices (default 1). */
  seed?: number
}

/** Deterministic uniform [-1, 1) values (mulberry32). */
function fillRandom(arr: Float32Array | Float64Array, seed: number): void {
  let s = seed >>> 0
  for (let i = 0; i < arr.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    arr[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1
  }
}

/**
 * Runs the benchmark. `onStep(i, gflops)` is called after each timed run (i from 0) with that run's
 * throughput; returning false stops early (cancellation), and the result covers the runs done.
 */
export async function matmulBenchmark(
  mgr: SessionManager,
  size: number,
  repeats: number,
  onStep?: (i: number, gflops: number) => boolean | void | Promise<boolean | void>,
  options: MatmulBenchmarkOptions = {}
): Promise<MatmulBenchmarkResult> {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`benchmark size must be a positive integer, got ${size}`)
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new RangeError(`benchmark repeats must be a positive integer, got ${repeats}`)
  const dtype = options.dtype ?? 'float32'
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array
  const n2 = size * size
  const a = new Ctor(n2)
  const b = new Ctor(n2)
  fillRandom(a, options.seed ?? 1)
  fillRandom(b, (options.seed ?? 1) + 1)
  const shape = [size, size] as const
  const { provider } = await matmulSession(mgr, dtype, false, false, options.providers)
  // No preallocated `out`: onnxruntime-node copies the result into a fresh array either way, and the
  // preallocated path measured ~10% slower.
  const run = (): Promise<unknown> =>
    a instanceof Float32Array
      ? matmul(mgr, a, shape, b as Float32Array, shape, { providers: options.providers })
      : matmul(mgr, a, shape, b as Float64Array, shape, { providers: options.providers })

  await run() // warm-up
  const flops = 2 * size * size * size
  let done = 0
  let seconds = 0
  let peak = 0
  let cancelled = false
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    await run()
    const dt = (performance.now() - t0) / 1000
    seconds += dt
    done = i + 1
    const g = flops / dt / 1e9
    if (g > peak) peak = g
    if ((await onStep?.(i, g)) === false) {
      cancelled = done < repeats
      break
    }
  }
  return {
    size,
    repeats: done,
    provider,
    gflops: seconds > 0 ? (flops * done) / seconds / 1e9 : 0,
    seconds,
    peakGflops: peak,
    cancelled,
    dtype
  }
}
