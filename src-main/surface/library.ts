/**
 * The surface library: surface sets (template + registered subjects), their meshes, shape measures and
 * parcellations loaded on demand and kept in a byte-bounded LRU cache, and volume -> surface matrices
 * cached in memory (and optionally on disk).
 */
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Hemi, ShapeMeasure, SurfaceKind, SurfaceSetInfo } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import {
  readFreeSurferAnnot,
  readFreeSurferCurv,
  readFreeSurferPatch,
  readFreeSurferSurface
} from '../formats/freesurfer'
import type { FreeSurferSurface } from '../formats/freesurfer'
import { readGiftiScalars, readGiftiSurface } from '../formats/gifti'
import type { Annotation, Mesh } from '../formats/mesh'
import { patchToMesh } from '../formats/freesurfer'
import type { Mat4 } from '../formats/nifti'
import { type Registration, surfaceToVoxel, translation } from './affine'
import { readSurfaceFile } from './files'
import { ByteLru } from './lru'
import { type SamplingMethod, type SparseMatrix, applyMatrix, buildMatrix, matrixBytes } from './mapping'
import { matrixCacheKey, readCachedMatrix, writeCachedMatrix } from './matrix-cache'
import { SetRegistry, type SurfaceSetDef } from './sets'

export interface LoadedMesh {
  positions: Float32Array
  triangles: Uint32Array
  nVertices: number
  nTriangles: number
  /** 1 per vertex no triangle uses; null when every vertex is used. */
  unused: Uint8Array | null
  nUnused: number
  /** Bounds over the used vertices. */
  bounds: { min: [number, number, number]; max: [number, number, number] }
  source: string
  /** Surface coordinates -> scanner world mm (FreeSurfer tkr-RAS + c_ras), null when they already are. */
  toWorld: Mat4 | null
}

/** Where volumes are sampled: a surface of the set, or halfway between white and pial. */
export type SamplingSurface = 'white' | 'pial' | 'midthickness'

export interface VolumeGrid {
  /** [X, Y, Z] */
  shape: [number, number, number]
  /** voxel -> world (mm), 4x4 row-major */
  affine: Mat4
}

export interface ProjectionOptions {
  method: SamplingMethod
  /** nearest/trilinear: the surface sampled (default white). Ignored by line. */
  surface?: SamplingSurface
  registration?: Registration | null
  /** line: points per vertex (default 10). */
  samples?: number
  /** Folder for the on-disk matrix cache (e.g. <workspace>/cache/surface); none when absent. */
  cacheDir?: string | null
}

export interface LibraryOptions {
  meshCacheBytes?: number
  matrixCacheBytes?: number
  /** Template folder (tests); default resources/surfaces/fsaverage5. */
  templateDir?: string
}

type Cached = LoadedMesh | Float32Array | Annotation

function cachedBytes(v: Cached): number {
  if (v instanceof Float32Array) return v.byteLength
  if ('positions' in v) return v.positions.byteLength + v.triangles.byteLength + (v.unused?.byteLength ?? 0)
  return v.labels.byteLength + v.table.length * 64
}

/** Marks vertices no triangle uses; computes bounds over the rest. */
export function describeMesh(mesh: Mesh, toWorld: Mat4 | null = null): LoadedMesh {
  const n = mesh.nVertices
  const used = new Uint8Array(n)
  const t = mesh.triangles
  for (let i = 0; i < t.length; i++) used[t[i]] = 1
  let nUnused = 0
  for (let v = 0; v < n; v++) if (!used[v]) nUnused++
  const min: [number, number, number] = [Infinity, Infinity, Infinity]
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity]
  const p = mesh.positions
  for (let v = 0; v < n; v++) {
    if (nUnused && !used[v]) continue
    for (let a = 0; a < 3; a++) {
      const x = p[3 * v + a]
      if (x < min[a]) min[a] = x
      if (x > max[a]) max[a] = x
    }
  }
  if (min[0] === Infinity) for (let a = 0; a < 3; a++) min[a] = max[a] = 0
  let unused: Uint8Array | null = null
  if (nUnused) {
    unused = used
    for (let v = 0; v < n; v++) unused[v] = used[v] ? 0 : 1
  }
  return {
    positions: mesh.positions,
    triangles: mesh.triangles,
    nVertices: n,
    nTriangles: mesh.nTriangles,
    unused,
    nUnused,
    bounds: { min, max },
    source: mesh.source,
    toWorld
  }
}

