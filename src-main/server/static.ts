import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, normalize, resolve, sep } from 'node:path'
import { B2mError } from '../common/errors'
import { findUp } from '../common/find-up'
import type { ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon'
}

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; " +
  "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Where the built renderer is: beside the bundle (out/main -> out/renderer) or from a source checkout. */
export function rendererDir(): string {
  const found =
    findUp(__dirname, join('renderer', 'index.html')) ?? findUp(__dirname, join('out', 'renderer', 'index.html'))
  return found ? dirname(found) : resolve(__dirname, '..', '..', 'out', 'renderer')
}

/** A source checkout that has not been built yet builds its renderer once, on first need (serve, figures). */
export function ensureRendererBuilt(log: (text: string) => void): void {
  if (existsSync(join(rendererDir(), 'index.html'))) return
  const root = resolve(__dirname, '..', '..')
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (!existsSync(cli))
    throw new B2mError('failed', `the renderer is not built and electron-vite is missing: run npm run build`)
  log('building the renderer (first start)…')
  const r = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.status !== 0) throw new B2mError('failed', 'building the renderer failed: run npm run build to see why')
}

/** Serves a file of the built renderer; false when there is none (the caller answers 404). */
export function serveStatic(root: string, pathname: string, res: ServerResponse): boolean {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '')
  const file = normalize(join(root, rel))
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return false
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': rel === 'index.html' ? 'no-store' : 'max-age=3600'
  })
  res.end(readFileSync(file))
  return true
}
