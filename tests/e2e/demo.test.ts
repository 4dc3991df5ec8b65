/// <reference lib="dom" />
/**
 * The demo study from the UI, in Debian Chromium against `b2m serve` on an empty workspace: the first
 * view offers "Open the demo study"; the quick demo runs the whole pipeline with progress, shows its
 * results and self-checks, and its data, models, cortex map and clips are there in the other views.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { screenshot, watchPage, type PageProblems } from './harness'
import { E2eSession, expectNoPageErrors, waitConnected } from './page'

const app = new E2eSession()
let page: Page
let problems: PageProblems

beforeAll(async () => {
  await app.start()
  const context = await app.newContext('light')
  page = await context.newPage()
  problems = watchPage(page)
})

afterAll(() => app.stop())

describe('the demo study in the UI', () => {
  test('an empty workspace offers the demo; the quick demo runs to its results and self-checks', async () => {
    await page.goto(app.server.url)
    await waitConnected(page)
    const card = page.getByTestId('demo-card')
    await card.waitFor()
    await screenshot(page, 'demo-offer')
    await page.getByTestId('demo-open-quick').click()
    const job = page.getByTestId('demo-job')
    await job.waitFor()
    // progress moves while the pipeline runs
    await expect
      .poll(() => job.textContent(), { timeout: 120_000, interval: 500 })
      .toMatch(/importing|preprocessing|embedding|training/)
    await screenshot(page, 'demo-running')
    await page.getByTestId('demo-result').waitFor({ timeout: 540_000 })
    const id = Number(await page.getByTestId('demo-identification').textContent())
    expect(id).toBeGreaterThanOrEqual(0.7)
    const checks = await page.getByTestId('demo-check').allTextContents()
    expect(checks).toHaveLength(2)
    for (const c of checks) expect(c.startsWith('✓'), c).toBe(true)
    const report = await page.locator('[data-testid="demo-result"] code').textContent()
    expect(report && existsSync(report)).toBe(true)
    await screenshot(page, 'demo-done')
    expectNoPageErrors(problems)
  }, 600_000)

  test('the demo subject, its models and its cortex map are in the other views', async () => {
    await page.getByTestId('demo-goto-subjects').click()
    await page.getByTestId('subjects-table').waitFor()
    expect(await page.getByTestId('subjects-table').textContent()).toContain('sub-001')
    await page.getByTestId('nav-train').click()
    await expect.poll(() => page.locator('body').textContent(), { timeout: 15_000 }).toContain('demo-builtin-pca32')
    await screenshot(page, 'demo-train')
    await page.getByTestId('nav-cortex').click()
    await expect.poll(() => page.locator('body').textContent(), { timeout: 30_000 }).toContain('encoding r')
    await screenshot(page, 'demo-cortex')
    expectNoPageErrors(problems)
  }, 120_000)
})
