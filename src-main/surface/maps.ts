/**
 * Cortical maps in a workspace: registering a file as a map (a NIfTI volume copied as float32, or
 * per-vertex values of a surface set) and projecting a map onto a set's hemispheres.
 *
 * Per-vertex files: `.npy` (1-D, or [n, 1] / [2, n]) with lh then rh values for the whole set, or one
 * hemisphere's values; GIfTI func/shape (first data array) and FreeSurfer curv-style files hold one
 * hemisphere. A one-hemisphere file's side comes from its name (lh./rh., hemi-L/hemi-R, left/right, .L./.R.)
 * or, failing that, from the vertex count when only one hemisphere of the set has it. Stored as one
 * float32 array of lh then rh values (NaN on a hemisphere the file did not cover).
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type { Hemi, MapInfo, ProjectedMap, ProjectionMethod, SurfaceKind } from '../../src-preload/api'
import { type MapRecord, mapInfo } from '../catalogue'
import { B2mError } from '../common/errors'
import { readNifti } from '../formats/nifti'
import { readNpy } from '../formats/npy'
import type { Workspace } from '../workspace'
import { readVertexValuesFile } from './files'
import type { SurfaceLibrary } from './library'
import { valueStats } from './mapping'

export interface AddMapOptions {
  path: string
  name?: string
  surfaceSet?: string
  units?: string
  modelId?: number | null
}

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
  const source = sha256(abs)
  const batch = ws.batch()
  batch.add(newRelPath(), { dtype: 'float32', shape: [Z, Y, X], data }, 'map')
  return batch.commit(([rec]) =>
    ws.catalogue.maps.create({
      name: opts.name ?? defaultName(abs),
      kind: 'volume',
      sourcePath: abs,
      arrayId: rec.id,
      grid: { shape: [X, Y, Z], affine: header.affine },
      units: opts.units ?? header.intentName ?? '',
      modelId: opts.modelId ?? null,
      provenance: {
        sourceSha256: source,
        affineSource: header.affineSource,
        datatype: header.datatypeName,
        descrip: header.descrip
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

async function addSurface(ws: Workspace, lib: SurfaceLibrary, opts: AddMapOptions, abs: string): Promise<MapRecord> {
  let values: Float32Array
  let format: string
  if (/\.npy$/i.test(abs)) {
    values = npyValues(abs)
    format = 'npy'
  } else {
    const r = readVertexValuesFile(abs)
    values = r.values
    format = r.format
  }
  const n = values.length
  // Which set: the one named, else the one (of those known) whose vertex counts fit.
  let setId: string | null = opts.surfaceSet ?? null
  if (setId === null) {
    const fits = lib
      .sets()
      .filter((s) => n === s.nVertices.lh + s.nVertices.rh || n === s.nVertices.lh || n === s.nVertices.rh)
    if (fits.length === 1) setId = fits[0].id
  }
  let stored = values
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
      stored = new Float32Array(total).fill(NaN)
      stored.set(values, hemi === 'lh' ? 0 : counts.lh)
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
  return batch.commit(([rec]) =>
    ws.catalogue.maps.create({
      name: opts.name ?? defaultName(abs),
      kind: 'surface',
      sourcePath: abs,
      arrayId: rec.id,
      surfaceSet: setId,
      units: opts.units ?? '',
      modelId: opts.modelId ?? null,
      provenance: { sourceSha256: source, format, hemis, nVertices: counts, nValues: stored.length }
    })
  )
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
  const rec = /\.nii(\.gz)?$/i.test(abs) ? await addVolume(ws, opts, abs) : await addSurface(ws, lib, opts, abs)
  return mapInfo(rec)
}

export interface ProjectMapOptions {
  mapId: number
  set: string
  method: ProjectionMethod
  surface: SurfaceKind
}

export interface ProjectedValues {
  lh: Float32Array
  rh: Float32Array
  stats: ProjectedMap['stats']
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
  }
  return { lh, rh, stats: valueStats(lh, rh) }
}
