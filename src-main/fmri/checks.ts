import { B2mError } from '../common/errors'
import type { CancelFn, Dims3, RunData } from './types'

/** Throws a clear error unless `run` is a well-formed T x V time-major block. `what` names the run. */
export function checkRun(run: RunData, what = 'run'): void {
  const { nVolumes: T, nVoxels: V, data } = run
  if (!Number.isInteger(T) || T <= 0) throw new B2mError('bad_request', `${what}: nVolumes must be > 0, got ${T}`)
  if (!Number.isInteger(V) || V <= 0) throw new B2mError('bad_request', `${what}: nVoxels must be > 0, got ${V}`)
  if (!(data instanceof Float32Array)) throw new B2mError('bad_request', `${what}: data must be a Float32Array`)
  if (data.length !== T * V) {
    throw new B2mError('bad_request', `${what}: data has ${data.length} values, expected ${T} x ${V} = ${T * V}`)
  }
}

/** Throws unless every value is finite (NaN/Inf would break medians and z-scores silently). */
export function checkFinite(run: RunData, what = 'run'): void {
  const d = run.data
  for (let i = 0; i < d.length; i++) {
    const x = d[i]
    if (x - x !== 0) {
      const t = Math.floor(i / run.nVoxels)
      const v = i % run.nVoxels
      throw new B2mError('bad_request', `${what}: non-finite value ${x} at volume ${t}, voxel ${v}`)
    }
  }
}

export function checkDims(dims: Dims3, length: number, what = 'volume'): void {
  if (dims.length !== 3 || dims.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new B2mError('bad_request', `${what}: dims must be three positive integers, got [${dims.join(', ')}]`)
  }
  const n = dims[0] * dims[1] * dims[2]
  if (length !== n) {
    throw new B2mError('bad_request', `${what}: has ${length} values, expected ${dims.join(' x ')} = ${n}`)
  }
}

export function checkTr(tr: number, what = 'run'): void {
  if (!(tr > 0) || !Number.isFinite(tr)) throw new B2mError('bad_request', `${what}: TR must be > 0 s, got ${tr}`)
}

/** The room's one way to stop: a B2mError the job runner reports as a cancellation (its flag is set). */
export function throwIfCancelled(isCancelled: CancelFn | undefined, during: string): void {
  if (isCancelled?.()) throw new B2mError('failed', `${during} cancelled`)
}
