import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { EVENT_NAMES, type ApiErrorBody } from '../../src-preload/api'
import { errorBody } from '../common/errors'
import type { Core } from '../api/core'
import { dispatch } from '../api/dispatch'
import { TOKEN_COOKIE, authorised, hostAllowed, newToken } from './auth'
import { rendererDir, serveStatic } from './static'

export interface ServeOptions {
  host?: string
  port?: number
  token?: string
  /** The built renderer; defaults to out/renderer. */
  staticDir?: string
}

export interface RunningServer {
  url: string
  host: string
  port: number
  token: string
  close(): Promise<void>
}

const STATUS: Record<ApiErrorBody['code'], number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  failed: 422,
  internal: 500
}
const MAX_BODY = 16 * 1024 * 1024

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff'
  })
  res.end(JSON.stringify(body))
}

function fail(res: ServerResponse, error: ApiErrorBody): void {
  sendJson(res, STATUS[error.code], { ok: false, error })
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new Error(`request body over ${MAX_BODY} bytes`))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(text.trim() === '' ? {} : JSON.parse(text))
      } catch {
        reject(new Error('request body is not JSON'))
      }
    })
    req.on('error', reject)
  })
}

/**
 * The browser face: the built renderer and the API contract over HTTP (calls) and WebSocket
 * (events), on loopback by default, every request and socket gated by a per-start token.
 */
export async function serve(core: Core, opts: ServeOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? newToken()
  const staticDir = opts.staticDir ?? rendererDir()
  let port = opts.port ?? 0

  const server = createServer((req, res) => {
    void handle(req, res)
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (!hostAllowed(req, host, port)) return fail(res, { code: 'unauthorized', message: 'host or origin not allowed' })
    if (!authorised(req, url, token))
      return fail(res, {
        code: 'unauthorized',
        message: 'a valid token is required (open the URL printed by b2m serve)'
      })

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return fail(res, { code: 'bad_request', message: 'API calls are POST requests' })
      const method = decodeURIComponent(url.pathname.slice('/api/call/'.length))
      try {
        const params = await readBody(req)
        const value = await dispatch(core, method, params)
        sendJson(res, 200, { ok: true, value })
      } catch (err) {
        fail(res, errorBody(err))
      }
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return fail(res, { code: 'bad_request', message: 'method not allowed' })
    if (url.searchParams.has('token'))
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`)
    if (!existsSync(join(staticDir, 'index.html')))
      return fail(res, { code: 'not_found', message: `the renderer is not built (${staticDir}): run npm run build` })
    if (!serveStatic(staticDir, url.pathname, res))
      fail(res, { code: 'not_found', message: `no such file: ${url.pathname}` })
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/api/events' || !hostAllowed(req, host, port) || !authorised(req, url, token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const sockets = new Set<WebSocket>()
  wss.on('connection', (ws) => {
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('error', () => sockets.delete(ws))
  })
  const unsubscribe = EVENT_NAMES.map((event) =>
    core.events.on(event, (payload) => {
      const text = JSON.stringify({ event, payload })
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text)
    })
  )

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const addr = server.address()
  if (addr && typeof addr === 'object') port = addr.port
  const urlHost = host.includes(':') ? `[${host}]` : host

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    close: async () => {
      for (const off of unsubscribe) off()
      for (const ws of sockets) ws.terminate()
      wss.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    }
  }
}
