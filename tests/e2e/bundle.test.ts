import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Catalogue } from '../../src-main/catalogue'
import { JobRunner } from '../../src-main/jobs/runner'

// These check what `electron-vite build` wrote (npm test builds before it runs vitest).
const out = resolve(__dirname, '..', '..', 'out')

describe('the electron-vite build', () => {
  it('writes main, preload and renderer bundles', () => {
    for (const f of ['main/index.js', 'main/job-worker.js', 'preload/index.js', 'renderer/index.html'])
      expect(existsSync(join(out, f)), f).toBe(true)
  })

  it('bundles the sandboxed preload as one CommonJS file that requires only electron', () => {
    const preload = readFileSync(join(out, 'preload/index.js'), 'utf8')
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])
    expect(required).toEqual(['electron'])
    expect(preload).not.toMatch(/^\s*import\s/m)
    expect(preload).toContain('exposeInMainWorld("b2mBridge"')
  })

  it('the main bundle leaves native modules external and never requires electron from the worker', () => {
    const worker = readFileSync(join(out, 'main/job-worker.js'), 'utf8')
    expect(worker).not.toMatch(/require\(["']electron["']\)/)
  })

  it('runs a job in the bundled worker (out/main/job-worker.js)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'b2m-bundle-'))
    const cat = Catalogue.open(join(dir, 'catalogue.sqlite'))
    const runner = new JobRunner({ catalogue: cat, workspaceRoot: dir, workerScript: join(out, 'main/job-worker.js') })
    try {
      const job = await runner.waitFor(runner.start('compute.benchmark', { size: 64, repeats: 2 }).id)
      expect(job.state).toBe('succeeded')
      expect((job.result as { gflops: number }).gflops).toBeGreaterThan(0)
    } finally {
      await runner.close()
      cat.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
