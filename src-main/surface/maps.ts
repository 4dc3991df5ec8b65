/**
 * Cortical maps in a workspace: registering a file as a map (a NIfTI volume copied as float32, or
 * per-vertex values of a surface set) and projecting a map onto a set's hemispheres.
 *
 * Per-vertex files: `.npy` (1-D, or [n, 1] / [2, n]) with lh then rh values for the whole set, or one
 * hemisphere's values; GIfTI func/shape (first data array) and FreeSurfer curv-style files hold one
 * hemisphere. A one-hemisphere file's side comes from its name (lh./rh., hemi-L/hemi-R, left/right, .L./.R.)
 * or, failing that, from the vertex count when only one hemisphere of the set has it. Stored as one
 * float32 array of lh then rh values (NaN on a hemisphere the file did not cover).
 *
 * Significance: a map may carry p-values (one per voxel or vertex). Benjamini-Hochberg at level q over
 * the defined p-values gives a uint8 mask stored beside them; projecting a volume map then marks a
 * vertex significant when more than half the weight of its sampled voxels (those with a p-value) is.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type { Hemi, MapInfo, ProjectedMap, ProjectionMethod, SurfaceKind } from '../../src-preload/api'
import { type MapGrid, type MapRecord, type NewMap, type NewSignificance, mapInfo } from '../catalogue'
import { B2mError } from '../common/errors'
import { benjaminiHochberg } from '../evaluate/fdr'
import { readNifti } from '../formats/nifti'
import { readNpy } from '../formats/npy'
import type { ArrayBatch, Workspace } from '../workspace'
import { readVertexValuesFile } from './files'
import { type SurfaceLibrary, surfaceLibrary } from './library'
import { valueStats } from './mapping'

export interface AddMapOptions {
  path: string
  name?: string
  surfaceSet?: string
  units?: string
  modelId?: number | null
  /** p-values for every voxel/vertex of the map (NIfTI on its grid, .npy, or a per-vertex file). */
  pvalues?: string
  /** FDR level for the significance mask (default 0.05). */
  q?: number
}

export const DEFAULT_FDR_Q = 0.05

