import { B2mError } from '../common/errors'
import { type AlignEdge, type SampleGrid, DEFAULT_SHIFT_TRS, alignRun, averageRepeats, concatResponses } from './align'
import { checkFinite, checkRun, checkTr, throwIfCancelled } from './checks'
import { type RunRole, checkEvents, checkFirstClipRepeat } from './clips'
import { medianDetrendInPlace, polynomialDetrendInPlace } from './detrend'
import type { MedianEdge } from './sliding-median'
import type { CancelFn, ClipEvent, JsonValue, ProgressFn, ResponseMatrix, RunData } from './types'
import { zscoreInPlace } from './zscore'

export type DetrendSpec =
  | { method: 'median'; windowSeconds?: number; windowTRs?: number; edge?: MedianEdge }
  | { method: 'polynomial'; order: number }
  | { method: 'none' }

export interface AlignSpec {
  grid?: SampleGrid
  /** Single hemodynamic shift in TRs (default 3); ignored when `delays` is given. */
  shift?: number
  /** FIR delays in TRs, e.g. [1, 2, 3, 4]: lagged copies side by side. */
  delays?: number[]
  dropFirstClip?: boolean
  edge?: AlignEdge
}

export interface PreprocessOptions {
  tr: number
  /** Names the run in samples, warnings and provenance. */
  runId?: string
  /** Default: median filter over 240 s, edge 'shrink' (the paper's). */
  detrend?: DetrendSpec
  /** z-score each voxel over the run (default true). */
  zscore?: boolean
  align?: AlignSpec
  /** Work in the caller's array instead of a copy (saves T x V x 4 bytes per run). Default false. */
  inPlace?: boolean
  onProgress?: ProgressFn
  isCancelled?: CancelFn
}

export interface Provenance {
  [key: string]: JsonValue
}

export interface PreprocessResult {
  /** The detrended, z-scored run (T x V, time-major): for plots and TR-level models. */
  cleaned: RunData
  /** Its clip-aligned rows (repeats not averaged). */
  responses: ResponseMatrix
  warnings: string[]
  /** Parameters as used and the steps taken, as JSON for the catalogue. */
  provenance: Provenance
}

export const PROVENANCE_SCHEMA = 'b2m.fmri.preprocess/1'

const DEFAULT_DETREND: DetrendSpec = { method: 'median', windowSeconds: 240, edge: 'shrink' }

function resolvedDelays(align: AlignSpec): number[] {
  return align.delays ?? [align.shift ?? DEFAULT_SHIFT_TRS]
}

function json(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue
}

/** Sub-range progress: maps a step's own 0..1 onto [from, to] of the caller's. */
function subProgress(p: ProgressFn | undefined, from: number, to: number): ProgressFn | undefined {
  return p && ((f, m) => p(from + (to - from) * Math.min(1, Math.max(0, f)), m))
}

/**
 * One run: check -> detrend -> z-score -> align to clips. Progress is reported in [0, 1]; cancellation
 * is polled between voxel blocks and steps and stops with B2mError('failed', '... cancelled').
 */
