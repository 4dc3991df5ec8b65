/**
 * What the e2e test files do with a page, in one place: open a tab on the app, go to a view, check that
 * the page logged no errors, call the API as the browser face does, look at a canvas, stand in for the
 * Electron preload's bridge.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import {
  ensureRendererBuilt,
  launchBrowser,
  newContext,
  startServer,
  watchPage,
  type PageProblems,
  type ServerHandle
} from './harness'

/** A method of the API, called on the running server the way the browser face's transport calls it. */
export async function apiCall<T>(server: ServerHandle, method: string, params: unknown = {}): Promise<T> {
  const res = await fetch(`${server.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(params)
  })
  const body = (await res.json()) as { ok: boolean; value: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.value
}

/** `apiCall` bound to a server that a beforeAll assigns later. */
export function apiOf(server: () => ServerHandle): <T>(method: string, params?: unknown) => Promise<T> {
  return (method, params) => apiCall(server(), method, params)
}

export interface Tab {
  context: BrowserContext
  page: Page
  problems: PageProblems
}

/** Waits for the status bar to say the API connection is up. */
export async function waitConnected(page: Page): Promise<void> {
  await page.locator('[data-testid="status-connection"][data-status="connected"]').waitFor({ timeout: 15_000 })
}

/**
 * A fresh context and tab on the app, opened the way a user does (the token URL `b2m serve` printed),
 * watched for page errors, once the API is connected. `onPage` sees the page before it loads (to listen
 * for requests); `heading: false` skips waiting for the view heading.
 */
export async function openTab(
  browser: Browser,
  server: ServerHandle,
  opts: { colorScheme?: 'light' | 'dark'; heading?: boolean; onPage?: (page: Page) => void } = {}
): Promise<Tab> {
  const context = await newContext(browser, opts.colorScheme ?? 'light')
  const page = await context.newPage()
  const problems = watchPage(page)
  opts.onPage?.(page)
  await page.goto(server.url)
  if (opts.heading !== false) await page.getByTestId('view-heading').waitFor()
  await waitConnected(page)
  return { context, page, problems }
}

/**
 * What an e2e file shares between its tests: one `b2m serve`, one browser and its temporary folders; each
 * test's tab (context) is closed after it (call `closeTab` in afterEach).
 */
export class E2eSession {
  server!: ServerHandle
  browser!: Browser
  private context: BrowserContext | null = null
  private readonly dirs: string[] = []

  /** A fresh temporary folder that stop() removes. */
  scratch(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  /** Builds the renderer when stale, starts the server (on `workspace`, else a fresh one) and the browser. */
  async start(opts: { workspace?: string } = {}): Promise<void> {
    ensureRendererBuilt()
    this.server = await startServer(opts)
    this.browser = await launchBrowser()
  }

  /** A tab on the app (see openTab); closed by closeTab. */
  async open(opts: Parameters<typeof openTab>[2] = {}): Promise<Tab> {
    const tab = await openTab(this.browser, this.server, opts)
    this.context = tab.context
    return tab
  }

  /** A bare context, for a test that sets it up itself; closed by closeTab. */
  async newContext(colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
    this.context = await newContext(this.browser, colorScheme)
    return this.context
  }

  async closeTab(): Promise<void> {
    await this.context?.close()
    this.context = null
  }

  async stop(): Promise<void> {
    await this.closeTab()
    await this.browser?.close()
    await this.server?.stop()
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  }
}

/** Clicks a view in the navigation and waits for its heading. */
export async function gotoView(page: Page, name: string, title: string): Promise<void> {
  await page.getByTestId(`nav-${name}`).click()
  await expect.poll(() => page.getByTestId('view-heading').textContent()).toBe(title)
}

export function expectNoPageErrors(problems: PageProblems): void {
  expect(problems.errors, problems.errors.join('\n')).toEqual([])
}

/** Distinct colours drawn on a 2D canvas: 1 when blank. */
export function canvasColours(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
    const seen = new Set<number>()
    for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2])
    return seen.size
  })
}

/**
 * An init script standing in for the Electron preload's contextBridge: the raw {ok,value}|{ok,error}
 * bridge (window.b2mBridge), carried over HTTP and the events WebSocket. With `pickFolder`, the face
 * says it can pick folders and app.pickFolder answers with that path, as dialog.showOpenDialog would.
 * (A string, not a function: the test transform would add helpers the page does not have.)
 */
export function electronBridgeScript(token: string, opts: { pickFolder?: string } = {}): string {
  return `(() => {
    if (location.protocol !== 'http:') return // also runs on about:blank
    const token = ${JSON.stringify(token)}
    const chosen = ${JSON.stringify(opts.pickFolder ?? null)}
    const handlers = new Map()
    const ws = new WebSocket('ws://' + location.host + '/api/events?token=' + token)
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data))
      for (const h of handlers.get(m.event) ?? []) h(m.payload)
    }
    window.b2mBridge = {
      async call(method, params) {
        if (chosen !== null && method === 'app.pickFolder') return { ok: true, value: { path: chosen } }
        const r = await fetch('/api/call/' + method, {
          method: 'POST',
          headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
          body: JSON.stringify(params)
        })
        const body = await r.json()
        if (chosen !== null && method === 'app.info' && body.ok) body.value.canPickFolders = true
        return body
      },
      on(event, h) {
        if (!handlers.has(event)) handlers.set(event, new Set())
        handlers.get(event).add(h)
        return () => handlers.get(event).delete(h)
      }
    }
  })()`
}

const ENDED = ['succeeded', 'failed', 'cancelled', 'interrupted']

/**
 * Follows a job card (its data-state, the messages in `<testid>-message`) until the job ends, and expects
 * it to have succeeded, with the card's `<testid>-error` as the failure message. Resolves with the
 * messages the card showed on the way (progress is shown, not only the end).
 */
export async function followJob(job: Locator, testid: string, timeout: number): Promise<Set<string>> {
  const messages = new Set<string>()
  await expect
    .poll(
      async () => {
        messages.add((await job.getByTestId(`${testid}-message`).textContent())?.trim() ?? '')
        return ENDED.includes((await job.getAttribute('data-state'))!)
      },
      { timeout, interval: 100 }
    )
    .toBe(true)
  const error = job.getByTestId(`${testid}-error`)
  const failure = (await error.count()) ? await error.textContent() : ''
  expect(await job.getAttribute('data-state'), failure ?? '').toBe('succeeded')
  return messages
}