function fileStamp(path: string): string {
  try {
    const s = statSync(path)
    return `${s.size}:${s.mtimeMs}`
  } catch {
    throw new B2mError('not_found', 'file not found', path)
  }
}

export class SurfaceLibrary {
  readonly registry: SetRegistry
  private readonly data: ByteLru<Cached>
  private readonly matrices: ByteLru<SparseMatrix>
  /** How many matrices were built, read from disk, or found in memory (for tests and logs). */
  readonly matrixStats = { built: 0, fromDisk: 0, fromMemory: 0 }

  constructor(opts: LibraryOptions = {}) {
    this.registry = new SetRegistry(opts.templateDir)
    this.data = new ByteLru<Cached>(opts.meshCacheBytes ?? 512 << 20, cachedBytes)
    this.matrices = new ByteLru<SparseMatrix>(opts.matrixCacheBytes ?? 256 << 20, matrixBytes)
  }

  set(ref: string): SurfaceSetDef {
    return this.registry.resolve(ref)
  }

  /** Registers one surface file per hemisphere as a one-surface set; its id is `files:<label>`. */
  registerFiles(files: Record<Hemi, string>, label?: string): SurfaceSetInfo {
    return this.info(this.registry.registerFiles(files, label).id)
  }

  /** Registers a FreeSurfer subject folder; its id is `subject:<label>`. */
  registerSubject(dir: string, label?: string): SurfaceSetInfo {
    return this.info(this.registry.register(dir, label).id)
  }

  info(ref: string | SurfaceSetDef): SurfaceSetInfo {
    const s = typeof ref === 'string' ? this.set(ref) : ref
    return {
      id: s.id,
      name: s.name,
      source: s.source,
      nVertices: { lh: this.nVertices(s, 'lh'), rh: this.nVertices(s, 'rh') },
      kinds: s.kinds,
      measures: s.measures,
      annotations: s.annotations,
      licence: s.licence
    }
  }

  sets(): SurfaceSetInfo[] {
    return this.registry.list().map((s) => this.info(s))
  }

  nVertices(ref: string | SurfaceSetDef, hemi: Hemi): number {
    return this.mesh(ref, hemi, 'white').nVertices
  }

  mesh(ref: string | SurfaceSetDef, hemi: Hemi, kind: SurfaceKind): LoadedMesh {
    const s = typeof ref === 'string' ? this.set(ref) : ref
    if (!s.kinds.includes(kind)) {
      throw new B2mError('not_found', `surface set ${s.id} has no ${kind} surface (it has ${s.kinds.join(', ')})`)
    }
    const key = `mesh|${s.signature}|${hemi}|${kind}`
    const hit = this.data.get(key)
    if (hit) return hit as LoadedMesh
    const file = s.surfaceFile(hemi, kind)
    let loaded: LoadedMesh
    if (s.format === 'gifti') {
      loaded = describeMesh(readGiftiSurface(file))
    } else if (s.format === 'file') {
      const mesh = readSurfaceFile(file)
      const fs = mesh as Partial<FreeSurferSurface>
      loaded = describeMesh(mesh, fs.cras && !fs.useRealRas ? translation(...fs.cras) : null)
    } else if (kind === 'flat') {
      const white = this.mesh(s, hemi, 'white')
      const base: Mesh = { ...white, source: white.source }
      loaded = describeMesh(patchToMesh(readFreeSurferPatch(file), base), white.toWorld)
    } else {
      const surf: FreeSurferSurface = readFreeSurferSurface(file)
      const toWorld = surf.cras && !surf.useRealRas ? translation(...surf.cras) : null
      loaded = describeMesh(surf, toWorld)
    }
    if (kind !== 'white') {
      const n = this.mesh(s, hemi, 'white').nVertices
      if (loaded.nVertices !== n) {
        throw new B2mError(
          'bad_request',
          `${kind} surface has ${loaded.nVertices} vertices but ${hemi} white has ${n}: the surfaces of a set must share their vertices`,
          file
        )
      }
    }
    return this.data.set(key, loaded) as LoadedMesh
  }