export function preprocessRun(
  run: RunData,
  events: readonly ClipEvent[],
  options: PreprocessOptions
): PreprocessResult {
  const runId = options.runId ?? 'run'
  const progress = options.onProgress
  checkRun(run, runId)
  checkTr(options.tr, runId)
  checkEvents(events, runId)
  checkFinite(run, runId)
  const detrend = options.detrend ?? DEFAULT_DETREND
  const doZscore = options.zscore ?? true
  const align = options.align ?? {}
  const delays = resolvedDelays(align)
  const warnings: string[] = []
  const steps: JsonValue[] = []
  const cleaned: RunData = options.inPlace ? run : { ...run, data: run.data.slice() }

  steps.push({ step: 'check', nVolumes: run.nVolumes, nVoxels: run.nVoxels, finite: true })
  throwIfCancelled(options.isCancelled, `${runId}: preprocessing`)
  progress?.(0, `${runId}: detrending`)
  if (detrend.method === 'median') {
    const edge = detrend.edge ?? 'shrink'
    const { windowTRs } = medianDetrendInPlace(cleaned, {
      tr: options.tr,
      windowSeconds: detrend.windowSeconds ?? 240,
      windowTRs: detrend.windowTRs,
      edge,
      onProgress: subProgress(progress, 0, 0.85),
      isCancelled: options.isCancelled
    })
    steps.push({
      step: 'detrend',
      method: 'median',
      windowSeconds: detrend.windowTRs === undefined ? (detrend.windowSeconds ?? 240) : null,
      windowTRs,
      edge
    })
    if (windowTRs > run.nVolumes) {
      warnings.push(`${runId}: median window (${windowTRs} TRs) is longer than the run (${run.nVolumes} volumes)`)
    }
  } else if (detrend.method === 'polynomial') {
    polynomialDetrendInPlace(cleaned, detrend.order, {
      onProgress: subProgress(progress, 0, 0.85),
      isCancelled: options.isCancelled
    })
    steps.push({ step: 'detrend', method: 'polynomial', order: detrend.order, basis: 'legendre' })
  } else if (detrend.method === 'none') {
    steps.push({ step: 'detrend', method: 'none' })
  } else {
    throw new B2mError('bad_request', `${runId}: unknown detrend method ${JSON.stringify(detrend)}`)
  }

  throwIfCancelled(options.isCancelled, `${runId}: preprocessing`)
  if (doZscore) {
    progress?.(0.88, `${runId}: z-scoring`)
    const z = zscoreInPlace(cleaned)
    if (z.zeroVarianceVoxels) {
      warnings.push(`${runId}: ${z.zeroVarianceVoxels} zero-variance voxel(s) set to 0`)
    }
    steps.push({ step: 'zscore', ddof: 0, zeroVarianceVoxels: z.zeroVarianceVoxels })
  }

  throwIfCancelled(options.isCancelled, `${runId}: preprocessing`)
  progress?.(0.93, `${runId}: aligning to clips`)
  const aligned = alignRun(cleaned, events, {
    tr: options.tr,
    runId,
    grid: align.grid,
    delays,
    dropFirstClip: align.dropFirstClip,
    edge: align.edge
  })
  warnings.push(...aligned.warnings)
  steps.push({
    step: 'align',
    grid: json(align.grid ?? { kind: 'clip' }),
    delaysTRs: delays,
    delaysSeconds: delays.map((d) => d * options.tr),
    dropFirstClip: align.dropFirstClip ?? true,
    edge: align.edge ?? 'partial',
    volumeInterval: 'volume t stands for [t*TR, (t+1)*TR); a row averages the volumes under its shifted window',
    nSamples: aligned.responses.nSamples
  })
  progress?.(1, `${runId}: done`)

  const provenance: Provenance = {
    schema: PROVENANCE_SCHEMA,
    run: { id: runId, nVolumes: run.nVolumes, nVoxels: run.nVoxels, tr: options.tr, nEvents: events.length },
    parameters: json({
      tr: options.tr,
      detrend:
        detrend.method === 'median'
          ? {
              edge: 'shrink',
              ...detrend,
              windowSeconds: detrend.windowTRs === undefined ? (detrend.windowSeconds ?? 240) : null
            }
          : detrend,
      zscore: doZscore,
      align: { grid: { kind: 'clip' }, dropFirstClip: true, edge: 'partial', ...align, delays }
    }),
    steps,
    warnings
  }
  return { cleaned, responses: aligned.responses, warnings, provenance }
}

/** One run handed to buildResponses. */
export interface RunInput {
  /** e.g. 'task-Training_run-01'. */
  id: string
  role: RunRole
  tr: number
  data: RunData
  events: ClipEvent[]
}

export interface BuildOptions extends Omit<PreprocessOptions, 'tr' | 'runId' | 'onProgress' | 'isCancelled'> {
  /** Average the repeats of each test clip (default true). */
  averageTestRepeats?: boolean
  onProgress?: ProgressFn
  isCancelled?: CancelFn
}

