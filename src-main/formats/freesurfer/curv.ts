/**
 * FreeSurfer per-vertex value files (`lh.curv`, `lh.sulc`, `lh.thickness`, `lh.area`, ...), big-endian.
 *
 * * new format: magic FF FF FF, int32 nvert, int32 nface, int32 values-per-vertex (1), float32 x nvert;
 * * old format: 3-byte nvert, 3-byte nface, int16 x nvert holding value * 100.
 */
import { B2mError } from '../../common/errors'
import { type SurfaceScalars, copyTyped } from '../mesh'
import { BeReader, MAGIC_NEW_CURV, magic3, readFsBytes } from './binary'

export interface FreeSurferCurv extends SurfaceScalars {
  /** Face count of the surface the values were computed on. */
  nFaces: number
  format: 'new' | 'old'
}

export function parseFreeSurferCurv(bytes: Uint8Array, source: string): FreeSurferCurv {
  const r = new BeReader(bytes, source)
  if (magic3(bytes) === MAGIC_NEW_CURV) {
    r.pos = 3
    const nVertices = r.int32('vertex count')
    const nFaces = r.int32('face count')
    const perVertex = r.int32('values-per-vertex')
    if (nVertices < 0 || nFaces < 0) {
      throw new B2mError('bad_request', `corrupt curv header: ${nVertices} vertices, ${nFaces} faces`, source)
    }
    if (perVertex !== 1) {
      throw new B2mError('bad_request', `curv file has ${perVertex} values per vertex; only 1 is supported`, source)
    }
    r.need(nVertices * 4, `${nVertices} float32 values`)
    const values = copyTyped(bytes, r.pos, nVertices, Float32Array, false)
    return { values, nVertices, nFaces, format: 'new', source }
  }
  // old format has no magic; accept it only when the size matches exactly
  if (bytes.length >= 6) {
    const nVertices = r.int24('vertex count')
    const nFaces = r.int24('face count')
    if (bytes.length === 6 + 2 * nVertices) {
      const raw = copyTyped(bytes, 6, nVertices, Int16Array, false)
      const values = new Float32Array(nVertices)
      for (let i = 0; i < nVertices; i++) values[i] = raw[i] / 100
      return { values, nVertices, nFaces, format: 'old', source }
    }
  }
  const hex = Array.from(bytes.subarray(0, 3), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')
  throw new B2mError(
    'bad_request',
    `is not a FreeSurfer curv file: magic bytes are ${hex || '(empty file)'}, expected FF FF FF ` +
      '(and the size does not fit the old magic-less format)',
    source
  )
}

/** Reads lh.curv / lh.sulc / lh.thickness style files (gzip-compressed or not). */
export function readFreeSurferCurv(path: string): FreeSurferCurv {
  return parseFreeSurferCurv(readFsBytes(path), path)
}
