/**
 * The demo study end to end: the quick demo is generated into a temporary folder, imported through the
 * real import job and preprocessed, and the ground truth is checked against what the pipeline sees.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import {
  DEMO_GRID,
  ROLE_CORTEX,
  ROLE_HESCHL,
  ROLE_OUTSIDE,
  ROLE_STG,
  demoDesign,
  generateDemo,
  readGroundTruth,
  type GenerateDemoResult,
  type GroundTruth
} from '../../src-main/demo'
import { parseWav } from '../../src-main/formats/audio'
import { readNiftiHeader } from '../../src-main/formats/nifti'
import type { Job, RunInfo } from '../../src-preload/api'
import { coreCalls, filesUnder } from '../helpers/core'

let dir: string
let demo: GenerateDemoResult
let core: Core
let truth: GroundTruth
let importJob: Job
let preJob: Job

const { call, runJob } = coreCalls(() => core)

function hashes(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of filesUnder(root)) out[relative(root, f)] = createHash('sha256').update(readFileSync(f)).digest('hex')
  return out
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i]
    mb += b[i]
  }
  ma /= n
  mb /= n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma
    const y = b[i] - mb
    sab += x * y
    saa += x * x
    sbb += y * y
  }
  return sab / Math.sqrt(saa * sbb || 1)
}

/** Removes a centred 41-TR moving average (slow drifts), as a high-pass filter. */
function highpass(x: ArrayLike<number>, half = 20): Float64Array {
  const n = x.length
  const out = new Float64Array(n)
  for (let t = 0; t < n; t++) {
    let s = 0
    let c = 0
    for (let u = Math.max(0, t - half); u <= Math.min(n - 1, t + half); u++) {
      s += x[u]
      c++
    }
    out[t] = x[t] - s / c
  }
  return out
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-demo-'))
  demo = await generateDemo(join(dir, 'demo'), { quick: true })
  truth = readGroundTruth(demo.paths.groundTruth)
  core = Core.open(join(dir, 'ws'), { face: 'cli', runJobs: true })
  importJob = await runJob('import.bids', { path: demo.paths.bids })
  preJob = await runJob('preprocess', { subject: 'sub-001' })
}, 300_000)

