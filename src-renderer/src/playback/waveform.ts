/** Waveform overview: the min and max sample under each pixel column, drawn as one vertical bar per column. */

export interface Peaks {
  /** Per column, the smallest and largest sample it covers (in [-1, 1] for PCM). */
  min: Float32Array
  max: Float32Array
  columns: number
}

/** Min/max of `x` over `columns` equal spans (a column narrower than one sample repeats that sample). */
export function waveformPeaks(x: Float32Array, columns: number): Peaks {
  if (!Number.isInteger(columns) || columns < 1)
    throw new Error(`waveform: columns must be a positive integer, got ${columns}`)
  const min = new Float32Array(columns)
  const max = new Float32Array(columns)
  const n = x.length
  for (let c = 0; c < columns; c++) {
    const a = Math.floor((c * n) / columns)
    const b = Math.max(a + 1, Math.floor(((c + 1) * n) / columns))
    let lo = Infinity
    let hi = -Infinity
    for (let i = a; i < b && i < n; i++) {
      const v = x[i]!
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    min[c] = lo === Infinity ? 0 : lo
    max[c] = hi === -Infinity ? 0 : hi
  }
  return { min, max, columns }
}

/** Draws peaks filling the canvas (one column per device pixel), centred on the zero line. */
export function drawWaveform(
  ctx: CanvasRenderingContext2D,
  peaks: Peaks,
  style: { wave: string; axis: string; background: string }
): void {
  const { width, height } = ctx.canvas
  ctx.fillStyle = style.background
  ctx.fillRect(0, 0, width, height)
  const mid = height / 2
  ctx.fillStyle = style.axis
  ctx.fillRect(0, Math.floor(mid), width, 1)
  ctx.fillStyle = style.wave
  const scale = (width - 0) / peaks.columns
  for (let c = 0; c < peaks.columns; c++) {
    const top = mid - peaks.max[c]! * mid
    const bottom = mid - peaks.min[c]! * mid
    ctx.fillRect(Math.floor(c * scale), Math.floor(top), Math.max(1, Math.ceil(scale)), Math.max(1, bottom - top))
  }
}
