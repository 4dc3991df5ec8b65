/// <reference lib="dom" />
/**
 * The Train and Evaluation views end to end, in Debian Chromium against `b2m serve`. The workspace is
 * seeded through the real core's functions: the quick demo study (a simulated subject written as BIDS)
 * is imported, preprocessed, its stimuli attached and embedded, and a decoder and an encoding model are
 * trained. A third model is trained from the view's form, as a `train.encoding` job. Every number the
 * test expects is read back from `models.get`, never written by hand.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Locator, Page } from 'playwright-core'
import type { ModelDetail, ModelInfo } from '../../src-preload/api'
import { generateDemo } from '../../src-main/demo'
import { importBids } from '../../src-main/import/bids-import'
import { preprocessSubject } from '../../src-main/import/preprocess'
import { attachStimuli, computeFeatureSet, SILENT_IO } from '../../src-main/music'
import { SILENT_HOOKS, trainDecoder, trainEncoding } from '../../src-main/train'
import { Workspace } from '../../src-main/workspace'
import { screenshot, type PageProblems } from './harness'
import { apiOf, E2eSession, expectNoPageErrors, followJob, gotoView } from './page'

let dir: string
const app = new E2eSession()
let page: Page
let problems: PageProblems
let decoder: ModelDetail
let encoder: ModelDetail
/** The seeded preprocessing with FIR delays [1, 2]. */
let fir: { id: number }
/** A method of the API, called the way the browser face's transport calls it. */
const call = apiOf(() => app.server)

beforeAll(async () => {
  dir = app.scratch('b2m-e2e-train-')
  // B2M_E2E_DEMO_DIR keeps the generated study between runs (generateDemo reuses a matching one).
  const demoDir = process.env.B2M_E2E_DEMO_DIR ?? join(dir, 'demo')
  const demo = await generateDemo(demoDir, { quick: true, libraryPerGenre: 0 })
  const workspace = join(dir, 'ws')
  const ws = Workspace.open(workspace)
  let ids: [number, number]
  try {
    await importBids(ws, { path: demo.paths.bids }, SILENT_HOOKS)
    // FIR-delayed responses first (for the form's encoding model), then the clip-averaged ones: the latest.
    const pp = { subject: 'sub-001', shift: 3, detrend: 'median:240', grid: 'clip' as const, window: 15, step: 15 }
    fir = await preprocessSubject(ws, { ...pp, delays: [1, 2] }, SILENT_HOOKS)
    const pre = await preprocessSubject(ws, pp, SILENT_HOOKS)
    await attachStimuli(ws, { folder: join(demo.paths.stimuli, 'genres') }, SILENT_IO)
    // Whole 15 s clips, PCA to 16 dimensions: small enough for two cores, rich enough to identify clips.
    await computeFeatureSet(
      ws,
      { name: 'clips16', extractor: 'builtin', window: 15, step: 15, pca: 16, normalise: true },
      SILENT_IO
    )
    const common = { subject: 'sub-001', featureSet: 'clips16', preprocessing: pre.id }
    const d = await trainDecoder(ws, common, SILENT_HOOKS)
    const e = await trainEncoding(ws, common, SILENT_HOOKS)
    ids = [d.modelId, e.modelId]
  } finally {
    ws.catalogue.close()
  }
  await app.start({ workspace })
  decoder = await call<ModelDetail>('models.get', { id: ids[0] })
  encoder = await call<ModelDetail>('models.get', { id: ids[1] })
}, 600_000)

afterAll(() => app.stop())

afterEach(() => app.closeTab())

async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  ;({ page, problems } = await app.open({ colorScheme }))
  return page
}

async function selectModel(id: number): Promise<Locator> {
  await page.locator(`[data-testid="model-row"][data-model-id="${id}"]`).click()
  const detail = page.locator(`[data-testid="model-detail"][data-model-id="${id}"]`)
  await detail.waitFor({ timeout: 15_000 })
  return detail
}

/** Numbers the bars of a chart carry (data-value), in order. */
function barValues(testid: string): Promise<number[]> {
  return page.getByTestId(`${testid}-bar`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))))
}

/** Clicks an export button and returns the downloaded file's name and bytes. */
async function download(testid: string): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()])
  const path = await dl.path()
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) }
}