afterAll(async () => {
  await core?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the demo study', () => {
  it('is a BIDS data set in ds003720 layout that previews without errors and imports', async () => {
    expect(demo.generated).toBe(true)
    const preview = await call<{
      errors: string[]
      warnings: string[]
      subjects: {
        id: string
        runs: {
          task: string
          run: number
          importable: boolean
          tr: number
          shape: number[]
          volumes: number
          events: number
        }[]
      }[]
    }>('import.preview', { path: demo.paths.bids })
    expect(preview.errors).toEqual([])
    expect(preview.subjects.map((s) => s.id)).toEqual(['sub-001'])
    const runs = preview.subjects[0].runs
    expect(runs.map((r) => `${r.task}-${r.run}`)).toEqual(['Test-1', 'Training-1', 'Training-2'])
    for (const r of runs) {
      expect(r.importable).toBe(true)
      expect(r.tr).toBe(1.5)
      expect(r.volumes).toBe(410)
      expect(r.events).toBe(41)
      expect(r.shape).toEqual(DEMO_GRID.shape)
    }
    // the three malformed quotes are reported (and read) as in ds003720
    expect(preview.warnings.filter((w) => /lacks its opening quote/.test(w))).toHaveLength(3)
    const h = await readNiftiHeader(join(demo.paths.bids, 'sub-001', 'func', 'sub-001_task-Test_run-01_bold.nii.gz'))
    expect(h.datatypeName).toBe('int16')
    expect(h.tr).toBe(1.5)
    expect(h.affine.map((r) => [...r])).toEqual(DEMO_GRID.affine)

    expect(importJob.error).toBeNull()
    expect(importJob.state).toBe('succeeded')
    const imported = await call<RunInfo[]>('runs.list', {})
    expect(imported).toHaveLength(3)
    for (const r of imported) {
      expect(r.tr).toBe(1.5)
      expect(r.volumes).toBe(410)
      expect(r.events).toBe(41)
    }
    const events = await call<{ genre: string }[]>('runs.events', { id: imported[0].id })
    expect(new Set(events.map((e) => e.genre)).size).toBe(10)
    expect(preJob.error).toBeNull()
    expect((preJob.result as { train: number[]; test: number[] }).train[0]).toBe(80)
    expect((preJob.result as { train: number[]; test: number[] }).test[0]).toBe(10)
  })

  it('writes events with the quirks of ds003720 and the design of its runs', () => {
    const func = join(demo.paths.bids, 'sub-001', 'func')
    const text = (name: string) => readFileSync(join(func, `sub-001_${name}_events.tsv`), 'utf8')
    const train1 = text('task-Training_run-01')
    const train2 = text('task-Training_run-02')
    const test1 = text('task-Test_run-01')
    for (const t of [train1, train2, test1]) {
      expect(t.startsWith('onset\tduration\tgenre\ttrack\tstart\tend\r\n')).toBe(true)
      expect(t.split('\r\n')).toHaveLength(42)
      expect(t.replace(/\r\n/g, '')).not.toMatch(/\n/)
      expect(t.endsWith('\n')).toBe(false)
    }
    const rows = (t: string) =>
      t
        .split('\r\n')
        .slice(1)
        .map((l) => l.split('\t'))
    // genres in single quotes; the last three rows of the quick design's last Training run lack the opening one
    expect(rows(train1).every((r) => /^'[a-z]+'$/.test(r[2]))).toBe(true)
    const r2 = rows(train2)
    expect(r2.slice(0, 38).every((r) => /^'[a-z]+'$/.test(r[2]))).toBe(true)
    expect(r2.slice(38).every((r) => /^[a-z]+'$/.test(r[2]))).toBe(true)
    // onsets 0, 15, ..., 600; 15 s excerpts inside the 20 s quick tracks
    for (const t of [train1, train2, test1])
      rows(t).forEach((r, i) => {
        expect(Number(r[0])).toBe(15 * i)
        expect(r[1]).toBe('15')
        const [start, end] = [Number(r[4]), Number(r[5])]
        expect(end - start).toBeCloseTo(15, 6)
        expect(start).toBeGreaterThanOrEqual(0)
        expect(end).toBeLessThanOrEqual(demo.summary.trackSeconds)
      })
    const key = (r: string[]) => `${r[2].replace(/'/g, '')}|${r[3]}|${r[4]}`
    // Training: clip 1 repeats the previous run's last clip (run 1: the last run's)
    const r1 = rows(train1)
    expect(key(r1[0])).toBe(key(r2[40]))
    expect(key(r2[0])).toBe(key(r1[40]))
    expect(new Set(r1.slice(1).map(key)).size).toBe(40)
    // Test: 10 clips x 4, clip 1 again at the end
    const rt = rows(test1)
    expect(new Set(rt.map(key)).size).toBe(10)
    for (let i = 0; i < 41; i++) expect(key(rt[i])).toBe(key(rt[i % 10]))
    // every track is a GTZAN-like WAV of the right length
    for (const r of [...r1, ...rt]) {
      const g = r[2].replace(/'/g, '')
      const wav = join(demo.paths.stimuli, 'genres', g, `${g}.${r[3].padStart(5, '0')}.wav`)
      const audio = parseWav(readFileSync(wav))
      expect(audio.sampleRate).toBe(22050)
      expect(audio.channels[0].length).toBe(22050 * demo.summary.trackSeconds)
    }
    // sidecars: one line, RepetitionTime and TaskName
    const side = JSON.parse(readFileSync(join(func, 'sub-001_task-Test_run-01_bold.json'), 'utf8'))
    expect(side).toMatchObject({ RepetitionTime: 1.5, TaskName: 'Test' })
  })

  it('the importer’s mean-EPI mask covers the cortex and leaves the outside out', () => {
    const cat = core.workspace.catalogue
    const subject = cat.subjects.getByLabel('sub-001')!
    const grid = cat.subjects.grid(subject.id)!
    expect(grid.grid.shape).toEqual(DEMO_GRID.shape)
    const mask = core.workspace.readArray(grid.maskArrayId).data as Uint8Array
    const count = (pred: (r: number) => boolean) => {
      let inside = 0
      let all = 0
      truth.roles.forEach((r, v) => {
        if (!pred(r)) return
        all++
        if (mask[v]) inside++
      })
      return inside / all
    }
    expect(count((r) => r === ROLE_CORTEX)).toBeGreaterThan(0.97)
    expect(count((r) => r === ROLE_STG || r === ROLE_HESCHL)).toBeGreaterThan(0.97)
    expect(count((r) => r === ROLE_OUTSIDE)).toBeLessThan(0.02)
    expect(demo.summary.voxels.auditory).toBeGreaterThan(400)
    expect(demo.summary.voxels.transversetemporal).toBeGreaterThan(30)
  })

  it('auditory voxels follow their true signal; other voxels do not', () => {
    const cat = core.workspace.catalogue
    const subject = cat.subjects.getByLabel('sub-001')!
    const mask = core.workspace.readArray(cat.subjects.grid(subject.id)!.maskArrayId).data as Uint8Array
    const column = new Map<number, number>()
    let k = 0
    for (let v = 0; v < mask.length; v++) if (mask[v]) column.set(v, k++)
    const run = cat.runs.listBySubject(subject.id).find((r) => r.task === 'Training' && r.run === 1)!
    const arr = core.workspace.readArray(run.dataArrayId!)
    const [T, V] = arr.shape
    const data = arr.data as Float32Array
    const series = (v: number) => {
      const c = column.get(v)!
      return highpass(Float64Array.from({ length: T }, (_, t) => data[t * V + c]))
    }
    const signal = truth.signal('task-Training_run-01')
    const nv = truth.voxels.length
    const own = (j: number) => highpass(Float64Array.from({ length: T }, (_, t) => signal[t * nv + j]))
    const good: number[] = []
    const auditory: number[] = []
    truth.voxels.forEach((v, j) => {
      if (!column.has(v)) return
      const r = pearson(series(v), own(j))
      auditory.push(r)
      if (truth.rTarget[j] >= 0.45) good.push(r)
    })
    // the mean auditory signal against non-auditory cortex voxels
    const meanSignal = new Float64Array(T)
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < nv; j++) meanSignal[t] += signal[t * nv + j]
    }
    const ref = highpass(meanSignal)
    const others: number[] = []
    truth.roles.forEach((r, v) => {
      if (r === ROLE_CORTEX && column.has(v) && v % 7 === 0) others.push(Math.abs(pearson(series(v), ref)))
    })
    expect(good.length).toBeGreaterThan(50)
    expect(median(good)).toBeGreaterThan(0.35)
    expect(median(good)).toBeLessThan(0.7)
    expect(median(auditory)).toBeGreaterThan(0.2)
    expect(median(others)).toBeLessThan(0.08)
    expect(median(auditory)).toBeGreaterThan(median(others) + 0.15)
  })

  it('the preprocessed clip responses of the true-signal voxels follow the true per-clip signal', () => {
    const cat = core.workspace.catalogue
    const subject = cat.subjects.getByLabel('sub-001')!
    const mask = core.workspace.readArray(cat.subjects.grid(subject.id)!.maskArrayId).data as Uint8Array
    const column = new Map<number, number>()
    let k = 0
    for (let v = 0; v < mask.length; v++) if (mask[v]) column.set(v, k++)
    const pre = cat.preprocessing.listBySubject(subject.id)[0]
    const clipIndex = new Map(truth.json.clips.map((c, i) => [`${c.genre}|${c.track}|${c.start}`, i]))
    const check = (arrayId: number, samples: Record<string, unknown>[]) => {
      const arr = core.workspace.readArray(arrayId)
      const [N, V] = arr.shape
      const data = arr.data as Float32Array
      const clips = samples.map((s) => clipIndex.get(`${String(s.genre)}|${String(s.track)}|${String(s.start)}`)!)
      expect(clips.every((c) => c !== undefined)).toBe(true)
      const nv = truth.voxels.length
      const good: number[] = []
      const weak: number[] = []
      truth.voxels.forEach((v, j) => {
        const c = column.get(v)
        if (c === undefined) return
        const resp = Float64Array.from({ length: N }, (_, i) => data[i * V + c])
        const want = Float64Array.from(clips, (ci) => truth.clipSignal[ci * nv + j])
        const r = pearson(resp, want)
        if (truth.rTarget[j] >= 0.45) good.push(r)
        else if (truth.rTarget[j] < 0.1) weak.push(r)
      })
      return { good, weak }
    }
    const train = check(pre.trainArrayId!, pre.trainSamples)
    expect(median(train.good)).toBeGreaterThan(0.6)
    expect(Math.abs(median(train.weak))).toBeLessThan(0.3)
    // test rows average the 4 repeats: fewer rows (10), cleaner
    const test = check(pre.testArrayId!, pre.testSamples)
    expect(median(test.good)).toBeGreaterThan(0.7)
  })

  it('is deterministic: the same seed gives byte-identical files; an existing demo is reused', async () => {
    const again = await generateDemo(join(dir, 'again'), { quick: true })
    expect(hashes(again.paths.root)).toEqual(hashes(demo.paths.root))
    const reused = await generateDemo(join(dir, 'again'), { quick: true })
    expect(reused.generated).toBe(false)
    rmSync(again.paths.root, { recursive: true, force: true })
  }, 300_000)

  it('refuses a non-empty foreign folder, and a cancelled generation leaves nothing behind', async () => {
    const foreign = join(dir, 'foreign')
    mkdirSync(foreign)
    writeFileSync(join(foreign, 'notes.txt'), 'mine')
    await expect(generateDemo(foreign, { quick: true })).rejects.toThrow(/not empty/)
    let calls = 0
    const target = join(dir, 'cancelled')
    await expect(generateDemo(target, { quick: true, isCancelled: () => ++calls > 3 })).rejects.toThrow(/cancelled/)
    expect(existsSync(target)).toBe(false)
    expect(readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([])
  })

  it('the design follows ds003720 in full mode: 48 + 6 clips per genre, 12 + 6 runs, quotes in Training run 4', () => {
    const d = demoDesign({ seed: 7 })
    expect(d.runs.filter((r) => r.task === 'Training')).toHaveLength(12)
    expect(d.runs.filter((r) => r.task === 'Test')).toHaveLength(6)
    const perGenre = new Map<string, { train: number; test: number }>()
    for (const c of d.clips) {
      const e = perGenre.get(c.genre) ?? { train: 0, test: 0 }
      e[c.role]++
      perGenre.set(c.genre, e)
    }
    expect([...perGenre.values()].every((e) => e.train === 48 && e.test === 6)).toBe(true)
    expect(d.malformedRun).toBe(4)
    expect(d.runs.find((r) => r.task === 'Training' && r.run === 4)!.malformedRows).toEqual([38, 39, 40])
    expect(d.runs[0].events[0].clip.id).toBe(d.runs[11].events[40].clip.id)
    expect(new Set(d.clips.map((c) => `${c.genre}.${c.track}`)).size).toBe(540)
    expect(demoDesign({ seed: 7 })).toEqual(d)
    expect(demoDesign({ seed: 8 }).clips[0]).not.toEqual(d.clips[0])
  })
})