  shape(ref: string, hemi: Hemi, measure: ShapeMeasure): Float32Array {
    const s = this.set(ref)
    if (!s.measures.includes(measure)) {
      throw new B2mError(
        'not_found',
        `surface set ${s.id} has no ${measure} (it has ${s.measures.join(', ') || 'none'})`
      )
    }
    const key = `shape|${s.signature}|${hemi}|${measure}`
    const hit = this.data.get(key)
    if (hit) return hit as Float32Array
    const file = s.measureFile(hemi, measure)
    const values = s.format === 'gifti' ? readGiftiScalars(file)[0] : readFreeSurferCurv(file).values
    this.checkCount(s, hemi, values.length, file, measure)
    return this.data.set(key, values) as Float32Array
  }

  parcellation(ref: string, hemi: Hemi, name: string): Annotation {
    const s = this.set(ref)
    const key = `annot|${s.signature}|${hemi}|${name}`
    const hit = this.data.get(key)
    if (hit) return hit as Annotation
    const file = s.annotationFile(hemi, name)
    const annot = readFreeSurferAnnot(file)
    let labels = annot.labels
    if (s.annotationVertices !== null) {
      if (labels.length < s.annotationVertices) {
        throw new B2mError(
          'bad_request',
          `annotation has ${labels.length} vertices, fewer than the ${s.annotationVertices} of ${s.id}`,
          file
        )
      }
      labels = labels.slice(0, s.annotationVertices)
    }
    this.checkCount(s, hemi, labels.length, file, 'annotation')
    const out: Annotation = { labels, table: annot.table, nVertices: labels.length, source: file }
    return this.data.set(key, out) as Annotation
  }

  private checkCount(s: SurfaceSetDef, hemi: Hemi, n: number, file: string, what: string): void {
    const want = this.nVertices(s, hemi)
    if (n !== want) {
      throw new B2mError('bad_request', `${what} has ${n} values but ${s.id} ${hemi} has ${want} vertices`, file)
    }
  }

  /** A mesh from any surface file (GIfTI, FreeSurfer, MZ3), cached by path, size and mtime. */
  surfaceFile(path: string): LoadedMesh & { stamp: string } {
    const abs = resolve(path)
    const stamp = `file|${abs}|${fileStamp(abs)}`
    const hit = this.data.get(stamp)
    if (hit) return { ...(hit as LoadedMesh), stamp }
    const mesh = readSurfaceFile(abs)
    const fs = mesh as Partial<FreeSurferSurface>
    const toWorld = fs.cras && !fs.useRealRas ? translation(...fs.cras) : null
    const loaded = this.data.set(stamp, describeMesh(mesh, toWorld)) as LoadedMesh
    return { ...loaded, stamp }
  }

  /**
   * The vertex x voxel matrix of one hemisphere of a set for a volume grid: from memory, else from the
   * disk cache, else built (and stored in both).
   */
  setMatrix(ref: string, hemi: Hemi, grid: VolumeGrid, opts: ProjectionOptions): SparseMatrix {
    const s = this.set(ref)
    const surface = opts.surface ?? 'white'
    const white = this.mesh(s, hemi, 'white')
    const needPial = opts.method === 'line' || surface !== 'white'
    const pial = needPial ? this.mesh(s, hemi, 'pial') : null
    let positions = white.positions
    if (opts.method !== 'line' && surface === 'pial') positions = pial!.positions
    if (opts.method !== 'line' && surface === 'midthickness') positions = midpoint(white.positions, pial!.positions)
    const surfKey = `${s.signature}|${hemi}|${opts.method === 'line' ? 'white>pial' : surface}`
    return this.matrixFor(surfKey, { positions, outer: pial?.positions, toWorld: white.toWorld }, grid, opts)
  }

