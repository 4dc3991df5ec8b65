/**
 * FreeSurfer surface files (`lh.white`, `lh.pial`, `lh.inflated`, `lh.sphere`, ...): big-endian.
 *
 * * triangle (magic FF FF FE): "created by ..." line + "\n", int32 nvert, int32 nface, float32 xyz,
 *   int32 faces, then optional tags (useRealRAS, volume geometry with `cras`, command lines);
 * * new quad (magic FF FF FD): 3-byte nvert and nquad, float32 xyz, 3-byte quad corners;
 * * old quad (magic FF FF FF): as new quad but int16 coordinates / 100.
 *
 * Quads are split into two triangles the way FreeSurfer's MRISread does (WHICH_FACE_SPLIT: the parity
 * of nint(sqrt(1.9 v0) + sqrt(3.5 v1)) picks the diagonal), so triangle t matches FreeSurfer's face t.
 * nibabel splits on the parity of v0 instead, which gives different (equally valid) triangles.
 */
import { B2mError } from '../../common/errors'
import { type Mesh, copyTyped, makeMesh } from '../mesh'
import { BeReader, MAGIC_NEW_CURV, MAGIC_NEW_QUAD, MAGIC_TRIANGLE, int24Array, magic3, readFsBytes } from './binary'

export interface FreeSurferSurface extends Mesh {
  kind: 'triangle' | 'quad'
  /** The "created by <user> on <date>" line of triangle files. */
  createdBy?: string
  /** Number of quads in the file (quad files only; nTriangles is twice this). */
  nQuads?: number
  /** Volume geometry from the trailing tag (`valid`, `filename`, `volume`, `voxelsize`, `xras`, ..., `cras`). */
  volumeInfo?: Record<string, string>
  /** Centre RAS from a valid volume geometry: scanner RAS = surface (tkregister) RAS + cras. */
  cras?: [number, number, number]
  useRealRas?: boolean
  /** Command lines recorded in TAG_CMDLINE tags. */
  cmdlines?: string[]
}

const TAG_OLD_USEREALRAS = 2
const TAG_CMDLINE = 3
const TAG_OLD_SURF_GEOM = 20
const GEOMETRY_KEYS = ['valid', 'filename', 'volume', 'voxelsize', 'xras', 'yras', 'zras', 'cras']

/** Reads the optional tags after the faces; anything it does not understand ends the walk quietly. */
function readTags(r: BeReader, out: FreeSurferSurface): void {
  while (r.left >= 4) {
    const tag = r.view.getInt32(r.pos, false)
    if (tag === TAG_OLD_USEREALRAS && r.left >= 8) {
      r.pos += 4
      out.useRealRas = r.int32('useRealRAS tag') !== 0
    } else if (tag === TAG_OLD_SURF_GEOM) {
      r.pos += 4
      const info: Record<string, string> = {}
      for (const key of GEOMETRY_KEYS) {
        const end = r.bytes.indexOf(0x0a, r.pos)
        if (end < 0) break
        const line = Buffer.from(r.bytes.subarray(r.pos, end)).toString('latin1')
        const m = /^\s*(\w+)\s*=\s*(.*)$/.exec(line)
        if (!m || m[1] !== key) break
        info[key] = m[2].trim()
        r.pos = end + 1
      }
      out.volumeInfo = info
      if (/^1\b/.test(info.valid ?? '') && info.cras) {
        const c = info.cras.split(/\s+/).map(Number)
        if (c.length === 3 && c.every(Number.isFinite)) out.cras = [c[0], c[1], c[2]]
      }
    } else if (tag === TAG_CMDLINE && r.left >= 12) {
      r.pos += 4
      const len = r.int64('command-line tag length')
      if (len < 0 || len > r.left) return
      ;(out.cmdlines ??= []).push(r.string(len, 'command-line tag'))
    } else {
      return
    }
  }
}

