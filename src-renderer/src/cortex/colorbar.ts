/**
 * The colorbar, drawn on a 2D canvas from the same LUT the shader samples (one code path for the view
 * and for the PNG export), with "nice" ticks and the threshold marked.
 */

export interface ColorbarSpec {
  lut: Uint8Array
  vmin: number
  vmax: number
  threshold: number
  diverging: boolean
  label: string
  /** CSS colours. */
  text: string
  muted: string
  /** Sub-threshold band colour (the curvature gray shows there). */
  hidden: string
}

/** 3-7 round tick values across [a, b]. */
export function niceTicks(a: number, b: number, target = 5): number[] {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return []
  if (a === b) return [a]
  const lo = Math.min(a, b)
  const hi = Math.max(a, b)
  const raw = (hi - lo) / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= target + 1) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v)
  return out
}

export function fmtTick(v: number, span: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1)
  const digits = Math.max(0, Math.min(4, 1 - Math.floor(Math.log10(Math.max(span, 1e-12) / 5))))
  return v.toFixed(digits).replace(/\.?0+$/, '') || '0'
}

/**
 * Draws the bar into (x, y, w, barH) with ticks below and the label above, in CSS pixels times `scale`.
 * Returns the total height used.
 */
export function drawColorbar(
  ctx: CanvasRenderingContext2D,
  spec: ColorbarSpec,
  x: number,
  y: number,
  w: number,
  scale = 1
): number {
  const barH = 12 * scale
  const font = `${11 * scale}px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif`
  ctx.save()
  ctx.font = font
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = spec.muted
  ctx.textAlign = 'left'
  const labelH = spec.label ? 14 * scale : 0
  if (spec.label) ctx.fillText(spec.label, x, y + 10 * scale)
  const by = y + labelH

  // The gradient: one column per device pixel, each from the LUT.
  const span = spec.vmax - spec.vmin
  const img = ctx.createImageData(Math.max(1, Math.round(w)), 1)
  for (let i = 0; i < img.width; i++) {
    const v = spec.vmin + ((i + 0.5) / img.width) * span
    const hidden = spec.diverging ? Math.abs(v) < spec.threshold : v < spec.threshold
    let r: number, g: number, b: number
    if (hidden) {
      const c = parseHex(spec.hidden)
      ;[r, g, b] = c
    } else {
      const t = span !== 0 ? Math.min(1, Math.max(0, (v - spec.vmin) / span)) : 0.5
      const k = Math.round(t * 255) * 4
      r = spec.lut[k]!
      g = spec.lut[k + 1]!
      b = spec.lut[k + 2]!
    }
    img.data[4 * i] = r
    img.data[4 * i + 1] = g
    img.data[4 * i + 2] = b
    img.data[4 * i + 3] = 255
  }
  const tmp = document.createElement('canvas')
  tmp.width = img.width
  tmp.height = 1
  tmp.getContext('2d')!.putImageData(img, 0, 0)
  ctx.imageSmoothingEnabled = false
  ctx.drawImage(tmp, x, by, w, barH)
  ctx.strokeStyle = spec.muted
  ctx.lineWidth = Math.max(1, scale)
  ctx.strokeRect(x + 0.5 * scale, by + 0.5 * scale, w - scale, barH - scale)

  // Ticks.
  ctx.fillStyle = spec.text
  ctx.strokeStyle = spec.text
  const ticks = niceTicks(spec.vmin, spec.vmax)
  const tickSpan = Math.abs(span)
  let lastRight = -Infinity
  for (const v of ticks) {
    const tx = x + (span !== 0 ? ((v - spec.vmin) / span) * w : w / 2)
    ctx.beginPath()
    ctx.moveTo(tx, by + barH)
    ctx.lineTo(tx, by + barH + 4 * scale)
    ctx.stroke()
    const s = fmtTick(v, tickSpan)
    const tw = ctx.measureText(s).width
    const left = Math.min(Math.max(tx - tw / 2, x - 4 * scale), x + w - tw + 4 * scale)
    if (left < lastRight + 4 * scale) continue
    ctx.fillText(s, left, by + barH + 16 * scale)
    lastRight = left + tw
  }
  ctx.restore()
  return labelH + barH + 20 * scale
}

function parseHex(c: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(c.trim())
  if (!m) return [150, 150, 150]
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)]
}
