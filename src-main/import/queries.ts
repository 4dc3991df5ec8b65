/** Read-side of imported runs: what the Subjects & runs view and the CLI list and plot. */
import { closeSync, openSync, readSync } from 'node:fs'
import type { PreprocessingInfo, RunInfo, SliceAxis } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { readNpyHeader } from '../formats/npy'
import type { Run } from '../catalogue'
import type { Workspace } from '../workspace'

export function runInfo(ws: Workspace, run: Run): RunInfo {
  const cat = ws.catalogue
  const subject = cat.subjects.get(run.subjectId)!
  const session = cat.sessions.get(run.sessionId)!
  const data = run.dataArrayId !== null ? cat.arrays.get(run.dataArrayId) : undefined
  return {
    id: run.id,
    subject: subject.label,
    session: session.label === '' ? null : session.label,
    task: run.task,
    run: run.run,
    shape: [run.shape[0], run.shape[1], run.shape[2]],
    volumes: run.volumes,
    tr: run.tr,
    voxels: data ? data.shape[1] : null,
    events: cat.stimuli.occurrences(run.id).length,
    sourcePath: run.sourcePath,
    sourceSha256: run.sourceSha256,
    eventsPath: run.eventsPath,
    warnings: run.warnings,
    createdAt: run.createdAt
  }
}

export function listRuns(ws: Workspace, subject?: string): RunInfo[] {
  const cat = ws.catalogue
  if (subject !== undefined) {
    const s = cat.subjects.getByLabel(subject)
    if (!s) throw new B2mError('not_found', `no subject ${subject}`)
    return cat.runs.listBySubject(s.id).map((r) => runInfo(ws, r))
  }
  return cat.runs.list().map((r) => runInfo(ws, r))
}

export function getRun(ws: Workspace, id: number): Run {
  const run = ws.catalogue.runs.get(id)
  if (!run) throw new B2mError('not_found', `no run ${id}`)
  return run
}

/**
 * A 2-D slice of a [Z, Y, X] volume for display, rows from the top: axial (z fixed; anterior, +y, up),
 * coronal (y fixed; superior, +z, up) and sagittal (x fixed; superior up, anterior to the right).
 */
export function sliceVolume<T extends Float32Array | Uint8Array>(
  vol: T,
  shape: [number, number, number],
  axis: SliceAxis,
  index?: number
): { data: T; rows: number; cols: number; index: number; count: number } {
  const [X, Y, Z] = shape
  const count = axis === 'axial' ? Z : axis === 'coronal' ? Y : X
  const i = index ?? Math.floor(count / 2)
  if (i < 0 || i >= count) throw new B2mError('bad_request', `${axis} slice ${i} is outside 0..${count - 1}`)
  const at = (x: number, y: number, z: number) => vol[x + X * (y + Y * z)]
  const Ctor = vol.constructor as { new (n: number): T }
  if (axis === 'axial') {
    const out = new Ctor(Y * X)
    for (let r = 0; r < Y; r++) for (let c = 0; c < X; c++) out[r * X + c] = at(c, Y - 1 - r, i)
    return { data: out, rows: Y, cols: X, index: i, count }
  }
  if (axis === 'coronal') {
    const out = new Ctor(Z * X)
    for (let r = 0; r < Z; r++) for (let c = 0; c < X; c++) out[r * X + c] = at(c, i, Z - 1 - r)
    return { data: out, rows: Z, cols: X, index: i, count }
  }
  const out = new Ctor(Z * Y)
  for (let r = 0; r < Z; r++) for (let c = 0; c < Y; c++) out[r * Y + c] = at(i, c, Z - 1 - r)
  return { data: out, rows: Z, cols: Y, index: i, count }
}

/** Column `v` of a (T x V) float32 .npy file, read without loading the matrix. */
export function readColumn(path: string, v: number): Float32Array {
  const h = readNpyHeader(path)
  if (h.dtype !== 'float32' || h.shape.length !== 2 || h.fortranOrder)
    throw new B2mError('bad_request', 'expected a C-order float32 (T x V) array', path)
  const [T, V] = h.shape
  if (v < 0 || v >= V) throw new B2mError('bad_request', `column ${v} is outside 0..${V - 1}`, path)
  const out = new Float32Array(T)
  const cell = Buffer.alloc(4)
  const fd = openSync(path, 'r')
  try {
    for (let t = 0; t < T; t++) {
      readSync(fd, cell, 0, 4, h.dataOffset + (t * V + v) * 4)
      out[t] = cell.readFloatLE(0)
    }
  } finally {
    closeSync(fd)
  }
  return out
}

export function preprocessingInfo(ws: Workspace, subject?: string): PreprocessingInfo[] {
  const cat = ws.catalogue
  const subj = subject === undefined ? null : cat.subjects.getByLabel(subject)
  if (subject !== undefined && !subj) throw new B2mError('not_found', `no subject ${subject}`)
  const list = subj ? cat.preprocessing.listBySubject(subj.id) : cat.preprocessing.list()
  return list.map((p) => {
    const shape = (id: number | null) => {
      const rec = id === null ? undefined : cat.arrays.get(id)
      return { rows: rec?.shape[0] ?? 0, columns: rec?.shape[1] ?? 0 }
    }
    return {
      id: p.id,
      subject: cat.subjects.get(p.subjectId)!.label,
      params: p.params,
      train: shape(p.trainArrayId),
      test: shape(p.testArrayId),
      warnings: p.warnings,
      createdAt: p.createdAt
    }
  })
}

/** The q-th and (1-q)-th quantiles of the finite values, from a sorted sample (display ranges). */
export function percentileRange(values: Float32Array, lowQ: number, highQ: number): { low: number; high: number } {
  const step = Math.max(1, Math.floor(values.length / 200_000))
  const sample: number[] = []
  for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i])) sample.push(values[i])
  if (sample.length === 0) return { low: 0, high: 0 }
  sample.sort((a, b) => a - b)
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.max(0, Math.round(q * (sample.length - 1))))]
  return { low: at(lowQ), high: at(highQ) }
}
