/**
 * `b2m surface render`: the browser face in-process, the built renderer's bare #/render route in headless
 * Debian Chromium, a screenshot. The PNGs are decoded and looked at (size, background, coloured surface),
 * an FDR-masked figure colours fewer pixels, and bad input fails clearly without leaving files behind.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkFigureSetup } from '../../src-main/server/figure'
import { readNifti, writeNifti } from '../../src-main/formats/nifti'
import { readGiftiSurface } from '../../src-main/formats/gifti'
import { writeNpy } from '../../src-main/formats/npy'
import { fixture } from '../fixtures'
import { ROOT, SCREENSHOTS, ensureRendererBuilt } from './harness'
import { decodePng } from './png'

const STAT_MAP = fixture('nifti', 'image_10426.nii.gz')
let dir: string
let ws: string

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI asynchronously (the test process must stay responsive while Chromium works). */
function b2m(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'b2m.cjs'), '--workspace', ws, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env }
    })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    p.on('close', (code) => res({ code, stdout, stderr }))
  })
}

interface Look {
  width: number
  height: number
  /** Share of pixels that are not the white background. */
  surface: number
  /** Share of clearly coloured (not grey) pixels. */
  colourful: number
  /** Distinct colours among the non-background pixels (capped sample). */
  colours: number
  corner: [number, number, number]
}

function look(path: string): Look {
  const { width, height, rgba } = decodePng(readFileSync(path))
  let surface = 0
  let colourful = 0
  const colours = new Set<number>()
  for (let i = 0; i < width * height; i++) {
    const r = rgba[4 * i]!
    const g = rgba[4 * i + 1]!
    const b = rgba[4 * i + 2]!
    if (r > 250 && g > 250 && b > 250) continue
    surface++
    if (Math.max(r, g, b) - Math.min(r, g, b) > 24) colourful++
    if (colours.size < 5000) colours.add((r << 16) | (g << 8) | b)
  }
  const n = width * height
  return {
    width,
    height,
    surface: surface / n,
    colourful: colourful / n,
    colours: colours.size,
    corner: [rgba[0]!, rgba[1]!, rgba[2]!]
  }
}

function keep(path: string, name: string): void {
  mkdirSync(SCREENSHOTS, { recursive: true })
  copyFileSync(path, join(SCREENSHOTS, name))
}