/** Workspace folder of the on-disk matrix cache (not catalogued; safe to delete). */
export function matrixCacheDir(ws: Workspace): string {
  return join(ws.root, 'cache', 'surface')
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

function defaultName(path: string): string {
  return basename(path).replace(/\.(nii\.gz|nii|npy|gii\.gz|gii|mz3)$/i, '')
}

/** lh / rh from a file name, or null when it does not say. */
export function hemiFromName(path: string): Hemi | null {
  const n = basename(path)
  const lh = /(^|[._-])(lh|left)([._-]|$)|hemi-L([._-]|$)|\.L\./i.test(n)
  const rh = /(^|[._-])(rh|right)([._-]|$)|hemi-R([._-]|$)|\.R\./i.test(n)
  if (lh && !rh) return 'lh'
  if (rh && !lh) return 'rh'
  return null
}

function newRelPath(): string {
  return `maps/map-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.npy`
}

/**
 * Benjamini-Hochberg at level q over the defined p-values; a p outside [0, 1] is an error naming `where`.
 */
export function fdrMask(
  p: Float32Array | Float64Array,
  q: number,
  where?: string
): { significant: Uint8Array; tests: number; count: number } {
  if (!(q > 0 && q < 1)) throw new B2mError('bad_request', `the FDR level q must lie in (0, 1), got ${q}`, where)
  for (let i = 0; i < p.length; i++) {
    const v = p[i]
    if (v < 0 || v > 1 || v === Infinity || v === -Infinity)
      throw new B2mError('bad_request', `p-value ${i} is ${v}: p-values must lie in [0, 1] (NaN for none)`, where)
  }
  const r = benjaminiHochberg(p, q)
  return { significant: r.significant, tests: r.tests, count: r.count }
}

/**
 * Stages p-values (same shape and order as the map's values; NaN = not tested) and their BH mask at level
 * q in `batch`, and returns what to pass as `significance` to `catalogue.maps.create`, given the two array
 * ids in staging order. For code that writes a map inside its own batch and transaction (training).
 */
export function stageMapSignificance(
  batch: ArrayBatch,
  shape: number[],
  p: Float32Array,
  q: number = DEFAULT_FDR_Q,
  where?: string
): (ids: number[]) => NewSignificance {
  return stageSignificance(batch, shape, p, q, where)
}

/** Stages the p-values and their BH mask in `batch` (after the values) and describes them for the row. */
function stageSignificance(
  batch: ArrayBatch,
  shape: number[],
  p: Float32Array,
  q: number,
  where?: string
): (ids: number[]) => NewSignificance {
  const { significant, tests, count } = fdrMask(p, q, where)
  const base = newRelPath().replace(/\.npy$/, '')
  batch.add(`${base}-p.npy`, { dtype: 'float32', shape, data: p }, 'map-pvalues')
  batch.add(`${base}-fdr.npy`, { dtype: 'uint8', shape, data: significant }, 'map-significance')
  return (ids) => ({ pvaluesArrayId: ids[0], significanceArrayId: ids[1], q, tests, significant: count })
}

const AFFINE_TOL_MM = 1e-3

/**
 * p-values on a volume map's grid: a NIfTI with the same shape and affine, a 1-D .npy in NIfTI voxel order
 * (x fastest), or a 3-D .npy in nibabel's (X, Y, Z) order (what `img.get_fdata()` gives).
 */
async function volumePValues(path: string, grid: MapGrid): Promise<Float32Array> {
  const [X, Y, Z] = grid.shape
  const n = X * Y * Z
  if (/\.nii(\.gz)?$/i.test(path)) {
    const { header, data } = await readNifti(path)
    if (header.volumes !== 1 || header.shape.some((d, a) => d !== grid.shape[a]))
      throw new B2mError(
        'bad_request',
        `p-values have dims ${header.dims.join('x')} but the map is one ${X}x${Y}x${Z} volume: they must share the grid`,
        path
      )
    const off = Math.max(...header.affine.flatMap((r, i) => r.map((v, j) => Math.abs(v - grid.affine[i][j]))))
    if (!(off <= AFFINE_TOL_MM))
      throw new B2mError(
        'bad_request',
        `p-values are on another grid: their affine differs from the map's by up to ${off.toFixed(3)} mm`,
        path
      )
    return data
  }
  if (/\.npy$/i.test(path)) {
    const arr = readNpy(path)
    const s = arr.shape
    if (arr.dtype === 'bool') throw new B2mError('bad_request', 'p-value .npy holds booleans, not p-values', path)
    const src = arr.data
    if (s.length === 1 && s[0] === n) return src instanceof Float32Array ? src : Float32Array.from(src)
    if (s.length === 3 && s[0] === X && s[1] === Y && s[2] === Z) {
      // (X, Y, Z) in C order: z fastest -> NIfTI order, x fastest.
      const out = new Float32Array(n)
      for (let x = 0; x < X; x++)
        for (let y = 0; y < Y; y++) for (let z = 0; z < Z; z++) out[x + X * (y + Y * z)] = src[(x * Y + y) * Z + z]
      return out
    }
    throw new B2mError(
      'bad_request',
      `p-value .npy has shape (${s.join(', ')}); the map's grid needs (${X}, ${Y}, ${Z}) as nibabel orders it, or ${n} values in NIfTI voxel order`,
      path
    )
  }
  throw new B2mError('bad_request', 'p-values for a volume map must be a NIfTI (.nii, .nii.gz) or a .npy', path)
}

function resolvePValuesPath(path: string): string {
  const abs = resolve(path)
  let dir = false
  try {
    dir = statSync(abs).isDirectory()
  } catch {
    throw new B2mError('not_found', 'p-value file not found', abs)
  }
  if (dir) throw new B2mError('bad_request', 'is a folder; p-values are a NIfTI, .npy or per-vertex file', abs)
  return abs
}

async function addVolume(ws: Workspace, opts: AddMapOptions, abs: string): Promise<MapRecord> {
  const { header, data } = await readNifti(abs)
  if (header.volumes !== 1) {
    throw new B2mError(
      'bad_request',
      `has ${header.volumes} volumes (dims ${header.dims.join('x')}); a map is one 3D volume`,
      abs
    )
  }
  const [X, Y, Z] = header.shape
  const grid: MapGrid = { shape: [X, Y, Z], affine: header.affine }
  const pPath = opts.pvalues ? resolvePValuesPath(opts.pvalues) : null
  const p = pPath ? await volumePValues(pPath, grid) : null
  const source = sha256(abs)
  const batch = ws.batch()
  batch.add(newRelPath(), { dtype: 'float32', shape: [Z, Y, X], data }, 'map')
  let sig: ((ids: number[]) => NewSignificance) | null = null
  try {
    if (p) sig = stageSignificance(batch, [Z, Y, X], p, opts.q ?? DEFAULT_FDR_Q, pPath!)
  } catch (err) {
    batch.discard()
    throw err
  }
  return batch.commit(([rec, ...rest]) =>
    ws.catalogue.maps.create({
      name: opts.name ?? defaultName(abs),
      kind: 'volume',
      sourcePath: abs,
      arrayId: rec.id,
      grid,
      units: opts.units ?? header.intentName ?? '',
      modelId: opts.modelId ?? null,
      significance: sig ? sig(rest.map((r) => r.id)) : null,
      provenance: {
        sourceSha256: source,
        affineSource: header.affineSource,
        datatype: header.datatypeName,
        descrip: header.descrip,
        ...(pPath ? { pvalues: { path: pPath, sha256: sha256(pPath) } } : {})
      }
    })
  )
}

function npyValues(abs: string): Float32Array {
  const arr = readNpy(abs)
  const s = arr.shape
  const ok = s.length === 1 || (s.length === 2 && (s[1] === 1 || s[0] === 1 || s[0] === 2))
  if (!ok) {
    throw new B2mError(
      'bad_request',
      `per-vertex .npy must be 1-D (lh then rh values), [n, 1] or [2, n]; this one has shape (${s.join(', ')})`,
      abs
    )
  }
  if (arr.dtype === 'bool') throw new B2mError('bad_request', 'per-vertex .npy holds booleans, not values', abs)
  return arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data)
}

