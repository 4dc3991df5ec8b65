import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Locator, Page } from 'playwright-core'
import WebSocket from 'ws'
import { screenshot, startServer, watchPage, type PageProblems } from './harness'
import { E2eSession, electronBridgeScript, expectNoPageErrors, gotoView as goto, waitConnected } from './page'

const VIEWS = [
  { name: 'import', title: 'Import' },
  { name: 'subjects', title: 'Subjects & runs' },
  { name: 'train', title: 'Train' },
  { name: 'evaluation', title: 'Evaluation' },
  { name: 'cortex', title: 'Cortex' },
  { name: 'music', title: 'Music' },
  { name: 'decode', title: 'Decode & playback' },
  { name: 'jobs', title: 'Jobs' }
] as const

const app = new E2eSession()
let page: Page
let problems: PageProblems

beforeAll(() => app.start())

afterAll(() => app.stop())

afterEach(() => app.closeTab())

/** A fresh tab on the app, opened the way a user does: with the token URL `b2m serve` printed. */
async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  ;({ page, problems } = await app.open({ colorScheme }))
  return page
}

/** Here a view also owns its address: #/name. */
async function gotoView(name: string, title: string): Promise<void> {
  await goto(page, name, title)
  expect(new URL(page.url()).hash).toBe(`#/${name}`)
}

/** Starts a benchmark from the form and returns the new job's card. */
async function startBenchmark(size: number, repeats: number): Promise<Locator> {
  const before = await page.getByTestId('job-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id')))
  await page.getByTestId('bench-size').fill(String(size))
  await page.getByTestId('bench-repeats').fill(String(repeats))
  await page.getByTestId('start-benchmark').click()
  let id: string | undefined
  await expect
    .poll(
      async () => {
        const now = await page
          .getByTestId('job-row')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id')))
        id = now.find((x) => x && !before.includes(x)) ?? undefined
        return id
      },
      { timeout: 15_000 }
    )
    .toBeTruthy()
  return page.locator(`[data-testid="job-row"][data-job-id="${id}"]`)
}