  /** Same for ad-hoc surface files (the CLI's --surface <file>, --pial <file>). */
  fileMatrix(path: string, pialPath: string | null, grid: VolumeGrid, opts: ProjectionOptions): SparseMatrix {
    const inner = this.surfaceFile(path)
    let outer: (LoadedMesh & { stamp: string }) | null = null
    if (pialPath) {
      outer = this.surfaceFile(pialPath)
      if (outer.nVertices !== inner.nVertices) {
        throw new B2mError(
          'bad_request',
          `pial surface has ${outer.nVertices} vertices but ${path} has ${inner.nVertices}`,
          pialPath
        )
      }
    }
    const surface = opts.surface ?? 'white'
    if (opts.method === 'line' && !outer) {
      throw new B2mError('bad_request', 'line sampling needs the pial surface as well (--pial <file>)', path)
    }
    if (opts.method !== 'line' && surface === 'midthickness' && !outer) {
      throw new B2mError('bad_request', 'mid-thickness sampling needs the pial surface as well (--pial <file>)', path)
    }
    const positions =
      opts.method !== 'line' && surface === 'midthickness'
        ? midpoint(inner.positions, outer!.positions)
        : inner.positions
    const surfKey = `${inner.stamp}|${outer?.stamp ?? ''}|${opts.method === 'line' ? 'line' : surface === 'midthickness' ? 'mid' : 'as-is'}`
    return this.matrixFor(surfKey, { positions, outer: outer?.positions, toWorld: inner.toWorld }, grid, opts)
  }

  private matrixFor(
    surfKey: string,
    geom: { positions: Float32Array; outer?: Float32Array; toWorld: Mat4 | null },
    grid: VolumeGrid,
    opts: ProjectionOptions
  ): SparseMatrix {
    const toVoxel = surfaceToVoxel(grid, opts.registration ?? null, geom.toWorld)
    const samples = opts.method === 'line' ? (opts.samples ?? 10) : 0
    const key = matrixCacheKey([surfKey, opts.method, String(samples), grid.shape.join('x'), toVoxel.flat().join(',')])
    const hit = this.matrices.get(key)
    if (hit) {
      this.matrixStats.fromMemory++
      return hit
    }
    if (opts.cacheDir) {
      const disk = readCachedMatrix(opts.cacheDir, key)
      if (disk && disk.nRows === geom.positions.length / 3) {
        this.matrixStats.fromDisk++
        return this.matrices.set(key, disk)
      }
    }
    const m = buildMatrix({
      method: opts.method,
      shape: grid.shape,
      toVoxel,
      positions: geom.positions,
      outer: geom.outer,
      samples: opts.samples
    })
    this.matrixStats.built++
    if (opts.cacheDir) writeCachedMatrix(opts.cacheDir, key, m)
    return this.matrices.set(key, m)
  }

  /** Projects one volume (x fastest) onto one hemisphere of a set. */
  projectVolume(
    ref: string,
    hemi: Hemi,
    volume: Float32Array,
    grid: VolumeGrid,
    opts: ProjectionOptions & { mask?: Uint8Array | null }
  ): Float32Array {
    return applyMatrix(this.setMatrix(ref, hemi, grid, opts), volume, opts.mask ?? null)
  }

  /** Drops every cached mesh, value array and matrix. */
  clear(): void {
    this.data.clear()
    this.matrices.clear()
  }

  get cacheBytes(): { data: number; matrices: number } {
    return { data: this.data.bytes, matrices: this.matrices.bytes }
  }
}

function midpoint(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = 0.5 * (a[i] + b[i])
  return out
}

let shared: SurfaceLibrary | null = null

/** The process-wide library every face shares (caches are per process). */
export function surfaceLibrary(): SurfaceLibrary {
  shared ??= new SurfaceLibrary()
  return shared
}