function vertexFileValues(abs: string): { values: Float32Array; format: string } {
  if (/\.npy$/i.test(abs)) return { values: npyValues(abs), format: 'npy' }
  const r = readVertexValuesFile(abs)
  return { values: r.values, format: r.format }
}

async function addSurface(ws: Workspace, lib: SurfaceLibrary, opts: AddMapOptions, abs: string): Promise<MapRecord> {
  const { values, format } = vertexFileValues(abs)
  const n = values.length
  const pPath = opts.pvalues ? resolvePValuesPath(opts.pvalues) : null
  let p: Float32Array | null = null
  if (pPath) {
    p = vertexFileValues(pPath).values
    if (p.length !== n)
      throw new B2mError(
        'bad_request',
        `p-values: the file has ${p.length} values but the map ${basename(abs)} has ${n}: one p-value per vertex`,
        pPath
      )
  }
  // Which set: the one named, else the one (of those known) whose vertex counts fit.
  let setId: string | null = opts.surfaceSet ?? null
  if (setId === null) {
    const fits = lib
      .sets()
      .filter((s) => n === s.nVertices.lh + s.nVertices.rh || n === s.nVertices.lh || n === s.nVertices.rh)
    if (fits.length === 1) setId = fits[0].id
  }
  let stored = values
  let storedP = p
  let hemis: Hemi[] | null = null
  let counts: { lh: number; rh: number } | null = null
  if (setId !== null) {
    const info = lib.info(setId)
    setId = info.id
    counts = info.nVertices
    const total = counts.lh + counts.rh
    if (n === total) hemis = ['lh', 'rh']
    else if (n === counts.lh || n === counts.rh) {
      const named = hemiFromName(abs)
      const hemi: Hemi | null = named ?? (counts.lh !== counts.rh ? (n === counts.lh ? 'lh' : 'rh') : null)
      if (hemi === null) {
        throw new B2mError(
          'bad_request',
          `has ${n} values, one hemisphere of ${setId}, but its name does not say which (put lh/rh, hemi-L/hemi-R or left/right in the file name)`,
          abs
        )
      }
      if (n !== counts[hemi]) {
        throw new B2mError(
          'bad_request',
          `vertex-count mismatch: the file has ${n} values but ${setId} ${hemi} has ${counts[hemi]} vertices`,
          abs
        )
      }
      hemis = [hemi]
      const at = hemi === 'lh' ? 0 : counts.lh
      stored = new Float32Array(total).fill(NaN)
      stored.set(values, at)
      if (p) {
        storedP = new Float32Array(total).fill(NaN)
        storedP.set(p, at)
      }
    } else {
      throw new B2mError(
        'bad_request',
        `vertex-count mismatch: the file has ${n} values but ${setId} has ${counts.lh} (lh) + ${counts.rh} (rh) = ${total} vertices`,
        abs
      )
    }
  }
  const source = sha256(abs)
  const batch = ws.batch()
  batch.add(newRelPath(), { dtype: 'float32', shape: [stored.length], data: stored }, 'map')
  let sig: ((ids: number[]) => NewSignificance) | null = null
  try {
    if (storedP) sig = stageSignificance(batch, [stored.length], storedP, opts.q ?? DEFAULT_FDR_Q, pPath!)
  } catch (err) {
    batch.discard()
    throw err
  }
  return batch.commit(([rec, ...rest]) =>
    ws.catalogue.maps.create({
      name: opts.name ?? defaultName(abs),
      kind: 'surface',
      sourcePath: abs,
      arrayId: rec.id,
      surfaceSet: setId,
      units: opts.units ?? '',
      modelId: opts.modelId ?? null,
      significance: sig ? sig(rest.map((r) => r.id)) : null,
      provenance: {
        sourceSha256: source,
        format,
        hemis,
        nVertices: counts,
        nValues: stored.length,
        ...(pPath ? { pvalues: { path: pPath, sha256: sha256(pPath) } } : {})
      }
    })
  )
}

