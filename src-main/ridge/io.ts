/**
 * A ridge model folder, readable by numpy: weights.npy (p x t float32), intercept.npy (t float32),
 * alphas.npy (chosen alpha per target, float64), cv_scores.npy (n_alphas x t float64) — the files
 * ridge_ref.py writes — plus alpha_grid.npy and model.json with the parameters.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { readNpy, writeNpy, type NdArray } from '../formats/npy'
import type { RidgeFitResult, RidgeForm } from './fit'
import type { RidgeLinearModel } from './predict'

export interface RidgeModelInfo {
  format: 'b2m-ridge'
  version: 1
  nFeatures: number
  nTargets: number
  form: RidgeForm
  nFolds: number
  alphaGrid: number[]
  warnings: string[]
  /** Anything the caller wants recorded (data hashes, seed, code version...). */
  extra?: Record<string, unknown>
}

export interface LoadedRidgeModel extends RidgeLinearModel {
  bestAlphas: Float64Array
  cvScores: Float64Array
  info: RidgeModelInfo
}

/** Writes the model folder atomically (a temporary sibling renamed into place). */
export function saveRidgeModel(dir: string, fit: RidgeFitResult, extra?: Record<string, unknown>): void {
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  try {
    const p = fit.nFeatures
    const t = fit.nTargets
    writeNpy(join(tmp, 'weights.npy'), { dtype: 'float32', shape: [p, t], data: fit.weights })
    writeNpy(join(tmp, 'intercept.npy'), { dtype: 'float32', shape: [t], data: fit.intercept })
    writeNpy(join(tmp, 'alphas.npy'), { dtype: 'float64', shape: [t], data: fit.bestAlphas })
    writeNpy(join(tmp, 'cv_scores.npy'), { dtype: 'float64', shape: [fit.alphas.length, t], data: fit.cvScores })
    const info: RidgeModelInfo = {
      format: 'b2m-ridge',
      version: 1,
      nFeatures: p,
      nTargets: t,
      form: fit.form,
      nFolds: fit.nFolds,
      alphaGrid: Array.from(fit.alphas),
      warnings: fit.warnings,
      ...(extra ? { extra } : {})
    }
    writeFileSync(join(tmp, 'model.json'), JSON.stringify(info, null, 2) + '\n')
    rmSync(dir, { recursive: true, force: true })
    renameSync(tmp, dir)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    throw err
  }
}

function expectArray(dir: string, name: string, dtype: NdArray['dtype'], shape: number[]): NdArray {
  const file = join(dir, name)
  if (!existsSync(file)) throw new B2mError('not_found', `ridge model file missing`, file)
  const arr = readNpy(file)
  if (arr.dtype !== dtype) throw new B2mError('bad_request', `expected ${dtype}, found ${arr.dtype}`, file)
  if (arr.shape.length !== shape.length || arr.shape.some((d, i) => d !== shape[i])) {
    throw new B2mError('bad_request', `expected shape [${shape.join(', ')}], found [${arr.shape.join(', ')}]`, file)
  }
  return arr
}

export function loadRidgeModel(dir: string): LoadedRidgeModel {
  const jsonFile = join(dir, 'model.json')
  if (!existsSync(jsonFile)) throw new B2mError('not_found', 'not a ridge model folder (model.json missing)', jsonFile)
  let info: RidgeModelInfo
  try {
    info = JSON.parse(readFileSync(jsonFile, 'utf8')) as RidgeModelInfo
  } catch (err) {
    throw new B2mError('bad_request', `invalid JSON: ${(err as Error).message}`, jsonFile)
  }
  if (info.format !== 'b2m-ridge' || !Number.isInteger(info.nFeatures) || !Number.isInteger(info.nTargets)) {
    throw new B2mError('bad_request', 'not a b2m ridge model description', jsonFile)
  }
  const p = info.nFeatures
  const t = info.nTargets
  const w = expectArray(dir, 'weights.npy', 'float32', [p, t])
  const b = expectArray(dir, 'intercept.npy', 'float32', [t])
  const a = expectArray(dir, 'alphas.npy', 'float64', [t])
  const s = expectArray(dir, 'cv_scores.npy', 'float64', [info.alphaGrid.length, t])
  return {
    weights: w.data as Float32Array,
    intercept: b.data as Float32Array,
    bestAlphas: a.data as Float64Array,
    cvScores: s.data as Float64Array,
    nFeatures: p,
    nTargets: t,
    info
  }
}