describe('train and evaluate', () => {
  test('the seeded models are trained and evaluated by the real core', () => {
    expect(decoder.kind).toBe('decoder')
    expect(encoder.kind).toBe('encoder')
    // The default grid: logspace(-2, 10, 25).
    expect(decoder.alphas).toHaveLength(25)
    expect(decoder.alphas[0]).toBeCloseTo(0.01, 10)
    expect(decoder.cvCurve).toHaveLength(25)
    expect(decoder.alphaCounts.reduce((a, b) => a + b, 0)).toBe(decoder.targets)
    expect(decoder.testRPerDim).toHaveLength(decoder.targets)
    expect(decoder.evaluation).not.toBeNull()
    expect(encoder.voxelRHistogram).not.toBeNull()
    expect(encoder.mapId).not.toBeNull()
  })

  test('the train view lists the models and draws a decoder’s and an encoder’s figures', async () => {
    await openApp('light')
    await gotoView(page, 'train', 'Train')
    expect(await page.getByTestId('not-built').count()).toBe(0)
    expect(await page.getByTestId('nav-train').locator('.tag').count()).toBe(0)
    await expect.poll(() => page.getByTestId('model-row').count(), { timeout: 15_000 }).toBe(2)
    // The form starts on the seeded subject and feature set, with the paper's grid and 5 folds.
    await expect.poll(() => page.getByTestId('train-subject').inputValue()).toBe('sub-001')
    expect(await page.getByTestId('train-alpha-summary').textContent()).toContain('25 alphas from 10⁻² to 10¹⁰')
    expect(await page.getByTestId('train-folds').inputValue()).toBe('5')

    // Decoder: CV curve (one point per alpha), chosen-alpha histogram, test r per dimension.
    await selectModel(decoder.id)
    await expect.poll(() => page.getByTestId('chart-cv-point').count()).toBe(decoder.alphas.length)
    expect(await barValues('chart-alphas')).toEqual(decoder.alphaCounts)
    const dims = await barValues('chart-dims')
    expect(dims).toHaveLength(decoder.targets)
    dims.forEach((v, i) => expect(v).toBeCloseTo(decoder.testRPerDim![i], 6))
    expect(await page.getByTestId('edge-warning').count()).toBe(decoder.edgeWarning ? 1 : 0)
    expect(await page.getByTestId('model-eval-line').textContent()).toContain(
      String(Number(decoder.evaluation!.identification.toPrecision(3)))
    )
    // Hovering the CV curve reads a point back.
    const cv = page.getByTestId('chart-cv')
    const box = (await cv.boundingBox())!
    await cv.hover({ position: { x: box.width * 0.5, y: box.height * 0.5 } })
    await expect.poll(() => page.getByTestId('chart-cv-readout').textContent()).toMatch(/alpha = .* mean CV r/)
    await page.getByTestId('model-detail').scrollIntoViewIfNeeded()
    await screenshot(page, 'train-decoder-light')

    // Encoder: the voxel-r histogram holds every voxel; "Show on cortex" opens its map.
    await selectModel(encoder.id)
    await expect.poll(() => page.getByTestId('chart-cv-point').count()).toBe(encoder.alphas.length)
    const hist = await barValues('chart-voxels')
    expect(hist).toEqual(encoder.voxelRHistogram!.counts)
    expect(await page.getByTestId('chart-dims').count()).toBe(0)
    await page.getByTestId('model-detail').scrollIntoViewIfNeeded()
    await screenshot(page, 'train-encoder-light')
    await page.getByTestId('show-on-cortex').click()
    await expect.poll(() => page.getByTestId('view-heading').textContent()).toBe('Cortex')
    await expect
      .poll(() => page.getByTestId('cortex-map-a').inputValue(), { timeout: 15_000 })
      .toBe(String(encoder.mapId))
    expectNoPageErrors(problems)
  })

  test('a training started from the form shows its progress to completion, then its figures', async () => {
    await openApp('light')
    await gotoView(page, 'train', 'Train')
    await expect.poll(() => page.getByTestId('model-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2)
    const before = await page.getByTestId('model-row').count()
    await page.getByTestId('train-direction-encoding').check()
    // The delays offered are those the subject's responses were preprocessed with.
    expect(await page.getByTestId('train-delays').locator('option').allTextContents()).toEqual([
      'none: clip-averaged responses',
      '1, 2'
    ])
    await page.getByTestId('train-delays').selectOption('1,2')
    await expect.poll(() => page.getByTestId('train-responses').textContent()).toContain(`preprocessing #${fir.id}`)
    await page.getByTestId('train-alpha-lo').fill('-1')
    await page.getByTestId('train-alpha-hi').fill('5')
    await page.getByTestId('train-alpha-count').fill('7')
    await page.getByTestId('train-name').fill('ui encoder')
    expect(await page.getByTestId('train-alpha-summary').textContent()).toContain('7 alphas from 10⁻¹ to 10⁵')
    // A bad setting is refused before anything starts.
    await page.getByTestId('train-folds').fill('1')
    expect(await page.getByTestId('train-problem').textContent()).toContain('2 to 100 folds')
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true)
    await page.getByTestId('train-folds').fill('3')
    await page.getByTestId('train-start').click()

    const job = page.getByTestId('train-job')
    await job.waitFor()
    const messages = await followJob(job, 'train-job', 240_000)
    expect([...messages].some((m) => m.length > 0)).toBe(true)
    expect(await job.getByTestId('train-job-percent').textContent()).toBe('100%')
    await expect.poll(() => job.getByTestId('job-log-line').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    const idText = (await job.getByTestId('train-result').textContent()) ?? ''
    const id = Number(/#(\d+)/.exec(idText)?.[1])
    expect(Number.isInteger(id)).toBe(true)

    // The new model is listed, selected, and drawn with the grid it was trained on.
    await expect.poll(() => page.getByTestId('model-row').count()).toBe(before + 1)
    await page.locator(`[data-testid="model-detail"][data-model-id="${id}"]`).waitFor({ timeout: 15_000 })
    const made = await call<ModelDetail>('models.get', { id })
    expect(made.name).toBe('ui encoder')
    expect(made.kind).toBe('encoder')
    expect(made.params.folds).toBe(3)
    expect(made.params.delays).toEqual([1, 2])
    expect(made.alphas).toHaveLength(7)
    expect(made.alphas[0]).toBeCloseTo(0.1, 10)
    expect(made.alphas[6]).toBeCloseTo(1e5, 4)
    await expect.poll(() => page.getByTestId('chart-cv-point').count()).toBe(7)
    expect(await barValues('chart-alphas')).toEqual(made.alphaCounts)
    expect(await barValues('chart-voxels')).toEqual(made.voxelRHistogram!.counts)
    await screenshot(page, 'train-form-done-light')

    // Deleting it (two clicks: the first asks again) removes it from the list and the catalogue.
    await page.getByTestId('model-delete').click()
    await page.getByTestId('model-delete').click()
    await expect.poll(() => page.getByTestId('model-row').count()).toBe(before)
    const left = await call<ModelInfo[]>('models.list', {})
    expect(left.some((m) => m.id === id)).toBe(false)
    expectNoPageErrors(problems)
  }, 300_000)

  test('a training can be cancelled from the view; nothing of it is kept', async () => {
    await openApp('light')
    await gotoView(page, 'train', 'Train')
    await expect.poll(() => page.getByTestId('model-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2)
    const before = (await call<ModelInfo[]>('models.list', {})).length
    // A long one: 200 alphas and 10 folds over every voxel.
    await page.getByTestId('train-direction-encoding').check()
    await page.getByTestId('train-alpha-count').fill('200')
    await page.getByTestId('train-folds').fill('10')
    await page.getByTestId('train-start').click()
    const job = page.getByTestId('train-job')
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('running')
    await job.getByTestId('train-job-cancel').click()
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled')
    expect(await job.textContent()).toContain('Cancelled: no model was saved.')
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false)
    expect((await call<ModelInfo[]>('models.list', {})).length).toBe(before)
    expectNoPageErrors(problems)
  }, 120_000)

  test('the evaluation view: accuracy against chance and oracle, per clip, per genre, the matrix, exports', async () => {
    const ev = decoder.evaluation!
    await openApp('light')
    await gotoView(page, 'evaluation', 'Evaluation')
    await expect
      .poll(() => page.getByTestId('evaluation-model').inputValue(), { timeout: 15_000 })
      .toBe(String(decoder.id))
    expect(new URL(page.url()).hash).toBe(`#/evaluation?model=${decoder.id}`)
    await expect
      .poll(() => page.getByTestId('evaluation-identification').textContent())
      .toBe(ev.identification.toFixed(3))
    expect(await page.getByTestId('evaluation-n').textContent()).toBe(String(ev.n))

    // Accuracy bars: the decoder (and the oracle when there is one), the chance line at 0.5.
    const acc = await barValues('chart-accuracy')
    expect(acc[0]).toBeCloseTo(ev.identification, 9)
    expect(acc).toHaveLength(ev.oracle === null ? 1 : 2)
    expect(Number(await page.getByTestId('chart-accuracy-ref').getAttribute('data-value'))).toBe(0.5)
    // Per clip: ten bins over [0, 1] holding every test clip.
    const perSample = await barValues('chart-per-sample')
    expect(perSample).toHaveLength(10)
    expect(perSample.reduce((a, b) => a + b, 0)).toBe(ev.n)
    // Per genre: one bar per genre, its accuracy.
    const genres = await barValues('chart-genre')
    expect(genres).toHaveLength(ev.perGenre.length)
    genres.forEach((v, i) => expect(v).toBeCloseTo(ev.perGenre[i].accuracy, 9))
    // The matrix: n x n cells; pointing at cell (i, j) reads C_ij.
    const heat = page.getByTestId('heatmap')
    expect(Number(await heat.getAttribute('data-n'))).toBe(ev.n)
    expect(await page.getByTestId('heatmap-cell').count()).toBe(ev.n * ev.n)
    const [i, j] = [1, ev.n - 1]
    await page
      .getByTestId('heatmap-cell')
      .nth(i * ev.n + j)
      .hover()
    const value = page.getByTestId('heatmap-value')
    await value.waitFor()
    expect(await value.getAttribute('data-i')).toBe(String(i))
    expect(await value.getAttribute('data-j')).toBe(String(j))
    const shown = Number(/= (-?[\d.e+-]+)/.exec((await value.textContent()) ?? '')?.[1])
    expect(shown).toBeCloseTo(ev.matrix[i * ev.n + j], 3)
    await page.getByTestId('fig-matrix').scrollIntoViewIfNeeded()
    await screenshot(page, 'evaluation-matrix-light')

    // Exports: the figure as SVG and PNG, its numbers as CSV and JSON.
    const svg = await download('fig-accuracy-export-svg')
    expect(svg.name).toBe(`model-${decoder.id}-evaluation-accuracy.svg`)
    const svgText = svg.bytes.toString('utf8')
    expect(svgText.startsWith('<?xml')).toBe(true)
    expect(svgText).toContain('xmlns="http://www.w3.org/2000/svg"')
    expect(svgText).not.toContain('var(--') // theme colours resolved: the file stands alone
    expect(svgText.match(/<rect /g)!.length).toBeGreaterThanOrEqual(acc.length + 1)
    const png = await download('fig-matrix-export-png')
    expect(png.name).toBe(`model-${decoder.id}-evaluation-matrix.png`)
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    expect(png.bytes.readUInt32BE(16)).toBeGreaterThan(200) // width from the IHDR chunk, at 2x
    const csv = await download('fig-matrix-export-csv')
    const lines = csv.bytes.toString('utf8').trimEnd().split('\r\n')
    expect(lines).toHaveLength(ev.n + 1)
    expect(lines[0].split(',')).toHaveLength(ev.n + 1)
    expect(Number(lines[1 + i].split(',')[1 + j])).toBeCloseTo(ev.matrix[i * ev.n + j], 12)
    const genreJson = JSON.parse((await download('fig-genre-export-json')).bytes.toString('utf8')) as {
      genre: string
      identification_accuracy: number
      clips: number
    }[]
    expect(genreJson.map((g) => g.genre)).toEqual(ev.perGenre.map((g) => g.genre))
    expect(genreJson.map((g) => g.clips)).toEqual(ev.perGenre.map((g) => g.n))
    const all = JSON.parse((await download('evaluation-export-json')).bytes.toString('utf8')) as {
      evaluation: { identification: number; perSample: number[] }
    }
    expect(all.evaluation.identification).toBe(ev.identification)
    expect(all.evaluation.perSample).toEqual(ev.perSample)
    const summary = (await download('evaluation-export-csv')).bytes.toString('utf8').trimEnd().split('\r\n')
    expect(summary[0]).toBe('measure,of,value')
    expect(summary).toHaveLength(1 + 4 + ev.perGenre.length + ev.n)
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.locator('.main').evaluate((el) => el.scrollTo(0, 0))
    await screenshot(page, 'evaluation-decoder-light')
    expectNoPageErrors(problems)
  })

  test('both themes: train and evaluation in dark', async () => {
    await openApp('dark')
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
    await gotoView(page, 'train', 'Train')
    await selectModel(decoder.id)
    await expect.poll(() => page.getByTestId('chart-cv-point').count()).toBe(decoder.alphas.length)
    await screenshot(page, 'train-models-dark')
    await page.getByTestId('model-detail').scrollIntoViewIfNeeded()
    await screenshot(page, 'train-decoder-dark')
    await page.getByTestId('goto-evaluation').click()
    await expect.poll(() => page.getByTestId('view-heading').textContent()).toBe('Evaluation')
    await expect
      .poll(() => page.getByTestId('heatmap-cell').count(), { timeout: 15_000 })
      .toBe(decoder.evaluation!.n ** 2)
    await screenshot(page, 'evaluation-decoder-dark')
    await page.getByTestId('fig-matrix').scrollIntoViewIfNeeded()
    await page.getByTestId('heatmap-cell').nth(0).hover()
    await page.getByTestId('heatmap-value').waitFor()
    await screenshot(page, 'evaluation-matrix-dark')
    expectNoPageErrors(problems)
  })
})