export interface RegisterMapInput {
  name: string
  kind: 'volume' | 'surface'
  /**
   * volume: X*Y*Z values in NIfTI voxel order (x fastest), or one per nonzero voxel of `mask` in that order
   * (e.g. an encoding model's r per masked voxel); surface: lh then rh values of `surfaceSet`.
   */
  values: Float32Array
  /** volume maps: the voxel grid. */
  grid?: MapGrid
  /** volume maps: X*Y*Z, nonzero where `values` (and `pvalues`) have an entry; the rest is NaN. */
  mask?: Uint8Array | null
  /** surface maps: the set whose vertices the values belong to. */
  surfaceSet?: string
  /** Same length and order as `values`; NaN = not tested. */
  pvalues?: Float32Array | Float64Array | null
  /** FDR level (default 0.05). */
  q?: number
  units?: string
  modelId?: number | null
  sourcePath?: string | null
  provenance?: Record<string, unknown>
}

/**
 * Registers a map from arrays in memory (what training calls for an encoding model's held-out r map,
 * with the r's p-values): the values, optional p-values and their BH mask written as .npy arrays and the
 * catalogue row added in one transaction. Throws B2mError('bad_request') on inconsistent input and
 * leaves the workspace unchanged.
 */
export function registerMap(ws: Workspace, input: RegisterMapInput, lib: SurfaceLibrary = surfaceLibrary()): MapInfo {
  const bad = (msg: string): never => {
    throw new B2mError('bad_request', `map "${input.name}": ${msg}`)
  }
  const q = input.q ?? DEFAULT_FDR_Q
  if (input.pvalues && input.pvalues.length !== input.values.length)
    bad(`${input.pvalues.length} p-values for ${input.values.length} values: one p-value per value`)
  let values = input.values
  let p: Float32Array | null = input.pvalues
    ? input.pvalues instanceof Float32Array
      ? input.pvalues
      : Float32Array.from(input.pvalues)
    : null
  let shape: number[]
  let surfaceSet: string | null = null
  if (input.kind === 'volume') {
    const g = input.grid ?? bad('a volume map needs its grid {shape, affine}')
    const [X, Y, Z] = g.shape
    const n = X * Y * Z
    shape = [Z, Y, X]
    if (input.mask) {
      const mask = input.mask
      if (mask.length !== n) bad(`mask has ${mask.length} voxels but the grid ${X}x${Y}x${Z} has ${n}`)
      let inside = 0
      for (let i = 0; i < n; i++) if (mask[i]) inside++
      if (inside !== values.length) bad(`${values.length} values for a mask of ${inside} voxels`)
      const full = new Float32Array(n).fill(NaN)
      const fullP = p ? new Float32Array(n).fill(NaN) : null
      for (let i = 0, k = 0; i < n; i++)
        if (mask[i]) {
          full[i] = values[k]
          if (fullP) fullP[i] = p![k]
          k++
        }
      values = full
      p = fullP
    } else if (values.length !== n) bad(`${values.length} values for a ${X}x${Y}x${Z} grid of ${n} voxels`)
  } else {
    const info = lib.info(input.surfaceSet ?? bad('a surface map needs its surface set'))
    surfaceSet = info.id
    const total = info.nVertices.lh + info.nVertices.rh
    if (values.length !== total)
      bad(
        `vertex-count mismatch: ${values.length} values but ${info.id} has ${info.nVertices.lh} (lh) + ${info.nVertices.rh} (rh) = ${total} vertices`
      )
    shape = [total]
  }
  const batch = ws.batch()
  batch.add(newRelPath(), { dtype: 'float32', shape, data: values }, 'map')
  let sig: ((ids: number[]) => NewSignificance) | null = null
  try {
    if (p) sig = stageSignificance(batch, shape, p, q)
  } catch (err) {
    batch.discard()
    throw err
  }
  const row: Omit<NewMap, 'arrayId' | 'significance'> = {
    name: input.name,
    kind: input.kind,
    sourcePath: input.sourcePath ?? null,
    grid: input.kind === 'volume' ? input.grid! : null,
    surfaceSet,
    modelId: input.modelId ?? null,
    units: input.units ?? '',
    provenance: input.provenance ?? {}
  }
  const rec = batch.commit(([v, ...rest]) =>
    ws.catalogue.maps.create({ ...row, arrayId: v.id, significance: sig ? sig(rest.map((r) => r.id)) : null })
  )
  return mapInfo(rec)
}

