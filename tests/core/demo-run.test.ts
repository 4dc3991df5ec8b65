/**
 * `b2m demo` end to end on the quick demo study: the whole pipeline as one job, through the real job
 * runner (worker threads, ONNX Runtime, SQLite), and its self-checks against the simulation's ground truth.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import type { DemoRunResult, Job } from '../../src-preload/api'
import { coreCalls } from '../helpers/core'

let dir: string
let core: Core
let first: Job
let result: DemoRunResult

const { call, runJob } = coreCalls(() => core)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-demo-run-'))
  core = Core.open(join(dir, 'ws'), { face: 'cli', runJobs: true })
  first = await runJob('demo.run', { quick: true, folder: join(dir, 'demo'), screenshot: false })
  result = first.result as DemoRunResult
}, 600_000)

afterAll(async () => {
  await core?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the demo pipeline (quick)', () => {
  it('runs every stage and passes its self-checks', () => {
    expect(first.error ?? null).toBeNull()
    expect(first.state).toBe('succeeded')
    expect(Object.keys(result.seconds)).toEqual([
      'generate',
      'import',
      'preprocess',
      'attach',
      'features',
      'library',
      'decoder',
      'encoder',
      'retrieve',
      'generateClips',
      'report'
    ])
    expect(result.checks.map((c) => c.name)).toEqual([
      'identification accuracy',
      'best encoding voxels in auditory cortex'
    ])
    for (const c of result.checks) expect(c.passed, `${c.name}: ${c.value} (${c.detail})`).toBe(true)
    expect(result.identification).toBeGreaterThanOrEqual(0.7)
    expect(result.chance).toBe(0.5)
  })

  it('retrieves library clips of the right genre more often than chance, and generates music', async () => {
    expect(result.genreAgreement).toBeGreaterThan(result.genreAgreementChance)
    expect(result.clips.retrieved).toBe(10 * result.topK)
    expect(result.clips.generated).toBe(2 * 10)
    const clips = await call<{ method: string; audio: boolean }[]>('clips.list', { model: result.decoderId })
    expect(clips.filter((c) => c.method === 'retrieval')).toHaveLength(result.clips.retrieved)
    const generated = clips.filter((c) => c.method !== 'retrieval')
    expect(new Set(generated.map((c) => c.method))).toEqual(new Set(['spectral', 'mosaic']))
    expect(generated.every((c) => c.audio)).toBe(true)
  })

  it('writes a report with the numbers, figures and playable audio', () => {
    expect(result.report).toBe(resolve(dir, 'demo', 'report.html'))
    const html = readFileSync(result.report, 'utf8')
    expect(html).toContain('Identification accuracy')
    expect(html).toContain(result.identification.toFixed(3))
    expect(html.match(/<svg /g)?.length ?? 0).toBeGreaterThanOrEqual(6)
    const audio = [...html.matchAll(/<audio [^>]*src="([^"]+)"/g)].map((m) => m[1])
    expect(audio.length).toBeGreaterThanOrEqual(10)
    for (const a of audio) expect(existsSync(join(dir, 'demo', a)), a).toBe(true)
    expect(html).toContain('passed')
    expect(html).not.toContain('FAILED')
  })

  it('a second run reuses the study and gives the same numbers', async () => {
    const again = await runJob('demo.run', { quick: true, folder: join(dir, 'demo'), screenshot: false })
    expect(again.state).toBe('succeeded')
    const r = again.result as DemoRunResult
    expect(r.decoderId).not.toBe(result.decoderId)
    expect(r.identification).toBe(result.identification)
    expect(r.genreAgreement).toBe(result.genreAgreement)
    const log = await call<{ text: string }[]>('jobs.log', { id: again.id })
    expect(log.map((l) => l.text).join('\n')).toContain('using the demo study already in')
    expect(readdirSync(join(dir, 'demo')).filter((n) => n.startsWith('.'))).toEqual([])
  }, 600_000)

  it('`b2m demo --json` reports a clear error for a folder that holds something else', () => {
    const bin = resolve(__dirname, '..', '..', 'bin', 'b2m.cjs')
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'demo',
        '--quick',
        '--folder',
        resolve(__dirname, '..', '..', 'src-main'),
        '--workspace',
        join(dir, 'ws2'),
        '--json'
      ],
      { encoding: 'utf8' }
    )
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/not empty and holds no demo study/)
  }, 120_000)
})
