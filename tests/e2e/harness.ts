/**
 * End-to-end harness: the browser face (`b2m serve`) as a child process on a fresh workspace, and
 * Debian Chromium driven by playwright-core. Reusable by any e2e test file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const ROOT = resolve(__dirname, '..', '..')
export const RENDERER_OUT = join(ROOT, 'out', 'renderer')
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots')
export const CHROMIUM = process.env.B2M_CHROMIUM ?? '/usr/bin/chromium'

export interface ServeInfo {
  url: string
  host: string
  port: number
  token: string
}

export interface ServerHandle extends ServeInfo {
  /** http://host:port, no token. */
  origin: string
  workspace: string
  proc: ChildProcess
  /** Everything the server wrote to stderr so far (for failure messages). */
  stderr(): string
  /** SIGTERM, wait for exit (SIGKILL after a grace period), remove a workspace we created. */
  stop(): Promise<void>
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = statSync(p)
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs)
  }
  return newest
}

/**
 * The server serves out/renderer; build it when missing or older than its sources, so a test run
 * never checks a stale UI. Set B2M_E2E_NO_BUILD=1 to skip (CI that built already).
 */
export function ensureRendererBuilt(): void {
  if (process.env.B2M_E2E_NO_BUILD === '1') return
  const index = join(RENDERER_OUT, 'index.html')
  const sources = Math.max(
    newestMtime(join(ROOT, 'src-renderer')),
    statSync(join(ROOT, 'src-preload', 'api.ts')).mtimeMs
  )
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 180_000
    }
  )
  if (r.status !== 0 || !existsSync(index))
    throw new Error(`building the renderer failed (electron-vite build, exit ${r.status}):\n${r.stdout}\n${r.stderr}`)
}

/** Starts `b2m serve --port 0 --json` and resolves with the address from its first stdout line. */
export async function startServer(
  opts: { workspace?: string; args?: string[]; timeoutMs?: number } = {}
): Promise<ServerHandle> {
  const ownWorkspace = !opts.workspace
  const workspace = opts.workspace ?? mkdtempSync(join(tmpdir(), 'b2m-e2e-'))
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'b2m.cjs'), 'serve', '--port', '0', '--json', '--workspace', workspace, ...(opts.args ?? [])],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }
  )
  let err = ''
  proc.stderr!.setEncoding('utf8')
  proc.stderr!.on('data', (c: string) => {
    err += c
    if (err.length > 200_000) err = err.slice(-100_000)
  })
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)))

  const info = await new Promise<ServeInfo>((res, rej) => {
    const lines = createInterface({ input: proc.stdout! })
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      rej(new Error(`b2m serve did not print its address within ${opts.timeoutMs ?? 60_000} ms\n${err}`))
    }, opts.timeoutMs ?? 60_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      try {
        const parsed = JSON.parse(line) as ServeInfo
        if (!parsed.url || !parsed.token || !parsed.port) throw new Error('missing url/token/port')
        res(parsed)
      } catch (e) {
        proc.kill('SIGKILL')
        rej(
          new Error(`b2m serve's first stdout line is not the expected JSON (${(e as Error).message}): ${line}\n${err}`)
        )
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      rej(new Error(`b2m serve exited (code ${code}) before printing its address\n${err}`))
    })
  })
  // Keep draining stdout so the child never blocks on a full pipe.
  proc.stdout!.resume()

  const origin = new URL(info.url).origin
  return {
    ...info,
    origin,
    workspace,
    proc,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM')
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      if (ownWorkspace) rmSync(workspace, { recursive: true, force: true })
    }
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  })
}

export interface PageProblems {
  /** Console errors and uncaught page errors, in order. */
  errors: string[]
}

/**
 * Console errors that are not problems of the app. None today: index.html's meta CSP leaves out
 * `frame-ancestors` (Chromium reports it as ignored there); the server and the Electron face send it as
 * a header.
 */
export const BENIGN_CONSOLE_ERRORS: RegExp[] = []

/** Collects console errors and uncaught exceptions of a page; assert `errors` is empty at the end. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { errors: [] }
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      if (BENIGN_CONSOLE_ERRORS.some((re) => re.test(msg.text()))) return
      const loc = msg.location()
      problems.errors.push(`console.error: ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`)
    }
  })
  page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e.message}`))
  return problems
}

export async function newContext(browser: Browser, colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  return browser.newContext({ colorScheme, viewport: { width: 1280, height: 820 }, reducedMotion: 'reduce' })
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path })
  return path
}
