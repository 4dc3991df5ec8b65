import { B2mError } from '../common/errors'
import { checkEvents, clipKey, normalizeGenre } from './clips'
import { checkRun, checkTr } from './checks'
import type { ClipEvent, ResponseMatrix, ResponseSample, RunData } from './types'

/**
 * Which stimulus intervals become response rows, relative to each clip's onset:
 * * `clip`: one row per clip, [0, duration).
 * * `windows`: windows of `length` s every `step` s from `offset` (default 0) while they fit in the clip
 *   (e.g. 10 s every 1.5 s in a 15 s clip: [0,10), [1.5,11.5), [3,13), [4.5,14.5)) — to match a feature
 *   set computed on such windows.
 * * `tr`: one row per TR of the clip ([0,TR), [TR,2TR), ...): the TR-level matrix of the
 *   Resp_Training.npy / Resp_Test_Mean.npy derivatives (400 rows per run after the dropped clip).
 */
export type SampleGrid =
  { kind: 'clip' } | { kind: 'windows'; length: number; step: number; offset?: number } | { kind: 'tr' }

/**
 * Edge policy for rows whose shifted interval runs past the run (the last clip with a 3-TR shift needs
 * volumes 403..412 of 0..409): `partial` averages the volumes that exist (coverage < 1 recorded, warned);
 * `drop` drops such rows (warned); `error` throws.
 */
export type AlignEdge = 'partial' | 'drop' | 'error'

export interface AlignOptions {
  /** Repetition time, seconds. */
  tr: number
  /** Names the run in samples and messages. */
  runId: string
  grid?: SampleGrid
  /**
   * Hemodynamic delays in TRs. One delay (default [3] = 4.5 s at TR 1.5) gives one V-column block; several
   * (FIR, e.g. [1, 2, 3, 4]) give lagged copies side by side (column d * V + v). May be fractional.
   */
  delays?: number[]
  /** Drop row 0 of the events (ds003720 repeats a clip there). Default true. */
  dropFirstClip?: boolean
  edge?: AlignEdge
}

export const DEFAULT_SHIFT_TRS = 3

/** A row's recipe: which volumes, with which weights, for each delay. */
interface RowPlan {
  sample: ResponseSample
  perDelay: { volumes: number[]; weights: number[] }[]
}

const EPS = 1e-9

/** Stimulus windows [start, end) in seconds relative to a clip's onset. */
export function clipWindows(duration: number, grid: SampleGrid, tr: number): [number, number][] {
  let length: number
  let step: number
  let offset = 0
  if (grid.kind === 'clip') return [[0, duration]]
  if (grid.kind === 'tr') {
    length = tr
    step = tr
  } else if (grid.kind === 'windows') {
    length = grid.length
    step = grid.step
    offset = grid.offset ?? 0
  } else {
    throw new B2mError('bad_request', `alignment: unknown grid ${JSON.stringify(grid)}`)
  }
  if (!(length > 0) || !(step > 0) || !(offset >= 0)) {
    throw new B2mError('bad_request', `alignment: windows need length > 0, step > 0, offset >= 0`)
  }
  const out: [number, number][] = []
  for (let k = 0; ; k++) {
    const s = offset + k * step
    if (s + length > duration + EPS) break
    out.push([s, s + length])
  }
  return out
}

/**
 * Volumes and weights standing for the run-time interval [a, b): volume t is taken to represent
 * [t*TR, (t+1)*TR), and weighs by its overlap with [a, b) (in TRs). On the TR grid every weight is 1:
 * the 15 s clip at onset o with shift s is exactly volumes o/TR + s ... o/TR + s + 9.
 */
function intervalVolumes(a: number, b: number, tr: number, T: number) {
  const volumes: number[] = []
  const weights: number[] = []
  const first = Math.floor(a / tr + EPS)
  const last = Math.ceil(b / tr - EPS) - 1
  for (let t = first; t <= last; t++) {
    const w = (Math.min(b, (t + 1) * tr) - Math.max(a, t * tr)) / tr
    if (w <= EPS || t < 0 || t >= T) continue
    volumes.push(t)
    weights.push(w)
  }
  const wanted = (b - a) / tr
  const got = weights.reduce((x, y) => x + y, 0)
  return { volumes, weights, coverage: Math.min(1, got / wanted) }
}

/**
 * Aligns one preprocessed run to its clips: one row per (kept clip, window), each the weighted mean of
 * the volumes under the window shifted by each delay.
 */
