import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(__dirname, '..', '..')
const ws = mkdtempSync(join(tmpdir(), 'b2m-cli-'))

function b2m(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'b2m.cjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, B2M_WORKSPACE: ws }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

afterAll(() => rmSync(ws, { recursive: true, force: true }))

describe('b2m CLI', () => {
  it('info --json lists cpu among the execution providers and the workspace from B2M_WORKSPACE', () => {
    const r = b2m('info', '--json')
    expect(r.code).toBe(0)
    const info = JSON.parse(r.stdout)
    expect(info.executionProviders).toContain('cpu')
    expect(info.workspace).toBe(ws)
    expect(info.catalogue.schemaVersion).toBeGreaterThanOrEqual(1)
    expect(info.face).toBe('cli')
  })

  it('--workspace overrides the environment', () => {
    const other = mkdtempSync(join(tmpdir(), 'b2m-cli-other-'))
    try {
      const r = b2m('--workspace', other, 'info', '--json')
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout).workspace).toBe(other)
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })

  it('runs a job with progress on stderr and the finished job as JSON', () => {
    const r = b2m('jobs', 'run', 'compute.benchmark', '--set', 'size=64', '--set', 'repeats=4', '--json')
    expect(r.code).toBe(0)
    const job = JSON.parse(r.stdout)
    expect(job.state).toBe('succeeded')
    expect(job.result.gflops).toBeGreaterThan(0)
    expect(r.stderr).toMatch(/compute\.benchmark: 100%/)
    const listed = JSON.parse(b2m('jobs', 'ls', '--json').stdout)
    expect(listed[0].id).toBe(job.id)
  })

  it('rejects bad parameters with exit code 2 and a message naming the field', () => {
    const r = b2m('jobs', 'run', 'compute.benchmark', '--set', 'size=2')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/params\.size/)
  })

  it('exits 2 on an unknown command', () => {
    expect(b2m('no-such-command').code).toBe(2)
  })
})
