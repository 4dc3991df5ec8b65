/// <reference lib="dom" />
/**
 * The Import and Subjects & runs views end to end, in Debian Chromium against `b2m serve`: a small
 * ds003720-like data set (real sidecars and events, synthetic BOLD) is previewed, imported, inspected
 * (mean-image slice, a voxel's time series with its stimulus clips) and preprocessed from the UI; a
 * broken copy fails naming its file.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { screenshot, type PageProblems } from './harness'
import { apiCall, canvasColours, E2eSession, expectNoPageErrors, followJob, gotoView } from './page'
import { GRID, VOLUMES, writeMiniDs003720 } from '../helpers/mini-bids'

let dir: string
let good: string
let bad: string
const app = new E2eSession()
let page: Page
let problems: PageProblems

beforeAll(async () => {
  dir = app.scratch('b2m-e2e-import-')
  good = join(dir, 'ds003720-mini')
  bad = join(dir, 'ds003720-bad-tr')
  await writeMiniDs003720(good)
  await writeMiniDs003720(bad)
  const sidecar = join(bad, 'sub-001', 'func', 'sub-001_task-Training_run-02_bold.json')
  writeFileSync(sidecar, JSON.stringify({ ...JSON.parse(readFileSync(sidecar, 'utf8')), RepetitionTime: 2.0 }))
  await app.start()
})

afterAll(() => app.stop())

afterEach(() => app.closeTab())

async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  ;({ page, problems } = await app.open({ colorScheme }))
  return page
}

async function preview(path: string): Promise<void> {
  await page.getByTestId('import-path').fill(path)
  await page.getByTestId('import-preview').click()
  await page.getByTestId('preview-summary').waitFor({ timeout: 30_000 })
  await expect.poll(() => page.getByTestId('preview-summary').locator('code').first().textContent()).toBe(path)
}

/** The red channel of the canvas pixel at (fx, fy), fractions of its width and height. */
function canvasGray(fx: number, fy: number): Promise<number> {
  return page.getByTestId('slice-canvas').evaluate(
    (el, [x, y]) => {
      const c = el as HTMLCanvasElement
      return c.getContext('2d')!.getImageData(Math.floor(x * c.width), Math.floor(y * c.height), 1, 1).data[0]
    },
    [fx, fy]
  )
}

/** Clicks the centre of displayed voxel (row r, column c) of the slice canvas. */
async function clickCell(r: number, c: number): Promise<void> {
  const canvas = page.getByTestId('slice-canvas')
  const box = (await canvas.boundingBox())!
  const rows = Number(await canvas.getAttribute('data-rows'))
  const cols = Number(await canvas.getAttribute('data-cols'))
  await canvas.click({ position: { x: ((c + 0.5) * box.width) / cols, y: ((r + 0.5) * box.height) / rows } })
}

