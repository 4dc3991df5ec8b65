import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  type ClipEvent,
  type MedianEdge,
  type ResponseMatrix,
  type RunData,
  type RunInput,
  MEDIAN_EDGES,
  alignRun,
  applyMask,
  averageRepeats,
  backProject,
  buildResponses,
  clipKey,
  clipWindows,
  computeEpiMask,
  fillHoles,
  labelComponents,
  maskFromVolume,
  maskToVolume,
  maskVolumeInto,
  medianDetrendInPlace,
  medianWindowTRs,
  normalizeGenre,
  polynomialDetrendInPlace,
  preprocessRun,
  slidingMedian,
  toClipEvents,
  zscoreInPlace
} from '../../src-main/fmri'
import { fixture } from '../fixtures'

// ---------------------------------------------------------------- helpers

function rng(seed: number) {
  let a = seed >>> 0
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
  return { uniform, normal }
}

function randomRun(T: number, V: number, seed: number, f?: (t: number, v: number) => number): RunData {
  const r = rng(seed)
  const data = new Float32Array(T * V)
  for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) data[t * V + v] = f ? f(t, v) : r.normal()
  return { data, nVolumes: T, nVoxels: V }
}

const column = (run: RunData, v: number) =>
  Float64Array.from({ length: run.nVolumes }, (_, t) => run.data[t * run.nVoxels + v])

