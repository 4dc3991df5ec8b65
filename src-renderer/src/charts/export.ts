/**
 * Exports of what a chart shows: the figure as a self-contained SVG or a PNG, its numbers as CSV or
 * JSON, each saved through a Blob URL download (no server round trip; works on every face).
 */

/** The properties the charts set through CSS; copied onto the exported elements as attributes. */
const PRESENTATION = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'paint-order',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline'
] as const

const SVG_NS = 'http://www.w3.org/2000/svg'

/**
 * The SVG as a standalone document: the styles the page's CSS (and its theme variables) gave each
 * element are resolved now and written as presentation attributes, and a background rectangle in the
 * theme's surface colour goes underneath, so the file looks the same in any viewer.
 */
export function svgMarkup(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement
  const src = [svg, ...svg.querySelectorAll('*')]
  const dst = [clone, ...clone.querySelectorAll('*')]
  for (let i = 0; i < src.length && i < dst.length; i++) {
    const cs = getComputedStyle(src[i])
    const el = dst[i]
    if (cs.display === 'none') {
      el.setAttribute('display', 'none')
      continue
    }
    for (const p of PRESENTATION) {
      const v = cs.getPropertyValue(p)
      if (v && v !== 'normal' && v !== 'auto') el.setAttribute(p, v)
    }
    el.removeAttribute('class')
  }
  const vb = svg.viewBox.baseVal
  const w = vb && vb.width ? vb.width : svg.clientWidth
  const h = vb && vb.height ? vb.height : svg.clientHeight
  clone.setAttribute('xmlns', SVG_NS)
  clone.setAttribute('width', String(w))
  clone.setAttribute('height', String(h))
  const bg = document.createElementNS(SVG_NS, 'rect')
  bg.setAttribute('x', vb && vb.width ? String(vb.x) : '0')
  bg.setAttribute('y', vb && vb.height ? String(vb.y) : '0')
  bg.setAttribute('width', String(w))
  bg.setAttribute('height', String(h))
  bg.setAttribute('fill', surfaceColour(svg))
  clone.insertBefore(bg, clone.firstChild)
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`
}

function surfaceColour(el: Element): string {
  const v = getComputedStyle(el).getPropertyValue('--surface').trim()
  return v || '#ffffff'
}

export function svgBlob(svg: SVGSVGElement): Blob {
  return new Blob([svgMarkup(svg)], { type: 'image/svg+xml' })
}

/** The SVG rasterised at `scale` x its size (2: crisp on print and high-density screens). */
export async function pngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const markup = svgMarkup(svg)
  const vb = svg.viewBox.baseVal
  const w = Math.max(1, Math.round((vb && vb.width ? vb.width : svg.clientWidth) * scale))
  const h = Math.max(1, Math.round((vb && vb.height ? vb.height : svg.clientHeight) * scale))
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }))
  try {
    const img = new Image()
    img.src = url
    await img.decode()
    const canvas = document.createElement('canvas')
    canvas.width = w
    canvas.height = h
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new Error('this browser has no 2D canvas to draw the PNG on')
    ctx.drawImage(img, 0, 0, w, h)
    return await new Promise<Blob>((res, rej) =>
      canvas.toBlob((b) => (b ? res(b) : rej(new Error('the PNG could not be encoded'))), 'image/png')
    )
  } finally {
    URL.revokeObjectURL(url)
  }
}

export type Cell = string | number | boolean | null

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted; numbers at full precision. */
export function toCsv(columns: string[], rows: Cell[][]): string {
  const field = (v: Cell): string => {
    if (v === null) return ''
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [columns, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n'
}

export function csvBlob(columns: string[], rows: Cell[][]): Blob {
  return new Blob([toCsv(columns, rows)], { type: 'text/csv' })
}

export function jsonBlob(value: unknown): Blob {
  return new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' })
}

/** Saves a Blob under `name` through a temporary Blob URL and a download link. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Revoked later: the download reads the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A file name from free text: letters, digits, dot, dash and underscore only. */
export function fileStem(text: string): string {
  return (
    text
      .replace(/[^\w.-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 80) || 'figure'
  )
}
