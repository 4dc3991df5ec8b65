import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Core } from '../../src-main/api/core'
import { serve, type RunningServer } from '../../src-main/server/serve'

let dir: string
let core: Core
let server: RunningServer
let base: string

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function http(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() })
      )
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

const call = (method: string, params: unknown, headers: Record<string, string> = {}) =>
  http(
    'POST',
    `/api/call/${method}`,
    { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...headers },
    JSON.stringify(params)
  )

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-serve-'))
  const staticDir = join(dir, 'renderer')
  mkdirSync(join(staticDir, 'assets'), { recursive: true })
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>B2M</title>')
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)')
  core = Core.open(join(dir, 'ws'), { face: 'browser', runJobs: true })
  server = await serve(core, { port: 0, staticDir })
  base = `http://127.0.0.1:${server.port}`
})

afterAll(async () => {
  await server.close()
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('b2m serve', () => {
  it('binds to loopback and prints a URL carrying the token', () => {
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token.length).toBeGreaterThanOrEqual(32)
  })

  it('answers 401 without the token, on pages and API alike', async () => {
    expect((await http('GET', '/')).status).toBe(401)
    expect((await http('GET', '/assets/app.js')).status).toBe(401)
    expect((await http('POST', '/api/call/app.info', {}, '{}')).status).toBe(401)
    expect((await http('GET', '/?token=wrong')).status).toBe(401)
    expect((await call('app.info', {}, { Authorization: 'Bearer nope' })).status).toBe(401)
  })

  it('serves the app with the token and sets a cookie for its assets', async () => {
    const page = await http('GET', `/?token=${server.token}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>B2M</title>')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    const cookie = String(page.headers['set-cookie']).split(';')[0]
    expect(cookie).toBe(`b2m_token=${server.token}`)
    expect(String(page.headers['set-cookie'])).toContain('HttpOnly')
    const asset = await http('GET', '/assets/app.js', { Cookie: cookie })
    expect(asset.status).toBe(200)
    expect(asset.headers['content-type']).toContain('javascript')
  })

  it('refuses foreign Host and Origin headers even with the token (DNS rebinding, CSRF)', async () => {
    expect((await http('GET', `/?token=${server.token}`, { Host: 'evil.example:80' })).status).toBe(401)
    expect((await call('app.info', {}, { Origin: 'http://evil.example' })).status).toBe(401)
    expect((await call('app.info', {}, { Origin: `http://localhost:${server.port}` })).status).toBe(200)
  })

  it('does not serve files outside the renderer folder', async () => {
    const r = await http('GET', `/..%2f..%2fpackage.json?token=${server.token}`)
    expect(r.status).toBe(404)
  })

  it('carries the contract: info lists the CPU provider; bad input is a 400 naming the field', async () => {
    const info = JSON.parse((await call('app.info', {})).body)
    expect(info.ok).toBe(true)
    expect(info.value.executionProviders).toContain('cpu')
    expect(info.value.face).toBe('browser')
    const bad = await call('jobs.start', { kind: 'compute.benchmark', params: { size: 3 } })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error.message).toMatch(/params\.size/)
    const unknown = await call('no.such.method', {})
    expect(unknown.status).toBe(404)
    const missing = await call('jobs.get', { id: 424242 })
    expect(missing.status).toBe(404)
  })

  it('refuses a WebSocket without the token and pushes job events to one with it', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`)
    await new Promise<void>((resolve) => {
      refused.on('error', () => resolve())
      refused.on('open', () => resolve())
    })
    expect(refused.readyState).not.toBe(WebSocket.OPEN)

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`)
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve())
      ws.on('error', reject)
    })
    const seen: { event: string; payload: { state?: string; id?: number; jobId?: number } }[] = []
    const finished = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data))
        seen.push(msg)
        if (msg.event === 'job.update' && msg.payload.state === 'succeeded') resolve()
      })
    })
    const started = JSON.parse(
      (await call('jobs.start', { kind: 'compute.benchmark', params: { size: 64, repeats: 3 } })).body
    )
    expect(started.ok).toBe(true)
    await finished
    ws.close()
    expect(seen.some((m) => m.event === 'job.update' && m.payload.state === 'running')).toBe(true)
    expect(seen.some((m) => m.event === 'job.log' && m.payload.jobId === started.value.id)).toBe(true)
  })
})