/** Registers a file as a map: NIfTI -> volume map, anything else -> per-vertex map. */
export async function addMap(ws: Workspace, lib: SurfaceLibrary, opts: AddMapOptions): Promise<MapInfo> {
  const abs = resolve(opts.path)
  let isDir = false
  try {
    isDir = statSync(abs).isDirectory()
  } catch {
    throw new B2mError('not_found', 'map file not found', abs)
  }
  if (isDir) throw new B2mError('bad_request', 'is a folder; a map is a NIfTI volume or a per-vertex file', abs)
  if (opts.name !== undefined && opts.name.trim() === '') throw new B2mError('bad_request', 'map name is empty', abs)
  if (opts.q !== undefined && !(opts.q > 0 && opts.q < 1))
    throw new B2mError('bad_request', `the FDR level q must lie in (0, 1), got ${opts.q}`)
  const rec = /\.nii(\.gz)?$/i.test(abs) ? await addVolume(ws, opts, abs) : await addSurface(ws, lib, opts, abs)
  return mapInfo(rec)
}

export interface ProjectMapOptions {
  mapId: number
  set: string
  method: ProjectionMethod
  surface: SurfaceKind
}

export interface ProjectedSignificance {
  /** 1 where the vertex is FDR-significant. */
  lh: Uint8Array
  rh: Uint8Array
  q: number
  /** Significant vertices over both hemispheres. */
  count: number
}

export interface ProjectedValues {
  lh: Float32Array
  rh: Float32Array
  stats: ProjectedMap['stats']
  /** Null when the map carries no p-values. */
  significant: ProjectedSignificance | null
}

/** More than half the weight of a vertex's sampled voxels (with a p-value) significant: 1. */
function majority(fraction: Float32Array): Uint8Array {
  const out = new Uint8Array(fraction.length)
  for (let i = 0; i < fraction.length; i++) out[i] = fraction[i] > 0.5 ? 1 : 0
  return out
}

function countOnes(...arrays: Uint8Array[]): number {
  let n = 0
  for (const a of arrays) for (let i = 0; i < a.length; i++) n += a[i]
  return n
}

