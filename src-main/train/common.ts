/** Pieces both directions share: hooks, the alpha grid summary, provenance, staging a model's files. */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import type { EvaluationRecord, ModelRecord, ModelsRepo } from '../catalogue/models'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { onnxRuntimeVersion, type SessionManager } from '../onnx/sessions'
import { type RidgeFitResult, defaultAlphas } from '../ridge'
import { slug } from '../music/files'
import type { Workspace } from '../workspace'
import type { TrainingData } from './data'

/** How a training reports and is stopped (like computeFeatureSet's io). */
export interface TrainHooks {
  progress(fraction: number, message: string): void
  log(level: 'debug' | 'info' | 'warn' | 'error', text: string): void
  cancelled(): boolean
  /** Sessions for the ONNX Runtime products; default: a manager made (and disposed) for this training. */
  sessions?: SessionManager
}

export const SILENT_HOOKS: TrainHooks = { progress: () => {}, log: () => {}, cancelled: () => false }

export class TrainCancelled extends B2mError {
  constructor(what: string) {
    super('failed', `${what} cancelled`)
    this.name = 'TrainCancelled'
  }
}

export function alphaGrid(alphas: readonly number[] | undefined): number[] {
  return alphas ? [...alphas] : Array.from(defaultAlphas())
}

/** Mean CV score over targets per alpha (paper Fig. A.1) and how many targets chose each alpha. */
export function cvSummary(fits: readonly RidgeFitResult[]): { cvCurve: number[]; alphaCounts: number[] } {
  const nA = fits[0].alphas.length
  const curve = new Float64Array(nA)
  const counts = new Array<number>(nA).fill(0)
  let targets = 0
  for (const f of fits) {
    const t = f.nTargets
    for (let a = 0; a < nA; a++) {
      let s = 0
      for (let j = 0; j < t; j++) s += f.cvScores[a * t + j]
      curve[a] += s
    }
    for (let j = 0; j < t; j++) {
      const k = f.alphas.indexOf(f.bestAlphas[j])
      if (k >= 0) counts[k]++
    }
    targets += t
  }
  return { cvCurve: Array.from(curve, (s) => s / targets), alphaCounts: counts }
}

/** Mean over targets of the CV score at each target's chosen alpha. */
export function meanBestCv(f: RidgeFitResult): number {
  const t = f.nTargets
  let s = 0
  for (let j = 0; j < t; j++) s += f.cvScores[f.alphas.indexOf(f.bestAlphas[j]) * t + j]
  return s / t
}

export function provenance(data: TrainingData, ws: Workspace, extra: Record<string, unknown>): Record<string, unknown> {
  const rel = (p: string) =>
    p
      .slice(ws.arraysDir.length + 1)
      .split('\\')
      .join('/')
  return {
    data: {
      responses: {
        preprocessing: data.preprocessing.id,
        train: { array: rel(data.train.path), sha256: data.train.sha256, shape: [data.train.rows, data.train.columns] },
        test: { array: rel(data.test.path), sha256: data.test.sha256, shape: [data.test.rows, data.test.columns] }
      },
      features: {
        set: data.featureSet.id,
        name: data.featureSet.name,
        array: rel(data.featurePath),
        sha256: data.featureSha256,
        dim: data.dim
      },
      pairing: data.pairing
    },
    ...extra,
    codeVersion: APP_VERSION,
    node: process.version,
    onnxruntime: onnxRuntimeVersion()
  }
}

/** A fresh folder for a model's arrays (under arrays/) and files (under the workspace root). */
export function modelDir(subject: string, kind: 'decoder' | 'encoder', name: string): string {
  const stamp = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  return `trained/${slug(subject)}/${kind}-${slug(name)}-${stamp}`
}

export function defaultName(kind: 'decoder' | 'encoder', set: string, selection?: string): string {
  return kind === 'decoder'
    ? `decoder ${set}${selection && selection !== 'all' ? ` ${selection}` : ''}`
    : `encoder ${set}`
}

/** Removes a deleted model's non-array files (the folder named in its summary). */
export function removeModelFiles(ws: Workspace, rec: ModelRecord): void {
  const dir = rec.summary.dir
  if (typeof dir !== 'string' || !dir.startsWith('trained/')) return
  try {
    rmSync(`${ws.root}/${dir}`, { recursive: true, force: true })
  } catch {
    // left for the user; the catalogue no longer lists it
  }
}

/** Pearson r per column of a and b (rows x cols), float64; NaN where either column is constant. */
export function columnPearson(a: Float32Array, b: Float32Array, rows: number, cols: number): Float64Array {
  const ma = new Float64Array(cols)
  const mb = new Float64Array(cols)
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      ma[j] += a[i * cols + j]
      mb[j] += b[i * cols + j]
    }
  for (let j = 0; j < cols; j++) {
    ma[j] /= rows
    mb[j] /= rows
  }
  const sab = new Float64Array(cols)
  const saa = new Float64Array(cols)
  const sbb = new Float64Array(cols)
  for (let i = 0; i < rows; i++) {
    const o = i * cols
    for (let j = 0; j < cols; j++) {
      const x = a[o + j] - ma[j]
      const y = b[o + j] - mb[j]
      sab[j] += x * y
      saa[j] += x * x
      sbb[j] += y * y
    }
  }
  const r = new Float64Array(cols)
  for (let j = 0; j < cols; j++) r[j] = saa[j] > 0 && sbb[j] > 0 ? sab[j] / Math.sqrt(saa[j] * sbb[j]) : NaN
  return r
}

export function finiteMean(values: ArrayLike<number>): number | null {
  let s = 0
  let n = 0
  for (let i = 0; i < values.length; i++)
    if (Number.isFinite(values[i])) {
      s += values[i]
      n++
    }
  return n > 0 ? s / n : null
}

/**
 * A model's latest test evaluation, the one training stored; later analyses stored beside it (genre
 * generalisation, permutation tests) carry a `kind` in their metrics and are skipped.
 */
export function testEvaluation(repo: ModelsRepo, modelId: number): EvaluationRecord | undefined {
  return repo
    .evaluations(modelId)
    .filter((e) => e.metrics.kind === undefined)
    .at(-1)
}

/** A model's latest evaluation of analysis `kind` (metrics.kind), if any. */
export function analysisEvaluation(repo: ModelsRepo, modelId: number, kind: string): EvaluationRecord | undefined {
  return repo
    .evaluations(modelId)
    .filter((e) => e.metrics.kind === kind)
    .at(-1)
}
