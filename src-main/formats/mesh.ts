/**
 * The shared shapes every surface reader hands out (GIfTI, FreeSurfer, MZ3), plus the small pieces of
 * byte handling and validation those readers share.
 *
 * Conventions: arrays are row-major typed arrays in native byte order; vertex k of a mesh is
 * `positions[3k..3k+2]`; triangle t is `triangles[3t..3t+2]` (0-based vertex indices, always checked to
 * be `< nVertices`).
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { B2mError } from '../common/errors'

export interface Mesh {
  /** x, y, z per vertex (n * 3), millimetres in the file's own space. */
  positions: Float32Array
  /** Three 0-based vertex indices per triangle (m * 3), each `< nVertices`. */
  triangles: Uint32Array
  nVertices: number
  nTriangles: number
  /** The coordinate space the file names, if any (GIfTI DataSpace, e.g. `NIFTI_XFORM_TALAIRACH`). */
  space?: string
  /** The file the mesh was read from. */
  source: string
}

/** One value per vertex (curvature, sulcal depth, thickness, a statistic map, one time point). */
export interface SurfaceScalars {
  values: Float32Array
  nVertices: number
  /** A name from the file when it has one (GIfTI `Name` metadata, MZ3 layer number). */
  name?: string
  source: string
}

export interface AnnotationEntry {
  name: string
  /** Red, green, blue, alpha in 0..1. */
  rgba: [number, number, number, number]
  /** The value the file stores for this label (FreeSurfer: packed R + G*256 + B*65536; GIfTI: Key). */
  key: number
  /** FreeSurfer colour-table structure index, when the file has one. */
  index?: number
}

/** A parcellation: per-vertex index into `table`, -1 for vertices whose label is not in the table. */
export interface Annotation {
  labels: Int32Array
  table: AnnotationEntry[]
  nVertices: number
  source: string
}

export const GZIP_MAGIC0 = 0x1f
export const GZIP_MAGIC1 = 0x8b

/** Reads a whole file; a missing or unreadable file is a B2mError naming it. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return readFileSync(path)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT') throw new B2mError('not_found', 'file not found', path)
    if (e.code === 'EISDIR') throw new B2mError('bad_request', 'is a directory, not a file', path)
    throw new B2mError('bad_request', `cannot read file (${e.message})`, path)
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC0 && bytes[1] === GZIP_MAGIC1
}

/** Gunzips whole-file gzip transparently; anything else is returned as it is. */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes
  try {
    return gunzipSync(bytes)
  } catch (err) {
    throw new B2mError('bad_request', `corrupt gzip data (${(err as Error).message})`, file)
  }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

type TypedCtor<T> = { new (length: number): T; BYTES_PER_ELEMENT: number }
type NumericArray =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array

/**
 * Copies `count` elements starting at byte `offset` into a fresh typed array in native byte order. One
 * memcpy plus (for the other byte order) one native swap; the caller has checked the bounds.
 */
export function copyTyped<T extends NumericArray>(
  bytes: Uint8Array,
  offset: number,
  count: number,
  ctor: TypedCtor<T>,
  littleEndian: boolean
): T {
  const out = new ctor(count)
  const size = ctor.BYTES_PER_ELEMENT
  const u8 = new Uint8Array(out.buffer, out.byteOffset, count * size)
  u8.set(bytes.subarray(offset, offset + count * size))
  if (size > 1 && littleEndian !== HOST_LITTLE_ENDIAN) {
    const b = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
    if (size === 2) b.swap16()
    else if (size === 4) b.swap32()
    else b.swap64()
  }
  return out
}

/** Throws unless `bytes` holds at least `need` bytes from `offset`; `what` names the missing part. */
export function requireBytes(bytes: Uint8Array, offset: number, need: number, what: string, file: string): void {
  if (offset + need > bytes.length) {
    throw new B2mError(
      'bad_request',
      `file is truncated: ${what} needs ${need} bytes at offset ${offset}, but the file has only ${Math.max(
        0,
        bytes.length - offset
      )} left`,
      file
    )
  }
}