beforeAll(async () => {
  ensureRendererBuilt()
  dir = mkdtempSync(join(tmpdir(), 'b2m-render-test-'))
  ws = join(dir, 'ws')
  // p-values for the stat map: small where |value| is large (a z-like statistic), NaN outside the brain.
  const img = await readNifti(STAT_MAP)
  const p = Float32Array.from(img.data, (v) =>
    !Number.isFinite(v) || v === 0 ? NaN : Math.min(1, 0.8 * Math.exp(-0.5 * v * v))
  )
  await writeNifti(join(dir, 'p.nii.gz'), { dims: [...img.header.shape], affine: img.header.affine, data: p })
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('b2m surface render', () => {
  test('a NIfTI stat map on fsaverage5 to a PNG of the requested size, with the surface coloured', async () => {
    const out = join(dir, 'lateral.png')
    const r = await b2m([
      'surface',
      'render',
      '--map',
      STAT_MAP,
      '--surface',
      'fsaverage5',
      '--view',
      'lateral',
      '--width',
      '800',
      '--height',
      '500',
      '--out',
      out,
      '--json'
    ])
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as { out: string; width: number; height: number; bytes: number; ms: object }
    expect(summary).toMatchObject({ out, width: 800, height: 500 })
    console.log(`[render] fsaverage5 lateral 800x500: ${JSON.stringify(summary.ms)}`)
    expect(existsSync(out)).toBe(true)
    const l = look(out)
    keep(out, 'render-lateral.png')
    expect([l.width, l.height]).toEqual([800, 500])
    expect(l.corner).toEqual([255, 255, 255])
    // Both hemispheres drawn and coloured by the map (RdBu_r for signed data), and many distinct shades.
    expect(l.surface).toBeGreaterThan(0.15)
    expect(l.colourful).toBeGreaterThan(0.05)
    expect(l.colours).toBeGreaterThan(500)
    // The figure did not add the file to the workspace's catalogue.
    const ls = await b2m(['maps', 'ls', '--json'])
    expect(JSON.parse(ls.stdout)).toEqual([])
  })

  test('one hemisphere, a colormap and threshold; --fdr colours only the significant part', async () => {
    const common = ['--map', STAT_MAP, '--pvalues', join(dir, 'p.nii.gz'), '--hemi', 'rh', '--cmap', 'hot']
    const range = ['--threshold', '0.5', '--vmin', '0', '--vmax', '8', '--width', '640', '--height', '480']
    const plain = join(dir, 'rh.png')
    const masked = join(dir, 'rh-fdr.png')
    const a = await b2m(['surface', 'render', ...common, ...range, '--out', plain])
    expect(a.code, a.stderr).toBe(0)
    const b = await b2m(['surface', 'render', ...common, ...range, '--fdr', '--out', masked])
    expect(b.code, b.stderr).toBe(0)
    keep(plain, 'render-rh-hot.png')
    keep(masked, 'render-rh-hot-fdr.png')
    const la = look(plain)
    const lb = look(masked)
    console.log(
      `[render] rh hot: colourful ${(la.colourful * 100).toFixed(1)}%, FDR q<0.05 ${(lb.colourful * 100).toFixed(1)}%`
    )
    expect([lb.width, lb.height]).toEqual([640, 480])
    // Same surface outline; the mask leaves the curvature grey where the map is not significant.
    expect(Math.abs(la.surface - lb.surface)).toBeLessThan(0.01)
    expect(lb.colourful).toBeGreaterThan(0.005)
    expect(lb.colourful).toBeLessThan(la.colourful * 0.8)

    // --fdr on a map without p-values says so.
    const c = await b2m(['surface', 'render', '--map', STAT_MAP, '--fdr', '--out', join(dir, 'no-p.png')])
    expect(c.code).toBe(2)
    expect(c.stderr).toMatch(/carries no p-values/)
    expect(existsSync(join(dir, 'no-p.png'))).toBe(false)
  })

  test('a GIfTI surface file and its other-hemisphere partner (Conte69 32k fs_LR) with per-vertex values', async () => {
    const lhFile = fixture('gifti', 'Conte69.L.inflated.32k_fs_LR.surf.gii')
    // Values from each hemisphere's own coordinates: a checkerboard-like pattern of both signs.
    const parts = (['L', 'R'] as const).map(
      (h) => readGiftiSurface(fixture('gifti', `Conte69.${h}.inflated.32k_fs_LR.surf.gii`)).positions
    )
    const n = parts[0]!.length / 3 + parts[1]!.length / 3
    expect(n).toBe(2 * 32492)
    const v = new Float32Array(n)
    let k = 0
    for (const p of parts)
      for (let i = 0; i < p.length / 3; i++) v[k++] = Math.sin(p[3 * i + 1]! / 12) * Math.cos(p[3 * i + 2]! / 15)
    const values = join(dir, 'conte.npy')
    writeNpy(values, { dtype: 'float32', shape: [n], data: v })
    const out = join(dir, 'conte.png')
    const r = await b2m([
      'surface',
      'render',
      '--map',
      values,
      '--surface',
      lhFile,
      '--width',
      '700',
      '--height',
      '450',
      '--out',
      out,
      '--json'
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({
      set: 'files:Conte69.L.inflated.32k_fs_LR.surf',
      width: 700,
      height: 450
    })
    keep(out, 'render-conte69-gifti-pair.png')
    const l = look(out)
    expect(l.surface).toBeGreaterThan(0.15)
    expect(l.colourful).toBeGreaterThan(0.1)

    // Alone, without its partner beside it, the file cannot make a figure of both hemispheres.
    const lone = join(dir, 'lone')
    mkdirSync(lone)
    copyFileSync(lhFile, join(lone, 'Conte69.L.inflated.32k_fs_LR.surf.gii'))
    const bad = await b2m([
      'surface',
      'render',
      '--map',
      values,
      '--surface',
      join(lone, 'Conte69.L.inflated.32k_fs_LR.surf.gii'),
      '--out',
      join(dir, 'lone.png')
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/is drawn with its other hemisphere: put the partner beside it/)
    expect(existsSync(join(dir, 'lone.png'))).toBe(false)
  })

  test('a vertex-count mismatch, a missing map, Chromium or renderer fail clearly and write nothing', async () => {
    const short = join(dir, 'short.npy')
    writeNpy(short, { dtype: 'float32', shape: [642], data: new Float32Array(642) })
    const out = join(dir, 'bad.png')
    const r = await b2m(['surface', 'render', '--map', short, '--surface', 'fsaverage5', '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(short)
    expect(r.stderr).toMatch(/vertex-count mismatch: the file has 642 values but fsaverage5 has 10242 \(lh\) \+ 10242/)

    const none = await b2m(['surface', 'render', '--map', '999', '--out', out])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no map 999 in the workspace/)

    const noChrome = await b2m(['surface', 'render', '--map', STAT_MAP, '--out', out], {
      B2M_CHROMIUM: join(dir, 'no-chromium')
    })
    expect(noChrome.code).toBe(1)
    expect(noChrome.stderr).toMatch(/Chromium is not installed at .*no-chromium: install Debian's chromium package/)

    const badView = await b2m(['surface', 'render', '--map', STAT_MAP, '--view', 'sideways', '--out', out])
    expect(badView.code).toBe(2)
    expect(badView.stderr).toMatch(/--view must be one of lateral, medial, dorsal, ventral/)

    expect(() => checkFigureSetup({ staticDir: join(dir, 'no-renderer'), width: 800, height: 600, out })).toThrow(
      /the renderer is not built .*: run npx electron-vite build/
    )
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('.tmp.png'))).toEqual([])
  })
})