/** Projects a map onto both hemispheres of a set (a surface map: checked and split into lh / rh). */
export function projectMap(ws: Workspace, lib: SurfaceLibrary, opts: ProjectMapOptions): ProjectedValues {
  const rec = ws.catalogue.maps.get(opts.mapId)
  if (!rec) throw new B2mError('not_found', `no map ${opts.mapId}`)
  if (rec.arrayId === null) throw new B2mError('failed', `map ${rec.id} (${rec.name}) has no stored values`)
  const info = lib.info(opts.set)
  const arr = ws.readArray(rec.arrayId)
  const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data)
  let lh: Float32Array
  let rh: Float32Array
  let significant: ProjectedSignificance | null = null
  if (rec.kind === 'surface') {
    if (rec.surfaceSet !== null && rec.surfaceSet !== info.id) {
      throw new B2mError(
        'bad_request',
        `map ${rec.id} (${rec.name}) belongs to surface set ${rec.surfaceSet}, not ${info.id}`
      )
    }
    const total = info.nVertices.lh + info.nVertices.rh
    if (data.length !== total) {
      throw new B2mError(
        'bad_request',
        `vertex-count mismatch: map ${rec.id} (${rec.name}) has ${data.length} values but ${info.id} has ` +
          `${info.nVertices.lh} (lh) + ${info.nVertices.rh} (rh) = ${total} vertices`,
        rec.sourcePath ?? undefined
      )
    }
    lh = data.slice(0, info.nVertices.lh)
    rh = data.slice(info.nVertices.lh)
    if (rec.significanceArrayId !== null && rec.significance) {
      const m = ws.readArray(rec.significanceArrayId).data
      if (m.length !== total)
        throw new B2mError(
          'failed',
          `map ${rec.id} (${rec.name}): its significance mask has ${m.length} values, not ${total}`
        )
      const mlh = Uint8Array.from(m.subarray(0, info.nVertices.lh))
      const mrh = Uint8Array.from(m.subarray(info.nVertices.lh))
      significant = { lh: mlh, rh: mrh, q: rec.significance.q, count: countOnes(mlh, mrh) }
    }
  } else {
    if (!rec.grid) throw new B2mError('failed', `volume map ${rec.id} (${rec.name}) has no grid in the catalogue`)
    if (opts.method !== 'line' && opts.surface !== 'white' && opts.surface !== 'pial') {
      throw new B2mError(
        'bad_request',
        `volumes are sampled at the white or pial surface (or between them with method "line"), not at the ${opts.surface} surface; ` +
          'the projected values show on every surface of the set'
      )
    }
    const grid = { shape: rec.grid.shape, affine: rec.grid.affine }
    const projOpts = {
      method: opts.method,
      surface: opts.surface as 'white' | 'pial',
      cacheDir: matrixCacheDir(ws)
    }
    lh = lib.projectVolume(info.id, 'lh', data, grid, projOpts)
    rh = lib.projectVolume(info.id, 'rh', data, grid, projOpts)
    if (rec.significanceArrayId !== null && rec.significance) {
      // The mask as 1/0 where the voxel has a value and a p-value (NaN elsewhere), through the same
      // matrix: each vertex gets the weighted share of its sampled voxels that are significant.
      const m = ws.readArray(rec.significanceArrayId).data
      const p = ws.readArray(rec.pvaluesArrayId ?? rec.significanceArrayId).data
      if (m.length !== data.length || p.length !== data.length)
        throw new B2mError('failed', `map ${rec.id} (${rec.name}): its p-values do not cover its ${data.length} voxels`)
      const share = new Float32Array(data.length)
      for (let i = 0; i < share.length; i++)
        share[i] = Number.isFinite(data[i]) && !Number.isNaN(p[i]) ? (m[i] ? 1 : 0) : NaN
      const mlh = majority(lib.projectVolume(info.id, 'lh', share, grid, projOpts))
      const mrh = majority(lib.projectVolume(info.id, 'rh', share, grid, projOpts))
      significant = { lh: mlh, rh: mrh, q: rec.significance.q, count: countOnes(mlh, mrh) }
    }
  }
  return { lh, rh, stats: valueStats(lh, rh), significant }
}