export function alignRun(
  run: RunData,
  events: readonly ClipEvent[],
  options: AlignOptions
): { responses: ResponseMatrix; warnings: string[] } {
  const what = options.runId
  checkRun(run, what)
  checkTr(options.tr, what)
  checkEvents(events, what)
  const tr = options.tr
  const grid = options.grid ?? { kind: 'clip' }
  const delays = options.delays ?? [DEFAULT_SHIFT_TRS]
  const edge = options.edge ?? 'partial'
  if (delays.length === 0 || delays.some((d) => !Number.isFinite(d))) {
    throw new B2mError('bad_request', `${what}: delays must be finite numbers of TRs, got [${delays.join(', ')}]`)
  }
  const T = run.nVolumes
  const V = run.nVoxels
  const first = options.dropFirstClip === false ? 0 : 1
  const warnings: string[] = []
  const plans: RowPlan[] = []
  const partial: string[] = []
  let dropped = 0
  for (let i = first; i < events.length; i++) {
    const e = events[i]
    const windows = clipWindows(e.duration, grid, tr)
    if (windows.length === 0) {
      throw new B2mError('bad_request', `${what}: clip ${i} (${e.duration} s) holds no window of the grid`)
    }
    for (const [ws, we] of windows) {
      const perDelay = delays.map((d) => intervalVolumes(e.onset + ws + d * tr, e.onset + we + d * tr, tr, T))
      const coverage = Math.min(...perDelay.map((p) => p.coverage))
      const label = `clip ${i} (${clipKey(e)}) window [${ws}, ${we}) s`
      if (coverage < 1 - 1e-9) {
        const none = perDelay.some((p) => p.volumes.length === 0)
        if (edge === 'error') {
          throw new B2mError('bad_request', `${what}: ${label} with delays [${delays}] runs past volume ${T - 1}`)
        }
        if (edge === 'drop' || none) {
          dropped++
          continue
        }
        partial.push(`${label}: ${(coverage * 100).toFixed(0)}%`)
      }
      plans.push({
        sample: {
          run: options.runId,
          clipIndex: i,
          genre: normalizeGenre(e.genre),
          track: e.track,
          start: e.start,
          end: e.end,
          onset: e.onset,
          windowStart: ws,
          windowEnd: we,
          coverage,
          nRepeats: 1
        },
        perDelay
      })
    }
  }
  if (partial.length) {
    warnings.push(`${what}: ${partial.length} row(s) average only the volumes inside the run: ${partial.join('; ')}`)
  }
  if (dropped) warnings.push(`${what}: ${dropped} row(s) dropped: their shifted window runs past the run`)

  const nColumns = delays.length * V
  const out = new Float32Array(plans.length * nColumns)
  const acc = new Float64Array(V)
  plans.forEach((plan, s) => {
    plan.perDelay.forEach((p, d) => {
      acc.fill(0)
      let wsum = 0
      for (let k = 0; k < p.volumes.length; k++) {
        const w = p.weights[k]
        const row = p.volumes[k] * V
        wsum += w
        for (let v = 0; v < V; v++) acc[v] += w * run.data[row + v]
      }
      const o = s * nColumns + d * V
      for (let v = 0; v < V; v++) out[o + v] = acc[v] / wsum
    })
  })
  return {
    responses: {
      data: out,
      nSamples: plans.length,
      nVoxels: V,
      delays: [...delays],
      nColumns,
      samples: plans.map((p) => p.sample)
    },
    warnings
  }
}

/**
 * Averages repeated presentations: rows with the same stimulus (genre, track, start) and the same window
 * become one row, the plain mean of the repeats, in order of first appearance. The row keeps its first
 * presentation's run/clipIndex/onset, nRepeats counts the presentations, coverage is the smallest.
 */
export function averageRepeats(m: ResponseMatrix): ResponseMatrix {
  const groups = new Map<string, number[]>()
  m.samples.forEach((s, i) => {
    const key = `${clipKey(s)}|${s.windowStart.toFixed(6)}|${s.windowEnd.toFixed(6)}`
    const g = groups.get(key)
    if (g) g.push(i)
    else groups.set(key, [i])
  })
  const C = m.nColumns
  const rows = [...groups.values()]
  const out = new Float32Array(rows.length * C)
  const acc = new Float64Array(C)
  const samples: ResponseSample[] = []
  rows.forEach((members, r) => {
    acc.fill(0)
    for (const i of members) for (let c = 0; c < C; c++) acc[c] += m.data[i * C + c]
    for (let c = 0; c < C; c++) out[r * C + c] = acc[c] / members.length
    const first = m.samples[members[0]]
    samples.push({
      ...first,
      nRepeats: members.reduce((n, i) => n + m.samples[i].nRepeats, 0),
      coverage: Math.min(...members.map((i) => m.samples[i].coverage))
    })
  })
  return { data: out, nSamples: rows.length, nVoxels: m.nVoxels, delays: [...m.delays], nColumns: C, samples }
}

/** Stacks response matrices row-wise (same voxels and delays), e.g. the 12 training runs. */
export function concatResponses(parts: readonly ResponseMatrix[]): ResponseMatrix {
  if (parts.length === 0) throw new B2mError('bad_request', 'concatenating responses: nothing to concatenate')
  const { nVoxels, delays, nColumns } = parts[0]
  for (const p of parts) {
    if (p.nVoxels !== nVoxels || p.delays.join(',') !== delays.join(',')) {
      throw new B2mError('bad_request', 'concatenating responses: runs differ in voxels or delays')
    }
  }
  const nSamples = parts.reduce((n, p) => n + p.nSamples, 0)
  const data = new Float32Array(nSamples * nColumns)
  let o = 0
  for (const p of parts) {
    data.set(p.data, o)
    o += p.data.length
  }
  return { data, nSamples, nVoxels, delays: [...delays], nColumns, samples: parts.flatMap((p) => p.samples) }
}
