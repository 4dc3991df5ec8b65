import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(__dirname, '..', '..')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : /\.(ts|vue|cjs|mjs)$/.test(name) ? [p] : []
  })
}

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|require\(|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1])

describe('the house plan, enforced by folder', () => {
  it('only src-main/app imports electron (under plain Node require("electron") tries to download it)', () => {
    const offenders = files(join(root, 'src-main'))
      .filter((f) => !relative(root, f).startsWith(join('src-main', 'app')))
      .filter((f) => importsOf(f).includes('electron'))
    expect(offenders).toEqual([])
  })

  it('the renderer reaches the core only through the contract', () => {
    const offenders = files(join(root, 'src-renderer', 'src')).filter((f) =>
      importsOf(f).some((i) => i.includes('src-main') || i === 'electron' || i.startsWith('node:'))
    )
    expect(offenders).toEqual([])
  })

  it('the contract imports nothing but zod and its own modules', () => {
    for (const f of ['api.ts', ...readdirSync(join(root, 'src-preload', 'contract')).map((n) => join('contract', n))])
      for (const i of importsOf(join(root, 'src-preload', f)))
        expect(i, f).toMatch(/^(zod|\.\/channels|\.\/contract\/[a-z-]+|\.\/[a-z-]+)$/)
  })
})