export interface BuildResult {
  /** All training rows, runs in the order given. Null when no training run was given. */
  train: ResponseMatrix | null
  /** Test rows, repeats averaged (unless averageTestRepeats is false), in order of first presentation. */
  test: ResponseMatrix | null
  /** Test rows before averaging. */
  testRepeats: ResponseMatrix | null
  warnings: string[]
  provenance: Provenance
}

/**
 * A subject's response matrices: every run through preprocessRun, training rows stacked, test repeats
 * averaged. Checks the design's repeated first clip (warnings only) and the repeat counts of test clips.
 */
export function buildResponses(runs: readonly RunInput[], options: BuildOptions = {}): BuildResult {
  if (runs.length === 0) throw new B2mError('bad_request', 'building responses: no runs')
  const ids = new Set<string>()
  for (const r of runs) {
    if (ids.has(r.id)) throw new B2mError('bad_request', `building responses: run id '${r.id}' given twice`)
    ids.add(r.id)
    if (r.role !== 'train' && r.role !== 'test') {
      throw new B2mError('bad_request', `${r.id}: role must be 'train' or 'test', got '${String(r.role)}'`)
    }
  }
  const nVoxels = runs[0].data.nVoxels
  const mismatched = runs.find((r) => r.data.nVoxels !== nVoxels)
  if (mismatched) {
    throw new B2mError(
      'bad_request',
      `${mismatched.id}: ${mismatched.data.nVoxels} voxels, ${runs[0].id} has ${nVoxels}`
    )
  }

  const warnings: string[] = []
  const train: ResponseMatrix[] = []
  const test: ResponseMatrix[] = []
  const perRun: JsonValue[] = []
  let previousTrainLast: ClipEvent | undefined
  runs.forEach((r, i) => {
    throwIfCancelled(options.isCancelled, 'building responses')
    if (options.align?.dropFirstClip !== false) {
      warnings.push(...checkFirstClipRepeat(r.role, r.events, r.id, previousTrainLast))
    }
    if (r.role === 'train') previousTrainLast = r.events[r.events.length - 1]
    const result = preprocessRun(r.data, r.events, {
      ...options,
      tr: r.tr,
      runId: r.id,
      onProgress: subProgress(options.onProgress, i / runs.length, (i + 1) / runs.length),
      isCancelled: options.isCancelled
    })
    warnings.push(...result.warnings)
    ;(r.role === 'train' ? train : test).push(result.responses)
    perRun.push({ role: r.role, ...result.provenance })
  })

  const trainMatrix = train.length ? concatResponses(train) : null
  const testRepeats = test.length ? concatResponses(test) : null
  const average = options.averageTestRepeats ?? true
  const testMatrix = testRepeats && average ? averageRepeats(testRepeats) : testRepeats
  if (testMatrix && average) {
    const counts = new Set(testMatrix.samples.map((s) => s.nRepeats))
    if (counts.size > 1) {
      warnings.push(`test clips were presented unequal numbers of times: ${[...counts].sort().join(', ')}`)
    }
  }
  options.onProgress?.(1, 'responses built')
  const provenance: Provenance = {
    schema: 'b2m.fmri.responses/1',
    parameters: json({
      detrend: options.detrend ?? DEFAULT_DETREND,
      zscore: options.zscore ?? true,
      align: { ...(options.align ?? {}), delays: resolvedDelays(options.align ?? {}) },
      averageTestRepeats: average
    }),
    steps: [
      'per run: check finite -> detrend -> z-score per voxel -> drop repeated first clip -> align (shift/FIR)',
      'train: concatenate runs in the given order',
      average ? 'test: average repeats by (genre, track, start, window)' : 'test: repeats kept'
    ],
    runs: perRun,
    outputs: {
      train: trainMatrix ? { nSamples: trainMatrix.nSamples, nColumns: trainMatrix.nColumns } : null,
      test: testMatrix ? { nSamples: testMatrix.nSamples, nColumns: testMatrix.nColumns } : null,
      nVoxels
    },
    warnings
  }
  return { train: trainMatrix, test: testMatrix, testRepeats, warnings, provenance }
}
