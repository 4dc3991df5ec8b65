/** Windows on the TR grid, in seconds. Without `window` the whole signal is one window. */
export interface WindowOptions {
  /** Window length in seconds (the paper: 10). Default: the whole signal. */
  window?: number
  /** Step between window starts in seconds (the paper: 1.5). Default: `window`. */
  step?: number
}

/** Embeddings of consecutive windows: `data` is nWindows x dim, row-major. */
export interface WindowedEmbedding {
  dim: number
  /** Start time of each window in seconds. */
  times: Float64Array
  /** Length of every window in seconds. */
  window: number
  data: Float32Array
}

/** Anything that turns a mono signal at `sampleRate` into windowed embeddings. */
export interface FeatureExtractor {
  readonly name: string
  readonly dim: number
  readonly sampleRate: number
  embedWindows(signal: Float32Array, options?: WindowOptions): Promise<WindowedEmbedding>
}

/**
 * Start times of the windows that fit in `duration` seconds: 0, step, 2 step, ... while start + window
 * <= duration (a signal shorter than the window gives one window at 0 covering what there is).
 */
export function windowStarts(duration: number, options: WindowOptions = {}): { starts: Float64Array; window: number } {
  const window = options.window ?? duration
  const step = options.step ?? window
  if (!(window > 0) && duration > 0) throw new RangeError(`window must be positive, got ${window}`)
  if (!(step > 0) && duration > 0) throw new RangeError(`step must be positive, got ${step}`)
  if (duration <= 0) return { starts: new Float64Array(0), window }
  if (window >= duration - 1e-9) return { starts: Float64Array.of(0), window }
  const n = Math.floor((duration - window) / step + 1e-9) + 1
  return { starts: Float64Array.from({ length: n }, (_, i) => i * step), window }
}
