/**
 * FreeSurfer patch (`lh.cortex.patch.flat`, `lh.occip.patch.3d`), big-endian:
 * * new format: int32 -1, int32 npts, npts x (int32 vno, float32 x, y, z);
 * * old format: int32 npts, npts x (int32 vno, int16 x, y, z holding value * 100).
 * The stored vno is 1-based and signed: vertex = |vno| - 1, negative marks a border (cut) vertex.
 */
import { B2mError } from '../../common/errors'
import type { Mesh } from '../mesh'
import { BeReader, readFsBytes } from './binary'

export interface FreeSurferPatch {
  /** 0-based vertex numbers of the full surface, one per patch point. */
  vertices: Int32Array
  /** x, y, z per patch point (n * 3); z is 0 for a flat map. */
  positions: Float32Array
  /** 1 where the point lies on the patch border (negative vno in the file). */
  border: Uint8Array
  nPoints: number
  nBorder: number
  source: string
}

export function parseFreeSurferPatch(bytes: Uint8Array, source: string): FreeSurferPatch {
  const r = new BeReader(bytes, source)
  const first = r.int32('patch header')
  const newFormat = first === -1
  const nPoints = newFormat ? r.int32('point count') : first
  if (nPoints < 0) throw new B2mError('bad_request', `is not a FreeSurfer patch: point count ${nPoints}`, source)
  const recordBytes = newFormat ? 16 : 10
  r.need(nPoints * recordBytes, `${nPoints} patch points`)
  if (r.left !== nPoints * recordBytes) {
    throw new B2mError(
      'bad_request',
      `patch of ${nPoints} points should hold ${nPoints * recordBytes} bytes of points, found ${r.left}`,
      source
    )
  }
  const vertices = new Int32Array(nPoints)
  const positions = new Float32Array(nPoints * 3)
  const border = new Uint8Array(nPoints)
  let nBorder = 0
  const view = r.view
  let p = r.pos
  for (let i = 0; i < nPoints; i++, p += recordBytes) {
    const vno = view.getInt32(p, false)
    if (vno === 0)
      throw new B2mError('bad_request', `patch point ${i} has vertex number 0 (numbers are 1-based)`, source)
    if (vno < 0) {
      border[i] = 1
      nBorder++
    }
    vertices[i] = Math.abs(vno) - 1
    if (newFormat) {
      positions[3 * i] = view.getFloat32(p + 4, false)
      positions[3 * i + 1] = view.getFloat32(p + 8, false)
      positions[3 * i + 2] = view.getFloat32(p + 12, false)
    } else {
      positions[3 * i] = view.getInt16(p + 4, false) / 100
      positions[3 * i + 1] = view.getInt16(p + 6, false) / 100
      positions[3 * i + 2] = view.getInt16(p + 8, false) / 100
    }
  }
  return { vertices, positions, border, nPoints, nBorder, source }
}

/** Reads a FreeSurfer patch file (gzip-compressed or not). */
export function readFreeSurferPatch(path: string): FreeSurferPatch {
  return parseFreeSurferPatch(readFsBytes(path), path)
}

/**
 * Lays a patch over its full surface, keeping the surface's vertex order (so the flat map is a morph
 * target for white/pial/inflated and per-vertex overlays apply unchanged): vertices outside the patch
 * sit at the origin and are marked 0 in `inPatch`; only triangles whose three corners are in the patch
 * are kept.
 */
export function patchToMesh(patch: FreeSurferPatch, surface: Mesh): Mesh & { inPatch: Uint8Array } {
  const n = surface.nVertices
  const positions = new Float32Array(n * 3)
  const inPatch = new Uint8Array(n)
  for (let i = 0; i < patch.nPoints; i++) {
    const v = patch.vertices[i]
    if (v >= n) {
      throw new B2mError(
        'bad_request',
        `patch names vertex ${v}, but the surface ${surface.source} has only ${n} vertices`,
        patch.source
      )
    }
    inPatch[v] = 1
    positions[3 * v] = patch.positions[3 * i]
    positions[3 * v + 1] = patch.positions[3 * i + 1]
    positions[3 * v + 2] = patch.positions[3 * i + 2]
  }
  const src = surface.triangles
  const kept = new Uint32Array(src.length)
  let m = 0
  for (let t = 0; t < src.length; t += 3) {
    const a = src[t]
    const b = src[t + 1]
    const c = src[t + 2]
    if (inPatch[a] && inPatch[b] && inPatch[c]) {
      kept[m++] = a
      kept[m++] = b
      kept[m++] = c
    }
  }
  const triangles = kept.slice(0, m)
  return { positions, triangles, nVertices: n, nTriangles: m / 3, source: patch.source, inPatch }
}
