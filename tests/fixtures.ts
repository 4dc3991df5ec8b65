import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/** Real third-party test data lives beside the checkout in ../shared/fixtures (see its SOURCES.md). */
export const FIXTURES = resolve(__dirname, '..', '..', 'shared', 'fixtures')

export function fixture(...parts: string[]): string {
  const p = resolve(FIXTURES, ...parts)
  if (!existsSync(p)) throw new Error(`fixture missing: ${p} (is ../shared/fixtures beside the checkout?)`)
  return p
}
