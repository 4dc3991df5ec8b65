import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Job } from '../../src-preload/api'
import { Catalogue } from '../../src-main/catalogue'
import { JobRunner } from '../../src-main/jobs/runner'
import { B2mError } from '../../src-main/common/errors'

let dir: string
let cat: Catalogue
const runners: JobRunner[] = []

function runner(extra: Partial<ConstructorParameters<typeof JobRunner>[0]> = {}): JobRunner {
  const r = new JobRunner({ catalogue: cat, workspaceRoot: dir, ...extra })
  runners.push(r)
  return r
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-jobs-'))
  cat = Catalogue.open(join(dir, 'catalogue.sqlite'))
})

afterEach(async () => {
  for (const r of runners.splice(0)) await r.close()
  cat.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('job runner', () => {
  it('runs a job in a worker thread with progress, logs and a persisted result', async () => {
    const r = runner({ progressIntervalMs: 0 })
    const updates: Job[] = []
    r.events.on('job.update', (j) => updates.push(j))
    const job = r.start('compute.benchmark', { size: 64, repeats: 5 })
    const done = await r.waitFor(job.id)
    expect(done.state).toBe('succeeded')
    expect(done.progress).toBe(1)
    expect((done.result as { gflops: number }).gflops).toBeGreaterThan(0)
    expect(done.startedAt).not.toBeNull()
    expect(done.finishedAt).not.toBeNull()
    const states = updates.map((u) => u.state)
    expect(states[0]).toBe('queued')
    expect(states).toContain('running')
    expect(states.at(-1)).toBe('succeeded')
    // progress moved through intermediate values, not just 0 -> 1
    expect(updates.some((u) => u.state === 'running' && u.progress > 0 && u.progress < 1)).toBe(true)
    const log = cat.jobs.logs(job.id, 0)
    expect(log.some((l) => /GFLOP\/s/.test(l.text))).toBe(true)
    // persisted: a fresh connection sees the same final state
    const again = Catalogue.open(join(dir, 'catalogue.sqlite'))
    expect(again.jobs.get(job.id)?.state).toBe('succeeded')
    again.close()
  })

  it('cancels a running job through its shared flag', async () => {
    const r = runner({ progressIntervalMs: 0 })
    const job = r.start('compute.benchmark', { size: 128, repeats: 100000 })
    await new Promise<void>((resolve) => {
      const off = r.events.on('job.update', (j) => {
        if (j.id === job.id && j.progress > 0) {
          off()
          resolve()
        }
      })
    })
    r.cancel(job.id)
    const done = await r.waitFor(job.id)
    expect(done.state).toBe('cancelled')
    expect(done.progress).toBeGreaterThan(0)
    expect(done.progress).toBeLessThan(1)
    expect(cat.jobs.logs(job.id, 0).some((l) => l.text === 'cancel requested')).toBe(true)
  })

  it('queues beyond its concurrency and cancels a queued job before it starts', async () => {
    const r = runner({ maxConcurrent: 1 })
    const a = r.start('compute.benchmark', { size: 128, repeats: 100000 })
    const b = r.start('compute.benchmark', { size: 64, repeats: 1 })
    expect(cat.jobs.get(b.id)?.state).toBe('queued')
    expect(r.cancel(b.id).state).toBe('cancelled')
    r.cancel(a.id)
    expect((await r.waitFor(a.id)).state).toBe('cancelled')
  })

  it('marks a job failed with the error when its worker throws', async () => {
    const script = join(dir, 'throws.cjs')
    writeFileSync(script, "throw new Error('boom from the worker')\n")
    const r = runner({ workerScript: script })
    const done = await r.waitFor(r.start('compute.benchmark', { size: 64, repeats: 1 }).id)
    expect(done.state).toBe('failed')
    expect(done.error).toContain('boom from the worker')
  })

  it('marks a job failed when its worker exits without a word', async () => {
    const script = join(dir, 'exits.cjs')
    writeFileSync(script, 'process.exit(3)\n')
    const r = runner({ workerScript: script })
    const done = await r.waitFor(r.start('compute.benchmark', { size: 64, repeats: 1 }).id)
    expect(done.state).toBe('failed')
    expect(done.error).toMatch(/exited unexpectedly \(code 3\)/)
  })

  it('reports a job error raised by the job code', async () => {
    const r = runner()
    // A provider the job cannot honour fails inside the job, not in the runner.
    const job = r.start('no.such.kind', {})
    const done = await r.waitFor(job.id)
    expect(done.state).toBe('failed')
    expect(done.error).toContain('unknown job kind')
  })

  it('marks jobs left running by a killed process as interrupted at the next start', () => {
    const left = cat.jobs.create('compute.benchmark', { size: 64, repeats: 1 })
    cat.jobs.update(left.id, { state: 'running', startedAt: new Date().toISOString() })
    // The dead owner's lock file is still there, with a pid that no longer runs.
    writeFileSync(join(dir, 'jobs.lock'), '999999999')
    const r = runner()
    expect(r.interruptedAtStart).toBe(1)
    expect(cat.jobs.get(left.id)?.state).toBe('interrupted')
  })

  it('refuses to run jobs in a workspace another live process owns', () => {
    writeFileSync(join(dir, 'jobs.lock'), String(process.ppid))
    expect(() => runner()).toThrow(B2mError)
    expect(() => runner()).toThrow(/another Brain2Music Lab process/)
  })
})