describe('import and inspect a BIDS data set', () => {
  test('the import view starts empty and explains itself; the browser face has no folder dialog', async () => {
    await openApp()
    await gotoView(page, 'import', 'Import')
    await page.getByTestId('import-empty').waitFor()
    expect(await page.getByTestId('not-built').count()).toBe(0)
    expect(await page.getByTestId('nav-import').locator('.tag').count()).toBe(0)
    expect(await page.getByTestId('import-pick').count()).toBe(0)
    expect(await page.getByTestId('workspace-path').textContent()).toBe(app.server.workspace)
    await gotoView(page, 'subjects', 'Subjects & runs')
    await page.getByTestId('subjects-empty').waitFor()
    expectNoPageErrors(problems)
  })

  test('preview, import with progress, then the runs, a slice and a voxel time series', async () => {
    await openApp('light')
    await gotoView(page, 'import', 'Import')
    await preview(good)
    const runs = page.getByTestId('preview-run')
    expect(await runs.count()).toBe(3)
    for (let i = 0; i < 3; i++) {
      const row = runs.nth(i)
      expect(await row.getAttribute('data-importable')).toBe('true')
      expect(await row.getByTestId('preview-tr').textContent()).toBe('1.5')
      expect(await row.getByTestId('preview-events').textContent()).toBe('41')
      expect(await row.getByTestId('preview-volumes').textContent()).toBe(String(VOLUMES))
      expect(await row.getByTestId('preview-shape').textContent()).toBe(GRID.join(' × '))
    }
    expect(await page.getByTestId('preview-subject-check').isChecked()).toBe(true)
    await screenshot(page, 'import-preview-light')

    // Import, following the job's progress until it succeeds.
    await page.getByTestId('import-start').click()
    const job = page.getByTestId('import-job')
    await job.waitFor()
    const seen = await followJob(job, 'import-job', 90_000)
    expect(Number(await job.getByTestId('job-progress').getAttribute('data-progress'))).toBe(1)
    expect(await job.getByTestId('import-job-percent').textContent()).toBe('100%')
    expect([...seen].some((m) => m.length > 0)).toBe(true)
    await expect.poll(() => job.getByTestId('import-result-imported').textContent()).toBe('3')
    await expect.poll(() => job.getByTestId('job-log-line').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    expect(await job.getByTestId('job-log').textContent()).toMatch(/sub-001: 3 run\(s\) imported, 0 unchanged/)
    // The preview refreshes: every run now says it is already imported.
    await expect
      .poll(() => page.locator('[data-testid="preview-status"]').allTextContents())
      .toEqual(['already imported', 'already imported', 'already imported'])
    await screenshot(page, 'import-done-light')

    // Subjects & runs: three runs; the first one's slice draws; a voxel in the brain plots 410 points.
    await page.getByTestId('goto-subjects').click()
    await expect.poll(() => page.getByTestId('view-heading').textContent()).toBe('Subjects & runs')
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 15_000 }).toBe(3)
    await page.getByTestId('run-hint').waitFor()
    await page.locator('[data-testid="run-row"][data-task="Training"][data-run="1"]').click()
    const canvas = page.getByTestId('slice-canvas')
    await canvas.waitFor()
    expect(await canvas.getAttribute('data-axis')).toBe('axial')
    expect(await canvas.getAttribute('data-index')).toBe(String(Math.floor(GRID[2] / 2)))
    expect(Number(await canvas.getAttribute('data-rows'))).toBe(GRID[1])
    expect(Number(await canvas.getAttribute('data-cols'))).toBe(GRID[0])
    await expect.poll(() => canvasColours(page.getByTestId('slice-canvas'))).toBeGreaterThan(2)
    // The synthetic brain is bright in the middle of the slice, the background dark in its corner.
    expect(await canvasGray(0.5, 0.5)).toBeGreaterThan(200)
    expect(await canvasGray(0.02, 0.02)).toBeLessThan(30)
    // Voxels look like voxels: the drawn image keeps the grid's aspect ratio.
    const box = (await canvas.boundingBox())!
    expect(box.width / box.height).toBeCloseTo(GRID[0] / GRID[1], 2)
    await page.getByTestId('timeseries-empty').waitFor()

    // Centre of the axial slice: row 9 -> y = 18 - 1 - 9 = 8, column 8 -> x = 8, z = 6: inside the brain.
    await clickCell(9, 8)
    await expect.poll(() => page.getByTestId('timeseries-voxel').textContent()).toBe('[8, 8, 6]')
    const path = page.getByTestId('timeseries-path')
    await path.waitFor({ timeout: 15_000 })
    expect(await path.getAttribute('data-points')).toBe(String(VOLUMES))
    const d = (await path.getAttribute('d')) ?? ''
    expect(d.match(/[ML]/g)?.length).toBe(VOLUMES)
    // The run's 41 clips are bands behind the line, with a legend of their genres.
    await expect.poll(() => page.getByTestId('timeseries-bands').locator('rect').count()).toBe(41)
    expect(await page.getByTestId('timeseries-legend').locator('li').count()).toBe(10)
    await page.getByTestId('timeseries-plot').hover({ position: { x: 300, y: 100 } })
    await expect.poll(() => page.getByTestId('timeseries-readout').textContent()).toMatch(/t = [\d.]+ s \(volume \d+\)/)
    await page.getByTestId('timeseries').scrollIntoViewIfNeeded()
    await screenshot(page, 'subjects-run-light')

    // The corner of the slice is background: outside the mask.
    await clickCell(0, 0)
    await expect.poll(() => page.getByTestId('timeseries-voxel').textContent()).toBe(`[0, ${GRID[1] - 1}, 6]`)
    await expect
      .poll(() => page.getByTestId('timeseries-outside').textContent(), { timeout: 15_000 })
      .toContain('outside the mask')
    expect(await page.getByTestId('timeseries-path').count()).toBe(0)

    // Another orientation and slice still draw, and a sagittal click maps to x = the slice index.
    await page.getByTestId('axis-sagittal').click()
    await expect.poll(() => canvas.getAttribute('data-axis')).toBe('sagittal')
    expect(Number(await canvas.getAttribute('data-cols'))).toBe(GRID[1])
    expect(Number(await canvas.getAttribute('data-rows'))).toBe(GRID[2])
    await expect.poll(() => canvasColours(page.getByTestId('slice-canvas'))).toBeGreaterThan(2)
    await clickCell(5, 9) // row 5 -> z = 12 - 1 - 5 = 6, column 9 -> y = 9, x = the slice (8)
    await expect.poll(() => page.getByTestId('timeseries-voxel').textContent()).toBe('[8, 9, 6]')
    await expect.poll(() => page.getByTestId('timeseries-path').getAttribute('data-points')).toBe(String(VOLUMES))
    await page.getByTestId('mask-overlay').selectOption('tint')
    await expect.poll(() => canvasColours(page.getByTestId('slice-canvas'))).toBeGreaterThan(2)
    expectNoPageErrors(problems)
  })

  test('preprocessing from the import view makes 80 train rows', async () => {
    await openApp('light')
    await gotoView(page, 'import', 'Import')
    const panel = page.getByTestId('preprocess-panel')
    await expect.poll(() => panel.getByTestId('pp-subject').inputValue()).toBe('sub-001')
    expect(await panel.getByTestId('pp-shift').inputValue()).toBe('3')
    expect(await panel.getByTestId('pp-detrend').inputValue()).toBe('median')
    await panel.getByTestId('pp-start').click()
    const job = page.getByTestId('preprocess-job')
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 90_000 }).toBe('succeeded')
    const row = page.getByTestId('preprocessing-row').first()
    await row.waitFor({ timeout: 15_000 })
    expect(await row.getAttribute('data-train-rows')).toBe('80')
    expect(await row.getByTestId('pp-train').textContent()).toMatch(/^80 × \d+$/)
    expect(await row.getByTestId('pp-test').textContent()).toMatch(/^10 × \d+$/)
    expect(await row.textContent()).toContain('detrend median:240')
    await panel.scrollIntoViewIfNeeded()
    await screenshot(page, 'import-preprocessed-light')
    expectNoPageErrors(problems)
  })

  test('a data set with a broken sidecar TR fails, naming the file, and imports nothing', async () => {
    await openApp('light')
    await gotoView(page, 'import', 'Import')
    await preview(bad)
    // The preview already says which run is wrong and why.
    const broken = page.locator('[data-testid="preview-run"][data-task="Training"][data-run="2"]')
    expect(await broken.getAttribute('data-importable')).toBe('false')
    expect(await page.getByTestId('preview-summary').textContent()).toMatch(/error/)
    const runsBefore = await fetchRunsCount()
    await page.getByTestId('import-start').click()
    const job = page.getByTestId('import-job')
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('failed')
    const error = job.getByTestId('import-job-error')
    expect(await error.textContent()).toMatch(/TR mismatch: .*sub-001_task-Training_run-02_bold\.json/)
    expect(await error.textContent()).toContain('Nothing was imported')
    expect(await fetchRunsCount()).toBe(runsBefore)
    await screenshot(page, 'import-failed-light')
    expectNoPageErrors(problems)
  })

  test('both themes: the import view and a run with its time series', async () => {
    await openApp('dark')
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
    await gotoView(page, 'import', 'Import')
    await preview(good)
    await screenshot(page, 'import-preview-dark')
    await gotoView(page, 'subjects', 'Subjects & runs')
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 15_000 }).toBe(3)
    await page.locator('[data-testid="run-row"][data-task="Test"]').click()
    await page.getByTestId('slice-canvas').waitFor()
    await expect.poll(() => canvasColours(page.getByTestId('slice-canvas'))).toBeGreaterThan(2)
    await clickCell(9, 8)
    await page.getByTestId('timeseries-path').waitFor({ timeout: 15_000 })
    await page.getByTestId('timeseries').scrollIntoViewIfNeeded()
    await screenshot(page, 'subjects-run-dark')
    expectNoPageErrors(problems)
  })
})

async function fetchRunsCount(): Promise<number> {
  return (await apiCall<{ runs: number }>(app.server, 'catalogue.counts')).runs
}
