import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const TOKEN_COOKIE = 'b2m_token'

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === TOKEN_COOKIE) return v.join('=')
  }
  return null
}

/** A request is authorised by the per-start token in the URL, a Bearer header, or the cookie set from it. */
export function authorised(req: IncomingMessage, url: URL, token: string): boolean {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  return (
    sameToken(url.searchParams.get('token'), token) || sameToken(bearer, token) || sameToken(cookieToken(req), token)
  )
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host)
}

/**
 * Host and Origin checks against DNS rebinding and cross-site requests: on a loopback bind only
 * loopback names with our port are accepted; an Origin, when sent, must be one of those too.
 */
export function hostAllowed(req: IncomingMessage, bindHost: string, port: number): boolean {
  const allowed = allowedHosts(bindHost, port)
  if (!allowed) return true
  const host = req.headers.host
  if (!host || !allowed.has(host)) return false
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).protocol === 'http:' && allowed.has(new URL(origin).host)
  } catch {
    return false
  }
}

function allowedHosts(bindHost: string, port: number): Set<string> | null {
  if (!isLoopback(bindHost)) return null
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`))
}
