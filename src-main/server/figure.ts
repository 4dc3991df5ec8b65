/**
 * Headless figures through the browser face: the server started in this process on a free loopback port,
 * the built renderer opened in headless Debian Chromium (playwright-core) at the bare `#/render` route,
 * which draws one map with its colorbar and says when it is done; then a screenshot of the window.
 * The same viewer, shaders and colormaps as the app, so a figure looks like the screen.
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { Core } from '../api/core'
import { B2mError } from '../common/errors'
import { serve } from './serve'
import { rendererDir } from './static'

export const FIGURE_VIEWS = ['lateral', 'medial', 'dorsal', 'ventral', 'anterior', 'posterior'] as const
export const FIGURE_HEMIS = ['both', 'lh', 'rh'] as const
export const FIGURE_KINDS = ['pial', 'white', 'inflated', 'flat'] as const

export interface FigureOptions {
  mapId: number
  set: string
  out: string
  width: number
  height: number
  view?: (typeof FIGURE_VIEWS)[number]
  hemi?: (typeof FIGURE_HEMIS)[number]
  kind?: (typeof FIGURE_KINDS)[number]
  method?: 'nearest' | 'trilinear' | 'line'
  cmap?: string
  vmin?: number
  vmax?: number
  threshold?: number
  /** Only FDR-significant vertices coloured (the map must carry p-values). */
  fdr?: boolean
  /** Chromium binary (default $B2M_CHROMIUM, else /usr/bin/chromium). */
  chromium?: string
  /** Built renderer folder (default out/renderer). */
  staticDir?: string
  timeoutMs?: number
}

export interface FigureResult {
  out: string
  width: number
  height: number
  bytes: number
  /** Wall time of the parts, ms: server + browser start, page load to "rendered", screenshot; and in all. */
  ms: { start: number; render: number; screenshot: number; total: number }
}

export const DEFAULT_CHROMIUM = '/usr/bin/chromium'

/** Problems that stop a figure before anything starts: no Chromium, no built renderer, a bad size or path. */
export function checkFigureSetup(opts: Pick<FigureOptions, 'chromium' | 'staticDir' | 'width' | 'height' | 'out'>): {
  chromium: string
  staticDir: string
  out: string
} {
  const chromium = opts.chromium ?? process.env.B2M_CHROMIUM ?? DEFAULT_CHROMIUM
  if (!existsSync(chromium))
    throw new B2mError(
      'failed',
      `Chromium is not installed at ${chromium}: install Debian's chromium package (apt-get install chromium), ` +
        'or set B2M_CHROMIUM to a Chromium binary'
    )
  const staticDir = opts.staticDir ?? rendererDir()
  if (!existsSync(join(staticDir, 'index.html')))
    throw new B2mError(
      'failed',
      `the renderer is not built (${staticDir} has no index.html): run npx electron-vite build`
    )
  for (const [name, v] of [
    ['width', opts.width],
    ['height', opts.height]
  ] as const)
    if (!Number.isInteger(v) || v < 200 || v > 4096)
      throw new B2mError('bad_request', `--${name} must be a whole number of pixels from 200 to 4096, got ${v}`)
  const out = resolve(opts.out)
  if (!/\.png$/i.test(out)) throw new B2mError('bad_request', 'the figure is a PNG: --out must end in .png', out)
  const dir = dirname(out)
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new B2mError('not_found', 'the folder for --out does not exist', dir)
  return { chromium, staticDir, out }
}

function figureQuery(o: FigureOptions): string {
  const q = new URLSearchParams({ map: String(o.mapId), set: o.set })
  const put = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) q.set(k, String(v))
  }
  put('view', o.view)
  put('hemi', o.hemi)
  put('kind', o.kind)
  put('method', o.method)
  put('cmap', o.cmap)
  put('vmin', o.vmin)
  put('vmax', o.vmax)
  put('threshold', o.threshold)
  if (o.fdr) q.set('fdr', '1')
  return q.toString()
}

/**
 * Renders a map of the core's workspace to a PNG of exactly width x height pixels. The PNG is written
 * under a temporary name and renamed into place, so a failure leaves no file behind.
 */
export async function renderFigure(core: Core, opts: FigureOptions): Promise<FigureResult> {
  const t0 = performance.now()
  const { chromium: executablePath, staticDir, out } = checkFigureSetup(opts)
  let pw: typeof import('playwright-core')
  try {
    pw = await import('playwright-core')
  } catch {
    throw new B2mError('failed', 'playwright-core is not installed (it drives Chromium): npm install playwright-core')
  }
  const server = await serve(core, { port: 0, staticDir })
  let browser: import('playwright-core').Browser | null = null
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp.png`)
  try {
    try {
      browser = await pw.chromium.launch({
        executablePath,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']
      })
    } catch (err) {
      throw new B2mError(
        'failed',
        `Chromium (${executablePath}) did not start: ${(err as Error).message.split('\n')[0]}`
      )
    }
    const context = await browser.newContext({
      viewport: { width: opts.width, height: opts.height },
      deviceScaleFactor: 1,
      colorScheme: 'light',
      reducedMotion: 'reduce'
    })
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text())
    })
    const t1 = performance.now()
    await page.goto(`${server.url}#/render?${figureQuery(opts)}`)
    const status = page.locator('[data-testid="render-status"]:not([data-state="loading"])')
    try {
      await status.waitFor({ state: 'attached', timeout: opts.timeoutMs ?? 120_000 })
    } catch {
      throw new B2mError(
        'failed',
        `the figure did not finish rendering within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s` +
          (pageErrors.length ? ` (page errors: ${pageErrors.slice(0, 3).join('; ')})` : '')
      )
    }
    if ((await status.getAttribute('data-state')) === 'error') {
      const msg = (await status.getAttribute('data-message')) || 'unknown problem'
      throw new B2mError('bad_request', `the figure could not be drawn: ${msg}`)
    }
    const t2 = performance.now()
    const png = await page.screenshot({ path: tmp, type: 'png', animations: 'disabled' })
    renameSync(tmp, out)
    const t3 = performance.now()
    return {
      out,
      width: png.readUInt32BE(16),
      height: png.readUInt32BE(20),
      bytes: png.length,
      ms: {
        start: Math.round(t1 - t0),
        render: Math.round(t2 - t1),
        screenshot: Math.round(t3 - t2),
        total: Math.round(t3 - t0)
      }
    }
  } finally {
    rmSync(tmp, { force: true })
    await browser?.close().catch(() => undefined)
    await server.close()
  }
}