/**
 * Checks triangle indices against the vertex count and returns them as a Uint32Array (copied when the
 * input is signed). Negative or out-of-range indices are a clear error naming the first bad triangle.
 */
export function checkTriangles(
  tris: Int32Array | Uint32Array,
  nVertices: number,
  file: string,
  what = 'triangle'
): Uint32Array {
  if (tris.length % 3 !== 0) {
    throw new B2mError('bad_request', `${what} array length ${tris.length} is not a multiple of 3`, file)
  }
  let bad = -1
  for (let i = 0; i < tris.length; i++) {
    const v = tris[i]
    if (v < 0 || v >= nVertices) {
      bad = i
      break
    }
  }
  if (bad >= 0) {
    let max = -Infinity
    let min = Infinity
    for (let i = 0; i < tris.length; i++) {
      if (tris[i] > max) max = tris[i]
      if (tris[i] < min) min = tris[i]
    }
    const t = Math.floor(bad / 3)
    throw new B2mError(
      'bad_request',
      `${what} ${t} refers to vertex ${tris[bad]}, but the surface has only ${nVertices} vertices ` +
        `(indices must be 0..${nVertices - 1}; this file's indices span ${min}..${max})`,
      file
    )
  }
  return tris instanceof Uint32Array ? tris : new Uint32Array(tris.buffer, tris.byteOffset, tris.length)
}

/** Builds a Mesh after checking positions and triangle indices. */
export function makeMesh(
  positions: Float32Array,
  triangles: Int32Array | Uint32Array,
  source: string,
  space?: string
): Mesh {
  if (positions.length % 3 !== 0) {
    throw new B2mError('bad_request', `vertex array length ${positions.length} is not a multiple of 3`, source)
  }
  const nVertices = positions.length / 3
  const tris = checkTriangles(triangles, nVertices, source)
  return {
    positions,
    triangles: tris,
    nVertices,
    nTriangles: tris.length / 3,
    ...(space ? { space } : {}),
    source
  }
}

/** Axis-aligned bounds of a mesh: `[xmin, ymin, zmin]`, `[xmax, ymax, zmax]` (NaN coordinates skipped). */
export function meshBounds(positions: Float32Array): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity]
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity]
  for (let i = 0; i < positions.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      const v = positions[i + a]
      if (v < min[a]) min[a] = v
      if (v > max[a]) max[a] = v
    }
  }
  return { min, max }
}

export type MeshFileKind =
  | 'gifti'
  | 'freesurfer-surface'
  | 'freesurfer-quad-surface'
  | 'freesurfer-curv'
  | 'freesurfer-patch'
  | 'freesurfer-label'
  | 'freesurfer-annot'
  | 'mz3'
  | 'unknown'

/**
 * Guesses a surface-related file's format from its (gunzipped) first bytes and its name, so callers can
 * dispatch to the right reader. `FF FF FF` is both the new curv magic and the old quad-surface magic;
 * it is reported as curv (old quad surfaces with 2-byte coordinates are long obsolete).
 */
export function sniffMeshFile(head: Uint8Array, name: string): MeshFileKind {
  const lower = name.toLowerCase()
  if (lower.endsWith('.gii') || lower.endsWith('.gii.gz')) return 'gifti'
  if (lower.endsWith('.mz3')) return 'mz3'
  if (lower.endsWith('.label')) return 'freesurfer-label'
  if (lower.endsWith('.annot')) return 'freesurfer-annot'
  if (head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a) return 'mz3'
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff) {
    return 'freesurfer-patch'
  }
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xff) {
    if (head[2] === 0xfe) return 'freesurfer-surface'
    if (head[2] === 0xfd) return 'freesurfer-quad-surface'
    if (head[2] === 0xff) return 'freesurfer-curv'
  }
  const text = new TextDecoder().decode(head.subarray(0, 64))
  if (/^\s*(<\?xml|<GIFTI)/.test(text)) return 'gifti'
  if (text.startsWith('#!ascii label')) return 'freesurfer-label'
  return 'unknown'
}
