/** Reading one surface-related file whatever its format (GIfTI, FreeSurfer, MZ3), by name and magic. */
import { closeSync, openSync, readSync } from 'node:fs'
import { basename } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { B2mError } from '../common/errors'
import { readFreeSurferCurv, readFreeSurferSurface } from '../formats/freesurfer'
import { readGiftiScalars, readGiftiSurface } from '../formats/gifti'
import { type Mesh, isGzip, readFileBytes, sniffMeshFile, type MeshFileKind } from '../formats/mesh'
import { readMz3Scalars, readMz3Surface } from '../formats/mz3'

/** The format of a surface-related file from its name and first bytes (gunzipped when gzip). */
export function sniffFile(path: string): MeshFileKind {
  let head: Uint8Array = new Uint8Array(0)
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    readFileBytes(path) // throws the specific not-found / is-a-directory error
    throw new B2mError('bad_request', 'cannot open file', path)
  }
  try {
    const buf = new Uint8Array(4096)
    const n = readSync(fd, buf, 0, buf.length, 0)
    head = buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
  if (isGzip(head)) {
    try {
      head = gunzipSync(readFileBytes(path)).subarray(0, 4096)
    } catch (err) {
      throw new B2mError('bad_request', `corrupt gzip data (${(err as Error).message})`, path)
    }
  }
  return sniffMeshFile(head, basename(path).replace(/\.gz$/i, ''))
}

/** Reads a surface mesh: GIfTI (.gii/.gii.gz), FreeSurfer triangle or quad surface, or MZ3. */
export function readSurfaceFile(path: string): Mesh {
  const kind = sniffFile(path)
  if (kind === 'gifti') return readGiftiSurface(path)
  if (kind === 'freesurfer-surface' || kind === 'freesurfer-quad-surface') return readFreeSurferSurface(path)
  if (kind === 'mz3') return readMz3Surface(path)
  throw new B2mError(
    'bad_request',
    `is not a surface mesh (found ${kind === 'unknown' ? 'an unrecognised format' : kind}); use a GIfTI .surf.gii, a FreeSurfer surface (lh.white, lh.pial, ...) or an MZ3 mesh`,
    path
  )
}

/** Reads per-vertex values: GIfTI func/shape (first array), FreeSurfer curv-style, or MZ3 scalars. */
export function readVertexValuesFile(path: string): { values: Float32Array; format: string; arrays: number } {
  const kind = sniffFile(path)
  if (kind === 'gifti') {
    const arrays = readGiftiScalars(path)
    return { values: arrays[0], format: 'gifti', arrays: arrays.length }
  }
  if (kind === 'freesurfer-curv')
    return { values: readFreeSurferCurv(path).values, format: 'freesurfer-curv', arrays: 1 }
  if (kind === 'mz3') {
    const arrays = readMz3Scalars(path)
    if (arrays.length === 0) throw new B2mError('bad_request', 'MZ3 file holds no per-vertex scalars', path)
    return { values: arrays[0], format: 'mz3', arrays: arrays.length }
  }
  throw new B2mError(
    'bad_request',
    `is not a per-vertex value file (found ${kind === 'unknown' ? 'an unrecognised format' : kind}); use .npy, GIfTI func/shape, or a FreeSurfer curv file`,
    path
  )
}
