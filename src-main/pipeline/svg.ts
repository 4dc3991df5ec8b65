/**
 * Small static SVG figures for the HTML report (no scripts, no external fonts): a line chart with a log
 * x axis, bar charts (histograms come binned from the models) and a heat map. Every figure is a self-contained <svg> string.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const f3 = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3))

const W = 560
const H = 260
const M = { l: 56, r: 16, t: 28, b: 44 }
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11"'

function frame(title: string, xLabel: string, yLabel: string, body: string, width = W, height = H): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} role="img" aria-label="${esc(title)}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${M.l}" y="16" font-size="13" font-weight="600">${esc(title)}</text>` +
    `<text x="${(M.l + width - M.r) / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text transform="translate(14 ${(M.t + height - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>` +
    body +
    `</svg>`
  )
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / n
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step)
  return out
}

function yAxis(lo: number, hi: number, y: (v: number) => number, width: number): string {
  return niceTicks(lo, hi)
    .map(
      (v) =>
        `<line x1="${M.l}" x2="${width - M.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>` +
        `<text x="${M.l - 6}" y="${y(v) + 4}" text-anchor="end">${f3(v)}</text>`
    )
    .join('')
}

export interface Series {
  name: string
  values: number[]
  color: string
}

/** Lines over a log10 x axis (e.g. CV score against alpha), with an optional marker per series. */
export function logLineChart(
  title: string,
  xs: number[],
  series: Series[],
  o: { xLabel: string; yLabel: string; hLines?: { y: number; label: string }[] }
): string {
  const lx = xs.map((x) => Math.log10(x))
  const all = series
    .flatMap((s) => s.values)
    .concat((o.hLines ?? []).map((h) => h.y))
    .filter(Number.isFinite)
  let lo = Math.min(...all)
  let hi = Math.max(...all)
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1]
  const pad = (hi - lo) * 0.08
  lo -= pad
  hi += pad
  const x = (v: number) => M.l + ((v - lx[0]) / (lx[lx.length - 1] - lx[0] || 1)) * (W - M.l - M.r)
  const y = (v: number) => H - M.b - ((v - lo) / (hi - lo)) * (H - M.t - M.b)
  let body = yAxis(lo, hi, y, W)
  for (let e = Math.ceil(lx[0]); e <= Math.floor(lx[lx.length - 1]); e += 2)
    body += `<text x="${x(e)}" y="${H - M.b + 14}" text-anchor="middle">1e${e}</text>`
  for (const h of o.hLines ?? [])
    body +=
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(h.y)}" y2="${y(h.y)}" stroke="#888" stroke-dasharray="4 3"/>` +
      `<text x="${W - M.r - 2}" y="${y(h.y) - 3}" text-anchor="end" fill="#666">${esc(h.label)}</text>`
  series.forEach((s, i) => {
    const pts = s.values.map((v, j) => `${x(lx[j]).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    body += `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`
    const best = s.values.indexOf(Math.max(...s.values))
    if (best >= 0) body += `<circle cx="${x(lx[best])}" cy="${y(s.values[best])}" r="4" fill="${s.color}"/>`
    body += `<text x="${M.l + 8}" y="${M.t + 14 + i * 14}" fill="${s.color}">${esc(s.name)}</text>`
  })
  return frame(title, o.xLabel, o.yLabel, body)
}

/** Vertical bars with labels under them; optional reference lines (chance, oracle). */
export function barChart(
  title: string,
  bars: { label: string; value: number; color?: string }[],
  o: { yLabel: string; xLabel?: string; min?: number; max?: number; hLines?: { y: number; label: string }[] }
): string {
  const values = bars.map((b) => b.value).filter(Number.isFinite)
  const lo = o.min ?? Math.min(0, ...values)
  const hi = o.max ?? Math.max(1e-9, ...values)
  const width = Math.max(W, M.l + M.r + bars.length * 18)
  const y = (v: number) => H - M.b - ((v - lo) / (hi - lo || 1)) * (H - M.t - M.b)
  const bw = (width - M.l - M.r) / Math.max(1, bars.length)
  let body = yAxis(lo, hi, y, width)
  bars.forEach((b, i) => {
    const x0 = M.l + i * bw + bw * 0.15
    const v = Number.isFinite(b.value) ? b.value : lo
    const top = y(Math.max(v, lo))
    body += `<rect x="${x0.toFixed(1)}" y="${Math.min(top, y(lo)).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${Math.abs(y(lo) - top).toFixed(1)}" fill="${b.color ?? '#3b6ea8'}"><title>${esc(b.label)}: ${f3(b.value)}</title></rect>`
    // many bars: callers label only some (empty labels are skipped)
    if (b.label !== '')
      body += `<text x="${(x0 + bw * 0.35).toFixed(1)}" y="${H - M.b + 14}" text-anchor="middle">${esc(b.label)}</text>`
  })
  for (const h of o.hLines ?? [])
    body +=
      `<line x1="${M.l}" x2="${width - M.r}" y1="${y(h.y)}" y2="${y(h.y)}" stroke="#c0392b" stroke-dasharray="4 3"/>` +
      `<text x="${width - M.r - 2}" y="${y(h.y) - 3}" text-anchor="end" fill="#c0392b">${esc(h.label)}</text>`
  return frame(title, o.xLabel ?? '', o.yLabel, body, width)
}

/** Viridis, 9 stops: perceptually uniform and readable in grey. */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725']

function viridis(t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1)
  return VIRIDIS[Math.round(u)]
}

/** An n x n matrix (row-major) as a heat map with a colour bar; labels every `labelEvery` rows. */
export function heatmap(
  title: string,
  matrix: ArrayLike<number>,
  n: number,
  o: { rowLabel: string; colLabel: string; labels?: string[] }
): string {
  const size = 360
  const cell = size / n
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < n * n; i++)
    if (Number.isFinite(matrix[i])) [lo, hi] = [Math.min(lo, matrix[i]), Math.max(hi, matrix[i])]
  const width = M.l + size + 90
  const height = M.t + size + M.b
  let body = ''
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const v = matrix[i * n + j]
      body += `<rect x="${(M.l + j * cell).toFixed(2)}" y="${(M.t + i * cell).toFixed(2)}" width="${(cell + 0.3).toFixed(2)}" height="${(cell + 0.3).toFixed(2)}" fill="${viridis((v - lo) / (hi - lo || 1))}"><title>${esc(o.labels?.[i] ?? String(i))} vs ${esc(o.labels?.[j] ?? String(j))}: ${f3(v)}</title></rect>`
    }
  const bx = M.l + size + 24
  VIRIDIS.forEach((c, k) => {
    const h = size / VIRIDIS.length
    body += `<rect x="${bx}" y="${(M.t + size - (k + 1) * h).toFixed(1)}" width="14" height="${(h + 0.5).toFixed(1)}" fill="${c}"/>`
  })
  body += `<text x="${bx + 18}" y="${M.t + 8}">${f3(hi)}</text><text x="${bx + 18}" y="${M.t + size}">${f3(lo)}</text>`
  return frame(title, o.colLabel, o.rowLabel, body, width, height)
}