describe('browser face', () => {
  test('the token gates the page, the API and the event stream', async () => {
    const noToken = await fetch(`${app.server.origin}/`)
    expect(noToken.status).toBe(401)

    const callNoToken = await fetch(`${app.server.origin}/api/call/app.info`)
    expect(callNoToken.status).toBe(401)
    const body = (await callNoToken.json()) as { ok: boolean; error: { code: string } }
    expect(body.ok).toBe(false)
    expect(body.error.code).toBe('unauthorized')

    const wrong = await fetch(`${app.server.origin}/api/call/app.info`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.server.token}x`, 'Content-Type': 'application/json' },
      body: '{}'
    })
    expect(wrong.status).toBe(401)

    const right = await fetch(`${app.server.origin}/api/call/app.info`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.server.token}`, 'Content-Type': 'application/json' },
      body: '{}'
    })
    expect(right.status).toBe(200)
    const info = (await right.json()) as { ok: boolean; value: { workspace: string; face: string } }
    expect(info.ok).toBe(true)
    expect(info.value.workspace).toBe(app.server.workspace)

    const withToken = await fetch(app.server.url)
    expect(withToken.status).toBe(200)
    expect(await withToken.text()).toContain('<div id="app">')

    // The event stream refuses a socket without the token.
    const wsStatus = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(`ws://${app.server.host}:${app.server.port}/api/events`)
      ws.on('open', () => {
        ws.close()
        resolve('open')
      })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', (e) => resolve(e.message))
    })
    expect(wsStatus).toBe(401)

    // In the browser: the app loads, the token leaves the address bar but stays for this tab.
    await openApp()
    expect(new URL(page.url()).searchParams.has('token')).toBe(false)
    expect(await page.evaluate<string | null>("sessionStorage.getItem('b2m.token')")).toBe(app.server.token)
    // A reload (no token in the URL now) still works.
    await page.reload()
    await page.getByTestId('view-heading').waitFor()
    await waitConnected(page)
    expectNoPageErrors(problems)
  })

  test('every view opens from the sidebar, in both themes, without errors', async () => {
    await openApp('light')
    for (const theme of ['light', 'dark'] as const) {
      if ((await page.locator('html').getAttribute('data-theme')) !== theme)
        await page.getByTestId('theme-toggle').click()
      await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme)
      for (const v of VIEWS) {
        await gotoView(v.name, v.title)
        // Counts and app.info have arrived before the picture is taken.
        await expect.poll(() => page.getByTestId('status-workspace').textContent()).toContain(app.server.workspace)
        await screenshot(page, `${v.name}-${theme}`)
      }
    }
    // Views that are not built say so, and the sidebar tags exactly those as planned; the built ones do
    // not pretend otherwise.
    const plannedViews: string[] = []
    for (const v of VIEWS) {
      await gotoView(v.name, v.title)
      const notBuilt = await page.getByTestId('not-built').count()
      const tagged = await page.getByTestId(`nav-${v.name}`).locator('.tag').count()
      expect(notBuilt, v.name).toBe(tagged)
      if (tagged) plannedViews.push(v.name)
    }
    // The foundation's own views are real.
    expect(plannedViews).not.toContain('jobs')
    expect(plannedViews).not.toContain('subjects')
    await gotoView('subjects', 'Subjects & runs')
    await page.getByTestId('subjects-empty').waitFor()
    await gotoView('import', 'Import')
    expect(await page.getByTestId('workspace-path').textContent()).toBe(app.server.workspace)
    expectNoPageErrors(problems)
  })

  test('a long benchmark shows progress and can be cancelled', async () => {
    await openApp()
    await gotoView('jobs', 'Jobs')
    const job = await startBenchmark(512, 6000)
    await expect
      .poll(async () => Number(await job.getByTestId('job-progress').getAttribute('data-progress')), {
        timeout: 30_000
      })
      .toBeGreaterThan(0)
    expect(await job.getAttribute('data-state')).toBe('running')
    expect(await job.getByTestId('job-message').textContent()).toMatch(/repeat \d+\/6000/)
    // A moment later, for a picture with a visible bar (the job may finish on a fast machine: fine).
    await job.getByTestId('job-log-toggle').click()
    await expect
      .poll(async () => Number(await job.getByTestId('job-progress').getAttribute('data-progress')), {
        timeout: 30_000
      })
      .toBeGreaterThan(0.05)
    await screenshot(page, 'jobs-running-light')
    await job.getByTestId('job-cancel').click()
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled')
    await expect.poll(() => job.getByTestId('job-state').textContent()).toContain('cancelled')
    expect(await job.getByTestId('job-cancel').count()).toBe(0)
    expect(Number(await job.getByTestId('job-progress').getAttribute('data-progress'))).toBeLessThan(1)
    expectNoPageErrors(problems)
  })

  test('a short benchmark succeeds, with its result and log', async () => {
    await openApp('dark')
    await gotoView('jobs', 'Jobs')
    const job = await startBenchmark(128, 5)
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('succeeded')
    expect(Number(await job.getByTestId('job-progress').getAttribute('data-progress'))).toBe(1)
    expect(await job.getByTestId('job-result').textContent()).toMatch(/GFLOP\/s/)
    await job.getByTestId('job-log-toggle').click()
    const lines = job.getByTestId('job-log-line')
    await expect.poll(() => lines.count(), { timeout: 15_000 }).toBeGreaterThan(0)
    expect((await job.getByTestId('job-log').textContent()) ?? '').toMatch(/MatMul 128x128/)
    await screenshot(page, 'jobs-log-dark')

    // The workspace check runs too (an empty workspace verifies trivially).
    const before = await page.getByTestId('job-row').count()
    await page.getByTestId('start-verify').click()
    await expect.poll(() => page.getByTestId('job-row').count()).toBe(before + 1)
    const verify = page.locator('[data-testid="job-row"][data-kind="workspace.verify"]').first()
    await expect.poll(() => verify.getAttribute('data-state'), { timeout: 60_000 }).toBe('succeeded')
    expectNoPageErrors(problems)
  })

  test('the status bar shows the compute device, workspace, counts, face and link', async () => {
    await openApp()
    await expect.poll(() => page.getByTestId('status-device').textContent()).toContain('CPU')
    expect(await page.getByTestId('status-device').textContent()).toMatch(/ONNX Runtime \d+\.\d+/)
    expect(await page.getByTestId('status-workspace').textContent()).toContain(app.server.workspace)
    expect(await page.getByTestId('status-face').getAttribute('data-face')).toBe('browser')
    await expect.poll(() => page.getByTestId('status-counts').textContent()).toMatch(/\d+ jobs?/)
    expect(await page.getByTestId('status-connection').textContent()).toContain('Connected')
    expectNoPageErrors(problems)
  })

  test('the theme follows the system until toggled, and the choice persists', async () => {
    await openApp('dark')
    const html = page.locator('html')
    expect(await html.getAttribute('data-theme')).toBe('dark')
    const bg = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor')
    const darkBg = await bg()
    await page.getByTestId('theme-toggle').click()
    expect(await html.getAttribute('data-theme')).toBe('light')
    expect(await bg()).not.toBe(darkBg)
    expect(await page.evaluate<string | null>("localStorage.getItem('b2m.theme')")).toBe('light')
    await page.reload()
    await page.getByTestId('view-heading').waitFor()
    expect(await html.getAttribute('data-theme')).toBe('light')
    await page.getByTestId('theme-toggle').click()
    expect(await html.getAttribute('data-theme')).toBe('dark')
    expect(await bg()).toBe(darkBg)
    expectNoPageErrors(problems)
  })

  test('the same UI runs over an Electron-style bridge (window.b2mBridge)', async () => {
    const context = await app.newContext()
    // Stand-in for the preload's contextBridge (see electronBridgeScript).
    await context.addInitScript(electronBridgeScript(app.server.token))
    page = await context.newPage()
    problems = watchPage(page)
    await page.goto(app.server.url)
    await page.getByTestId('view-heading').waitFor()
    await expect.poll(() => page.getByTestId('status-face').getAttribute('data-face')).toBe('electron')
    expect(await page.getByTestId('status-connection').getAttribute('data-status')).toBe('connected')
    await expect.poll(() => page.getByTestId('status-device').textContent()).toContain('CPU')
    await gotoView('jobs', 'Jobs')
    const job = await startBenchmark(64, 3)
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('succeeded')
    expectNoPageErrors(problems)
  })

  test('a dropped event stream is shown and retried', async () => {
    const other = await startServer()
    try {
      const context = await app.newContext()
      page = await context.newPage()
      await page.goto(other.url)
      await waitConnected(page)
      await other.stop()
      // (The browser logs the refused connections: expected here, so errors are not asserted.)
      await page.locator('[data-testid="status-connection"][data-status="reconnecting"]').waitFor({ timeout: 15_000 })
      expect(await page.getByTestId('status-connection').textContent()).toMatch(/Reconnecting/)
      await screenshot(page, 'reconnecting-light')
    } finally {
      await other.stop()
    }
  })
})