function npMedian(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Brute force: explicit window per point, edges by explicitly built padding. */
function bruteMedian(x: ArrayLike<number>, w: number, edge: MedianEdge): number[] {
  const T = x.length
  const h = (w - 1) / 2
  const xs = Array.from(x)
  const at = (i: number): number => {
    if (i >= 0 && i < T) return xs[i]
    if (edge === 'zeros') return 0
    if (edge === 'nearest') return i < 0 ? xs[0] : xs[T - 1]
    // build the extension by repeated folding, the textbook way
    let j = i
    for (;;) {
      if (j >= 0 && j < T) return xs[j]
      if (edge === 'reflect') j = j < 0 ? -j - 1 : 2 * T - j - 1
      else if (T === 1) return xs[0]
      else j = j < 0 ? -j : 2 * T - 2 - j
    }
  }
  const out: number[] = []
  for (let t = 0; t < T; t++) {
    const win: number[] = []
    if (edge === 'shrink') for (let i = Math.max(0, t - h); i <= Math.min(T - 1, t + h); i++) win.push(xs[i])
    else for (let i = t - h; i <= t + h; i++) win.push(at(i))
    out.push(npMedian(win))
  }
  return out
}

const EVENTS_DIR = fixture('bids', 'ds003720', 'sub-001', 'func')

/** A test-local reader for ds003720's events.tsv (CRLF, no final newline); genres kept raw, quotes and all. */
function readEvents(file: string): ClipEvent[] {
  const lines = readFileSync(join(EVENTS_DIR, file), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
  const head = lines[0].split('\t')
  expect(head).toEqual(['onset', 'duration', 'genre', 'track', 'start', 'end'])
  return lines.slice(1).map((l) => {
    const [onset, duration, genre, track, start, end] = l.split('\t')
    return { onset: +onset, duration: +duration, genre, track: +track, start: +start, end: +end }
  })
}

const runFile = (task: 'Training' | 'Test', run: number) =>
  `sub-001_task-${task}_run-${String(run).padStart(2, '0')}_events.tsv`

const GENRES = ['blues', 'classical', 'country', 'disco', 'hiphop', 'jazz', 'metal', 'pop', 'reggae', 'rock']
const TR = 1.5
const T410 = 410

const numpy = spawnSync('python3', ['-c', 'import numpy, scipy; print(numpy.__version__, scipy.__version__)'], {
  encoding: 'utf8'
})
const HAVE_SCIPY = numpy.status === 0
if (!HAVE_SCIPY) console.warn('fmri.test: numpy/scipy cross-checks skipped (python3 with numpy+scipy not found)')

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-fmri-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Runs a python script with arrays passed as raw little-endian float64 files; returns the float64 output. */
function python(script: string, inputs: Record<string, Float64Array>): Float64Array {
  for (const [name, arr] of Object.entries(inputs)) writeFileSync(join(dir, `${name}.bin`), Buffer.from(arr.buffer))
  const prelude = `import numpy as np, scipy.ndimage, scipy.signal\nD=${JSON.stringify(dir)}\nload=lambda n: np.fromfile(D+'/'+n+'.bin', dtype='<f8')\ndef save(a): np.ascontiguousarray(a, dtype='<f8').tofile(D+'/out.bin')\n`
  execFileSync('python3', ['-c', prelude + script], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const buf = readFileSync(join(dir, 'out.bin'))
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

// ---------------------------------------------------------------- median filter

describe('running median', () => {
  it('matches a brute-force median for every edge mode, window and length (ties included)', () => {
    const r = rng(1)
    let cases = 0
    for (const T of [1, 2, 3, 8, 41, 200]) {
      for (const w of [1, 3, 5, 15, 161]) {
        for (const edge of MEDIAN_EDGES) {
          for (const ties of [false, true]) {
            const x = Float64Array.from({ length: T }, () => (ties ? Math.floor(r.uniform() * 5) : r.normal() * 10))
            const got = slidingMedian(x, w, edge)
            const want = bruteMedian(x, w, edge)
            expect(maxAbsDiff(got, want), `T=${T} w=${w} ${edge} ties=${ties}`).toBe(0)
            cases++
          }
        }
      }
    }
    expect(cases).toBe(6 * 5 * 5 * 2)
  })

  it('the window in TRs: round(s / TR), made odd', () => {
    expect(medianWindowTRs(240, 1.5)).toBe(161)
    expect(medianWindowTRs(240, 2)).toBe(121)
    expect(medianWindowTRs(240, 2.5)).toBe(97)
    expect(medianWindowTRs(10, 1)).toBe(11)
    expect(() => slidingMedian([1, 2, 3], 4)).toThrow(B2mError)
  })

  it.skipIf(!HAVE_SCIPY)('agrees with scipy.ndimage.median_filter / scipy.signal.medfilt / numpy per edge mode', () => {
    const T = T410
    const V = 40
    const run = randomRun(T, V, 7, (t, v) => Math.sin(t / 30 + v) * 5 + ((t * 7919 + v * 104729) % 1000) / 100)
    const x64 = Float64Array.from(run.data)
    for (const w of [31, 161]) {
      const h = (w - 1) / 2
      // one python call per window: the five edge modes stacked in MEDIAN_EDGES order
      const all = python(
        `X=load('x').reshape(${T},${V})
out={'shrink': np.stack([np.median(X[max(0,t-${h}):t+${h + 1}], axis=0) for t in range(${T})]),
 'zeros': np.stack([scipy.signal.medfilt(X[:,v], ${w}) for v in range(${V})], axis=1)}
for m in ('reflect','mirror','nearest'): out[m]=scipy.ndimage.median_filter(X, size=(${w},1), mode=m)
save(np.stack([out[e] for e in ${JSON.stringify(MEDIAN_EDGES)}]))`,
        { x: x64 }
      )
      MEDIAN_EDGES.forEach((edge, k) => {
        const copy: RunData = { ...run, data: run.data.slice() }
        medianDetrendInPlace(copy, { tr: TR, windowTRs: w, edge })
        // detrended = x - median  =>  median = x - detrended
        const med = Float64Array.from(copy.data, (d, i) => x64[i] - d)
        expect(maxAbsDiff(med, all.subarray(k * T * V, (k + 1) * T * V)), `w=${w} ${edge}`).toBeLessThan(1e-5)
      })
    }
  })

  it('detrending a T x V block (V not a multiple of the block) equals per-voxel x - median', () => {
    const run = randomRun(97, 600, 3, (t, v) => t * 0.05 * (v % 7) + Math.cos(t + v))
    const before = { ...run, data: run.data.slice() }
    const { windowTRs } = medianDetrendInPlace(run, { tr: 2, windowSeconds: 40, edge: 'shrink' })
    expect(windowTRs).toBe(21)
    for (const v of [0, 255, 256, 511, 599]) {
      const x = column(before, v)
      const m = slidingMedian(x, 21, 'shrink')
      const got = column(run, v)
      expect(
        maxAbsDiff(
          got,
          Float64Array.from(x, (xi, t) => Math.fround(xi - m[t]))
        ),
        `voxel ${v}`
      ).toBeLessThan(1e-6)
    }
  })

  it('the default edge (shrink) is unbiased at the ends; medfilt zero padding is biased low there', () => {
    const V = 400
    const run = randomRun(T410, V, 4, (t, v) => 1000 + v)
    const r = rng(5)
    for (let i = 0; i < run.data.length; i++) run.data[i] += 10 * r.normal()
    const zeros = { ...run, data: run.data.slice() }
    medianDetrendInPlace(run, { tr: TR })
    medianDetrendInPlace(zeros, { tr: TR, edge: 'zeros' })
    const meanAt = (m: RunData, t: number) => m.data.subarray(t * V, t * V + V).reduce((a, b) => a + b, 0) / V
    // at t = 0 medfilt's median is the minimum of 81 samples (~ -2.4 sd): residual ~ +24
    expect(meanAt(zeros, 0)).toBeGreaterThan(15)
    expect(Math.abs(meanAt(run, 0))).toBeLessThan(2.5)
    expect(Math.abs(meanAt(run, T410 - 1))).toBeLessThan(2.5)
  })

  it('a ds003720-size median detrend (410 x 60,000, 240 s at TR 1.5 = 161 TRs) completes and stays right', () => {
    const fresh = randomRun(T410, 60_000, 11)
    const run: RunData = { ...fresh, data: fresh.data.slice() }
    let last = 0
    medianDetrendInPlace(run, { tr: TR, onProgress: (f) => (last = f) })
    expect(last).toBe(1)
    // still right on a sample voxel
    const x = column(fresh, 12345)
    const m = slidingMedian(x, 161)
    expect(
      maxAbsDiff(
        column(run, 12345),
        Float64Array.from(x, (xi, t) => Math.fround(xi - m[t]))
      )
    ).toBeLessThan(1e-6)
  })
})

// ---------------------------------------------------------------- polynomial detrend, z-score

describe('polynomial detrend', () => {
  it('removes an injected polynomial exactly and leaves the noise minus its polynomial part', () => {
    const T = T410
    const V = 50
    const noise = randomRun(T, V, 21)
    const poly = (t: number, v: number) => {
      const u = t / T
      return 500 + v * 10 + (v - 25) * 40 * u - 300 * u * u + (v % 5) * 200 * u * u * u
    }
    const withPoly = randomRun(T, V, 21)
    for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) withPoly.data[t * V + v] += poly(t, v)
    const pure = randomRun(T, V, 0, poly)
    polynomialDetrendInPlace(noise, 3)
    polynomialDetrendInPlace(withPoly, 3)
    polynomialDetrendInPlace(pure, 3)
    expect(maxAbsDiff(pure.data, new Float32Array(T * V))).toBeLessThan(2e-3) // of values ~1000 in float32
    expect(maxAbsDiff(withPoly.data, noise.data)).toBeLessThan(2e-3)
    // order 2 cannot remove the cubic part
    const cubic = randomRun(T, 1, 0, (t) => (t / T) ** 3 * 100)
    polynomialDetrendInPlace(cubic, 2)
    expect(Math.max(...cubic.data.map(Math.abs))).toBeGreaterThan(0.5)
  })

  it.skipIf(!HAVE_SCIPY)('equals numpy least squares on a Vandermonde basis', () => {
    const run = randomRun(120, 30, 5, (t, v) => Math.sin(t / 7 + v) + t * 0.01 * v)
    const x = Float64Array.from(run.data)
    polynomialDetrendInPlace(run, 4)
    const want = python(
      `X=load('x').reshape(120,30); u=np.linspace(-1,1,120); A=np.vander(u,5); c=np.linalg.lstsq(A,X,rcond=None)[0]; save(X-A@c)`,
      { x }
    )
    expect(maxAbsDiff(run.data, want)).toBeLessThan(1e-5)
  })
})

describe('z-score', () => {
  it('gives mean 0 and std 1 (ddof 0) per voxel; zero-variance voxels become 0 and are counted', () => {
    const T = 200
    const V = 30
    const run = randomRun(T, V, 8, (t, v) => (v % 10 === 3 ? 42.5 : 1000 + v * 50 + Math.sin(t * (v + 1)) * (v + 1)))
    const x = Float64Array.from(run.data)
    const res = zscoreInPlace(run)
    expect(res.zeroVarianceVoxels).toBe(3)
    expect(Array.from(res.zeroVarianceIndices)).toEqual([3, 13, 23])
    for (let v = 0; v < V; v++) {
      const c = column(run, v)
      const mean = c.reduce((a, b) => a + b, 0) / T
      const sd = Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / T)
      if (v % 10 === 3) {
        expect(c.every((z) => z === 0)).toBe(true)
      } else {
        expect(Math.abs(mean)).toBeLessThan(1e-6)
        expect(Math.abs(sd - 1)).toBeLessThan(1e-6)
        // against the textbook formula on the original column
        const o = Float64Array.from({ length: T }, (_, t) => x[t * V + v])
        const m0 = o.reduce((a, b) => a + b, 0) / T
        const s0 = Math.sqrt(o.reduce((a, b) => a + (b - m0) ** 2, 0) / T)
        expect(
          maxAbsDiff(
            c,
            Float64Array.from(o, (xi) => (xi - m0) / s0)
          )
        ).toBeLessThan(1e-5)
      }
    }
  })
})

// ---------------------------------------------------------------- alignment on the real ds003720 events

describe('clip alignment on the real ds003720 events (sub-001)', () => {
  const training = Array.from({ length: 12 }, (_, i) => readEvents(runFile('Training', i + 1)))
  const test = Array.from({ length: 6 }, (_, i) => readEvents(runFile('Test', i + 1)))
  /** volume-index signal: voxel v at volume t holds t + 1000 v, so a mean of volumes is readable. */
  const ramp = () => randomRun(T410, 3, 0, (t, v) => t + 1000 * v)

  it('reads 18 runs of 41 clips; genres normalise to the ten GTZAN genres (run 4 quirks too)', () => {
    expect(readdirSync(EVENTS_DIR).filter((f) => f.endsWith('_events.tsv'))).toHaveLength(18)
    for (const ev of [...training, ...test]) {
      expect(ev).toHaveLength(41)
      ev.forEach((e, i) => expect(e.onset).toBe(15 * i))
      for (const e of ev) expect(GENRES).toContain(normalizeGenre(e.genre))
    }
    expect(training[3].map((e) => e.genre)).toContain("metal'")
    expect(normalizeGenre("metal'")).toBe('metal')
    // rows from a BIDS reader (nullable cells) convert, and a missing cell is named
    expect(toClipEvents([{ ...training[0][1], duration: 15 }])).toEqual([training[0][1]])
    expect(() =>
      toClipEvents([{ onset: 0, duration: 15, genre: 'pop', track: null, start: 1, end: 16 }], 'r9')
    ).toThrow(/r9: event row 0 has no track/)
  })

  it('Training run 1: drops the repeated first clip, 40 clips remain with the right genres', () => {
    const { responses: m } = alignRun(ramp(), training[0], { tr: TR, runId: 'task-Training_run-01' })
    expect(m.nSamples).toBe(40)
    expect(m.samples[0]).toMatchObject({ clipIndex: 1, genre: 'blues', track: 98, start: 6.46, onset: 15 })
    expect(m.samples.map((s) => s.genre).slice(0, 6)).toEqual(['blues', 'hiphop', 'pop', 'jazz', 'classical', 'disco'])
    expect(m.samples[39]).toMatchObject({ clipIndex: 40, genre: 'metal', track: 78, start: 1.74, onset: 600 })
    for (const g of GENRES) expect(m.samples.filter((s) => s.genre === g)).toHaveLength(4)
    // dropped clip 'disco' 9 repeats the last clip of Training run 12 (the design is circular)
    expect(clipKey(training[0][0])).toBe(clipKey(training[11][40]))
    for (let r = 1; r < 12; r++) expect(clipKey(training[r][0])).toBe(clipKey(training[r - 1][40]))
  })

  it('default shift 3 TR: clip row i averages volumes 10i+3 .. 10i+12 exactly; the last clip is cut at volume 409', () => {
    const { responses: m, warnings } = alignRun(ramp(), training[0], { tr: TR, runId: 'r1' })
    expect(m.delays).toEqual([3])
    m.samples.forEach((s, k) => {
      const i = s.clipIndex
      const first = 10 * i + 3
      const last = Math.min(10 * i + 12, T410 - 1)
      const want = (first + last) / 2
      for (let v = 0; v < 3; v++) expect(m.data[k * 3 + v]).toBe(want + 1000 * v)
      expect(s.coverage).toBe(i === 40 ? 0.7 : 1)
    })
    expect(warnings.join(' ')).toMatch(/1 row\(s\).*70%/)
    const dropped = alignRun(ramp(), training[0], { tr: TR, runId: 'r1', edge: 'drop' })
    expect(dropped.responses.nSamples).toBe(39)
    expect(() => alignRun(ramp(), training[0], { tr: TR, runId: 'r1', edge: 'error' })).toThrow(/runs past volume 409/)
  })

  it('the HRF shift moves exactly the documented volumes (impulse at one volume)', () => {
    for (const shift of [0, 1, 3, 5]) {
      for (const k of [10, 57, 200, 409]) {
        const impulse = randomRun(T410, 1, 0, (t) => (t === k ? 1 : 0))
        const { responses: m } = alignRun(impulse, training[0], { tr: TR, runId: 'r', delays: [shift] })
        const lit = m.samples.filter((_, j) => m.data[j] !== 0).map((s) => s.clipIndex)
        const want = m.samples.map((s) => s.clipIndex).filter((i) => k >= 10 * i + shift && k <= 10 * i + shift + 9)
        expect(lit, `shift ${shift} impulse ${k}`).toEqual(want)
        expect(lit.length).toBeLessThanOrEqual(1)
        if (lit.length) {
          const j = m.samples.findIndex((s) => s.clipIndex === lit[0])
          const n = Math.min(10, T410 - (10 * lit[0] + shift))
          expect(m.data[j]).toBeCloseTo(1 / n, 6)
        }
      }
    }
    // a half-TR shift takes half of each edge volume
    const { responses: half } = alignRun(ramp(), training[0], { tr: TR, runId: 'r', delays: [0.5] })
    // clip 1 = [15, 30) s, shifted 0.75 s -> [15.75, 30.75): half of volume 10, volumes 11..19, half of volume 20
    expect(half.data[0]).toBeCloseTo((0.5 * 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19 + 0.5 * 20) / 10, 5)
  })

  it('FIR delays 1..4 give lagged copies side by side (column d*V + v)', () => {
    const run = ramp()
    const { responses: fir } = alignRun(run, training[0], { tr: TR, runId: 'r', delays: [1, 2, 3, 4] })
    expect(fir.nColumns).toBe(12)
    expect(fir.nSamples).toBe(40)
    for (const [d, delay] of [1, 2, 3, 4].entries()) {
      const { responses: one } = alignRun(run, training[0], { tr: TR, runId: 'r', delays: [delay] })
      for (let s = 0; s < 40; s++)
        for (let v = 0; v < 3; v++) expect(fir.data[s * 12 + d * 3 + v]).toBe(one.data[s * 3 + v])
    }
    // clip 1 (volumes 10..19) at delay 1 -> 11..20, mean 15.5
    expect(fir.data[0]).toBe(15.5)
    expect(fir.data[9]).toBe(18.5)
  })

  it('finer grids: 10 s windows every 1.5 s (4 per clip) and TR rows (10 per clip)', () => {
    expect(clipWindows(15, { kind: 'windows', length: 10, step: 1.5 }, TR)).toEqual([
      [0, 10],
      [1.5, 11.5],
      [3, 13],
      [4.5, 14.5]
    ])
    const { responses: w } = alignRun(ramp(), training[0], {
      tr: TR,
      runId: 'r',
      grid: { kind: 'windows', length: 10, step: 1.5 }
    })
    expect(w.nSamples).toBe(160)
    // window k of clip i is stimulus [15i + 1.5k, +10 s), shifted 4.5 s: 10 s = 6 2/3 TRs -> whole volumes
    // t0 .. t0+5 (t0 = 10i + k + 3) and 2/3 of volume t0+6.
    for (let s = 0; s < 156; s++) {
      const i = w.samples[s].clipIndex
      const k = Math.round(w.samples[s].windowStart / 1.5)
      const t0 = 10 * i + k + 3
      const want = (t0 + t0 + 1 + t0 + 2 + t0 + 3 + t0 + 4 + t0 + 5 + (2 / 3) * (t0 + 6)) / (6 + 2 / 3)
      expect(w.data[s * 3]).toBeCloseTo(want, 4)
    }
    const { responses: trRows } = alignRun(ramp(), training[0], { tr: TR, runId: 'r', grid: { kind: 'tr' } })
    expect(trRows.nSamples).toBe(400 - 3) // 10 rows x 40 clips, minus the 3 whose shifted volume is past 409
    trRows.samples.forEach((s, j) => expect(trRows.data[j * 3]).toBe(10 * s.clipIndex + s.windowStart / TR + 3))
  })

  it('Test runs: 10 unique clips x 4 repeats; averaging gives 10 rows per run, closed-form values', () => {
    const seenAcrossRuns = new Set<string>()
    test.forEach((ev, r) => {
      const { responses: m } = alignRun(ramp(), ev, { tr: TR, runId: `test-${r + 1}` })
      expect(m.nSamples).toBe(40)
      const counts = new Map<string, number>()
      for (const s of m.samples) counts.set(clipKey(s), (counts.get(clipKey(s)) ?? 0) + 1)
      expect(counts.size).toBe(10)
      expect([...counts.values()].every((c) => c === 4)).toBe(true)
      expect(clipKey(ev[0])).toBe(clipKey(ev[40]))
      const avg = averageRepeats(m)
      expect(avg.nSamples).toBe(10)
      avg.samples.forEach((s, u) => {
        expect(s.nRepeats).toBe(4)
        // unique clip u is presented at rows 1+u+10q, q = 0..3: volumes 10(1+u+10q)+3 .. +12
        const means = [0, 1, 2, 3].map((q) => {
          const first = 10 * (1 + u + 10 * q) + 3
          const last = Math.min(first + 9, T410 - 1)
          return (first + last) / 2
        })
        const want = means.reduce((a, b) => a + b, 0) / 4
        for (let v = 0; v < 3; v++) expect(avg.data[u * 3 + v]).toBeCloseTo(want + 1000 * v, 4)
        expect(seenAcrossRuns.has(clipKey(s))).toBe(false)
        seenAcrossRuns.add(clipKey(s))
      })
      expect(new Set(avg.samples.map((s) => s.genre)).size).toBe(10) // one clip per genre
    })
    expect(seenAcrossRuns.size).toBe(60)
  })

  it('buildResponses over the 18 real runs: 480 training rows, 60 averaged test rows, provenance, progress, cancel', () => {
    const V = 25
    const runs: RunInput[] = [
      ...training.map((events, i) => ({
        id: `task-Training_run-${String(i + 1).padStart(2, '0')}`,
        role: 'train' as const,
        tr: TR,
        data: randomRun(T410, V, 100 + i, (t, v) => 800 + v + 0.1 * t + Math.sin(t * 0.7 + v + i) * 3),
        events
      })),
      ...test.map((events, i) => ({
        id: `task-Test_run-${String(i + 1).padStart(2, '0')}`,
        role: 'test' as const,
        tr: TR,
        data: randomRun(T410, V, 200 + i),
        events
      }))
    ]
    const progress: number[] = []
    const res = buildResponses(runs, { onProgress: (f) => progress.push(f) })
    expect(res.train!.nSamples).toBe(480)
    expect(res.test!.nSamples).toBe(60)
    expect(res.testRepeats!.nSamples).toBe(240)
    expect(res.test!.samples.every((s) => s.nRepeats === 4)).toBe(true)
    // no design warnings on the real files: every first clip repeats as documented
    expect(res.warnings.filter((w) => /does not repeat/.test(w))).toEqual([])
    // the only edge warnings are the 18 last clips (70% coverage)
    expect(res.warnings.filter((w) => /70%/.test(w))).toHaveLength(18)
    // averaged rows = plain mean of their four repeats, recomputed here
    const reps = res.testRepeats as ResponseMatrix
    res.test!.samples.forEach((s, u) => {
      const members = reps.samples.map((r, j) => [r, j] as const).filter(([r]) => clipKey(r) === clipKey(s))
      expect(members).toHaveLength(4)
      for (const v of [0, 7, 24]) {
        const mean = members.reduce((a, [, j]) => a + reps.data[j * V + v], 0) / 4
        expect(res.test!.data[u * V + v]).toBeCloseTo(mean, 5)
      }
    })
    // progress rises to 1
    expect(progress.at(-1)).toBe(1)
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] - 1e-12)
    // provenance is JSON and says what was done
    const prov = JSON.parse(JSON.stringify(res.provenance))
    expect(prov.outputs).toEqual({
      train: { nSamples: 480, nColumns: V },
      test: { nSamples: 60, nColumns: V },
      nVoxels: V
    })
    expect(prov.runs).toHaveLength(18)
    expect(prov.runs[0].steps[1]).toMatchObject({ step: 'detrend', method: 'median', windowTRs: 161, edge: 'shrink' })
    expect(prov.runs[0].steps[3]).toMatchObject({ step: 'align', delaysTRs: [3], delaysSeconds: [4.5] })
    // cancellation stops with a B2mError
    let calls = 0
    expect(() => buildResponses(runs, { isCancelled: () => ++calls > 3 })).toThrow(/cancelled/)
  })

  it('preprocessRun: z-scored cleaned run, the inputs untouched unless inPlace', () => {
    const run = randomRun(T410, 10, 9, (t, v) => 1000 + v + t * 0.5 + Math.sin(t / 3 + v) * 4)
    const before = run.data.slice()
    const res = preprocessRun(run, training[0], { tr: TR, runId: 'r1', detrend: { method: 'polynomial', order: 2 } })
    expect(run.data).toEqual(before)
    const c = column(res.cleaned, 4)
    const mean = c.reduce((a, b) => a + b, 0) / T410
    expect(Math.abs(mean)).toBeLessThan(1e-6)
    expect(res.responses.nSamples).toBe(40)
    expect(res.provenance.schema).toBe('b2m.fmri.preprocess/1')
    const bad = randomRun(T410, 2, 0, () => NaN)
    expect(() => preprocessRun(bad, training[0], { tr: TR })).toThrow(/non-finite/)
    expect(() =>
      preprocessRun({ data: new Float32Array(5), nVolumes: 2, nVoxels: 2 }, training[0], { tr: TR })
    ).toThrow(B2mError)
  })
})