function splitQuads(quads: Int32Array, nQuads: number): Int32Array {
  const tris = new Int32Array(nQuads * 6)
  for (let q = 0; q < nQuads; q++) {
    const v0 = quads[4 * q]
    const v1 = quads[4 * q + 1]
    const v2 = quads[4 * q + 2]
    const v3 = quads[4 * q + 3]
    const which = Math.floor(Math.sqrt(1.9 * v0) + Math.sqrt(3.5 * v1) + 0.5)
    const t = 6 * q
    if (which % 2 === 0) {
      tris[t] = v0
      tris[t + 1] = v1
      tris[t + 2] = v3
      tris[t + 3] = v2
      tris[t + 4] = v3
      tris[t + 5] = v1
    } else {
      tris[t] = v0
      tris[t + 1] = v1
      tris[t + 2] = v2
      tris[t + 3] = v0
      tris[t + 4] = v2
      tris[t + 5] = v3
    }
  }
  return tris
}

function parseQuad(r: BeReader, oldFormat: boolean): FreeSurferSurface {
  const file = r.file
  const nVertices = r.int24('vertex count')
  const nQuads = r.int24('quad count')
  const coordBytes = oldFormat ? 2 : 4
  r.need(nVertices * 3 * coordBytes + nQuads * 12, `${nVertices} vertices and ${nQuads} quads`)
  let positions: Float32Array
  if (oldFormat) {
    const raw = copyTyped(r.bytes, r.pos, nVertices * 3, Int16Array, false)
    positions = new Float32Array(raw.length)
    for (let i = 0; i < raw.length; i++) positions[i] = raw[i] / 100
  } else {
    positions = copyTyped(r.bytes, r.pos, nVertices * 3, Float32Array, false)
  }
  r.pos += nVertices * 3 * coordBytes
  const quads = int24Array(r.bytes, r.pos, nQuads * 4)
  r.pos += nQuads * 12
  const mesh = makeMesh(positions, splitQuads(quads, nQuads), file)
  const out: FreeSurferSurface = { ...mesh, kind: 'quad', nQuads }
  readTags(r, out)
  return out
}

function parseTriangle(r: BeReader): FreeSurferSurface {
  const file = r.file
  const nl = r.bytes.indexOf(0x0a, r.pos)
  if (nl < 0 || nl - r.pos > 4096) {
    throw new B2mError('bad_request', 'FreeSurfer triangle surface has no "created by" line after its magic', file)
  }
  const createdBy = Buffer.from(r.bytes.subarray(r.pos, nl)).toString('latin1').trim()
  r.pos = nl + 1
  if (r.bytes[r.pos] === 0x0a) r.pos++
  const nVertices = r.int32('vertex count')
  const nFaces = r.int32('face count')
  if (nVertices < 0 || nFaces < 0) {
    throw new B2mError('bad_request', `corrupt header: ${nVertices} vertices, ${nFaces} faces`, file)
  }
  r.need(nVertices * 12 + nFaces * 12, `${nVertices} vertices and ${nFaces} triangles`)
  const positions = copyTyped(r.bytes, r.pos, nVertices * 3, Float32Array, false)
  r.pos += nVertices * 12
  const faces = copyTyped(r.bytes, r.pos, nFaces * 3, Int32Array, false)
  r.pos += nFaces * 12
  const mesh = makeMesh(positions, faces, file)
  const out: FreeSurferSurface = { ...mesh, kind: 'triangle', createdBy }
  readTags(r, out)
  return out
}

/** Parses FreeSurfer surface bytes (already gunzipped). */
export function parseFreeSurferSurface(bytes: Uint8Array, source: string): FreeSurferSurface {
  const magic = magic3(bytes)
  const r = new BeReader(bytes, source)
  r.pos = 3
  if (magic === MAGIC_TRIANGLE) return parseTriangle(r)
  if (magic === MAGIC_NEW_QUAD) return parseQuad(r, false)
  if (magic === MAGIC_NEW_CURV) {
    if (bytes.length >= 15) {
      const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(3, false)
      if (n > 0 && bytes.length === 15 + 4 * n) {
        throw new B2mError('bad_request', 'is a FreeSurfer curv (per-vertex values) file, not a surface', source)
      }
    }
    return parseQuad(r, true)
  }
  const hex = Array.from(bytes.subarray(0, 3), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')
  throw new B2mError(
    'bad_request',
    `is not a FreeSurfer surface: magic bytes are ${hex || '(empty file)'}, expected FF FF FE (triangles) or FF FF FD (quads)`,
    source
  )
}

/** Reads a FreeSurfer surface (gzip-compressed or not); quads become FreeSurfer's triangles. */
export function readFreeSurferSurface(path: string): FreeSurferSurface {
  return parseFreeSurferSurface(readFsBytes(path), path)
}