// ---------------------------------------------------------------- masks

describe('masks', () => {
  const dims = [40, 48, 36] as const
  const [X, Y, Z] = dims
  const inBlob = (x: number, y: number, z: number) =>
    ((x - 20) / 14) ** 2 + ((y - 24) / 17) ** 2 + ((z - 18) / 12) ** 2 <= 1
  function synthetic(seed: number) {
    const r = rng(seed)
    const mean = new Float32Array(X * Y * Z)
    const truth = new Uint8Array(X * Y * Z)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++) {
          const i = x + X * (y + Y * z)
          if (inBlob(x, y, z)) {
            truth[i] = 1
            mean[i] = 900 + 60 * r.normal()
          } else mean[i] = Math.abs(40 * r.normal())
        }
    // a bright detached blob (eyes/neck) and scattered bright noise voxels: not brain
    for (let z = 2; z < 6; z++) for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mean[x + X * (y + Y * z)] = 950
    for (let k = 0; k < 60; k++) mean[Math.floor(r.uniform() * mean.length)] = 1000
    return { mean, truth }
  }

  it('computeEpiMask recovers the brain blob from a noisy background', () => {
    const { mean, truth } = synthetic(33)
    const { mask, threshold, volume } = computeEpiMask(mean, dims)
    expect(threshold).toBeGreaterThan(100)
    expect(threshold).toBeLessThan(800)
    let inter = 0
    let nTruth = 0
    for (let i = 0; i < truth.length; i++) {
      inter += truth[i] & volume[i]
      nTruth += truth[i]
    }
    const dice = (2 * inter) / (nTruth + mask.nVoxels)
    expect(dice).toBeGreaterThan(0.98)
    expect(volume[3 + X * (3 + Y * 3)]).toBe(0) // detached blob gone
    expect(labelComponents(volume, dims, 26).count).toBe(1)
  })

  it.skipIf(!HAVE_SCIPY)('equals nilearn compute_epi_mask written with numpy + scipy.ndimage (26-connectivity)', () => {
    const { mean } = synthetic(34)
    const ours = computeEpiMask(mean, dims)
    // volume in x-fastest order = numpy array of shape (Z, Y, X) in C order
    const want = python(
      `m=load('m').reshape(${Z},${Y},${X})
s=np.sort(m.ravel()); n=len(s); lo=int(np.floor(0.2*n)); hi=min(int(np.floor(0.85*n)), n-1)
d=s[lo+1:hi+1]-s[lo:hi]; ia=d.argmax(); th=0.5*(s[ia+lo]+s[ia+lo+1])
k=m>=th; k=scipy.ndimage.binary_erosion(k, iterations=2)
lab,nl=scipy.ndimage.label(k, structure=np.ones((3,3,3))); c=np.bincount(lab.ravel())[1:]; k=lab==(c.argmax()+1)
k=scipy.ndimage.binary_dilation(k, iterations=4); k=scipy.ndimage.binary_erosion(k, iterations=2)
save(np.concatenate([[th], k.ravel().astype(float)]))`,
      { m: Float64Array.from(mean) }
    )
    expect(ours.threshold).toBeCloseTo(want[0], 3)
    expect(maxAbsDiff(ours.volume, want.subarray(1))).toBe(0)
  })

  it('mask from a volume, masking, back-projection (NaN outside) and hole filling', () => {
    const vol = new Float32Array(4 * 3 * 2)
    vol[1] = 2
    vol[5] = -1
    vol[23] = 0.5
    vol[7] = NaN
    const mask = maskFromVolume(vol, [4, 3, 2])
    expect(Array.from(mask.indices)).toEqual([1, 5, 23])
    const four = Float32Array.from({ length: 24 * 2 }, (_, i) => i)
    const run = applyMask(four, 2, mask)
    expect(Array.from(run.data)).toEqual([1, 5, 23, 25, 29, 47])
    const streamed: RunData = { data: new Float32Array(6), nVolumes: 2, nVoxels: 3 }
    maskVolumeInto(four.subarray(24), mask, streamed, 1, 2, 1)
    expect(Array.from(streamed.data)).toEqual([0, 0, 0, 51, 59, 95])
    const back = backProject([7, 8, 9], mask)
    expect([back[1], back[5], back[23]]).toEqual([7, 8, 9])
    expect(back.filter((v) => Number.isNaN(v))).toHaveLength(21)
    expect(Array.from(maskToVolume(mask)).reduce((a, b) => a + b)).toBe(3)
    expect(() => maskFromVolume(new Float32Array(24), [4, 3, 2])).toThrow(/no nonzero/)
    expect(() => backProject([1, 2], mask)).toThrow(B2mError)

    // hollow cube shell: filled inside; an open cup is not
    const d = [7, 7, 7] as const
    const shell = new Uint8Array(343)
    for (let z = 1; z < 6; z++)
      for (let y = 1; y < 6; y++)
        for (let x = 1; x < 6; x++)
          if (x === 1 || x === 5 || y === 1 || y === 5 || z === 1 || z === 5) shell[x + 7 * (y + 7 * z)] = 1
    const filled = fillHoles(shell, d)
    expect(filled.reduce((a, b) => a + b, 0)).toBe(125)
    const cup = shell.slice()
    cup[3 + 7 * (3 + 7 * 5)] = 0
    expect(fillHoles(cup, d).reduce((a, b) => a + b, 0)).toBe(cup.reduce((a, b) => a + b, 0))
  })
})
