/**
 * MZ3 (Surf Ice / NiiVue mesh format), little-endian, usually gzip-compressed:
 * header uint16 magic 0x5A4D ("MZ"), uint16 attr, uint32 nface, uint32 nvert, uint32 nskip (16 bytes),
 * then nskip bytes to skip, then in order: faces int32 x nface*3 (attr 1), vertices float32 x nvert*3
 * (attr 2), colours uint8 RGBA x nvert (attr 4), scalars float32 (attr 8; float64 with attr 16) x nvert
 * per layer, as many layers as the remaining bytes hold. attr 32 (ambient-occlusion flag) carries no
 * payload here and is ignored, as NiiVue does.
 */
import { B2mError } from '../common/errors'
import { type Mesh, copyTyped, makeMesh, maybeGunzip, readFileBytes } from './mesh'

export const MZ3_MAGIC = 0x5a4d

export interface Mz3 {
  attr: number
  nVertices: number
  nFaces: number
  /** Present with attr bit 2. */
  positions?: Float32Array
  /** Present with attr bit 1, checked against nVertices. */
  triangles?: Uint32Array
  /** RGBA per vertex (nVertices * 4), present with attr bit 4. */
  colors?: Uint8Array
  /** One Float32Array of nVertices per layer (float64 files are narrowed). */
  scalars: Float32Array[]
  source: string
}

export function parseMz3(input: Uint8Array, source: string): Mz3 {
  const bytes = maybeGunzip(input, source)
  if (bytes.length < 16) {
    throw new B2mError(
      'bad_request',
      `is not an MZ3 file: ${bytes.length} bytes is smaller than the 16-byte header`,
      source
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = view.getUint16(0, true)
  if (magic !== MZ3_MAGIC) {
    throw new B2mError(
      'bad_request',
      `is not an MZ3 file: magic is 0x${magic.toString(16).padStart(4, '0')}, expected 0x5a4d ('MZ')`,
      source
    )
  }
  const attr = view.getUint16(2, true)
  const nFaces = view.getUint32(4, true)
  const nVertices = view.getUint32(8, true)
  const nSkip = view.getUint32(12, true)
  if (attr > 63) throw new B2mError('bad_request', `MZ3 attr ${attr} has bits this reader does not know`, source)
  const isFace = (attr & 1) !== 0
  const isVert = (attr & 2) !== 0
  const isRgba = (attr & 4) !== 0
  const isScalar = (attr & 8) !== 0
  const isDouble = (attr & 16) !== 0
  if (!isFace && !isVert && !isRgba && !isScalar) {
    throw new B2mError('bad_request', `MZ3 attr ${attr} declares no faces, vertices, colours or scalars`, source)
  }
  if (isFace && !isVert) throw new B2mError('bad_request', 'MZ3 has faces but no vertices', source)
  if (nVertices === 0 && (isVert || isRgba || isScalar)) {
    throw new B2mError('bad_request', 'MZ3 header declares 0 vertices', source)
  }

  let pos = 16 + nSkip
  const need = (n: number, what: string) => {
    if (pos + n > bytes.length) {
      throw new B2mError(
        'bad_request',
        `file is truncated: ${what} needs ${n} bytes at offset ${pos}, but only ${Math.max(0, bytes.length - pos)} remain`,
        source
      )
    }
  }
  let faces: Int32Array | undefined
  if (isFace) {
    need(nFaces * 12, `${nFaces} faces`)
    faces = copyTyped(bytes, pos, nFaces * 3, Int32Array, true)
    pos += nFaces * 12
  }
  let positions: Float32Array | undefined
  if (isVert) {
    need(nVertices * 12, `${nVertices} vertices`)
    positions = copyTyped(bytes, pos, nVertices * 3, Float32Array, true)
    pos += nVertices * 12
  }
  let colors: Uint8Array | undefined
  if (isRgba) {
    need(nVertices * 4, `${nVertices} RGBA colours`)
    colors = bytes.slice(pos, pos + nVertices * 4)
    pos += nVertices * 4
  }
  const scalars: Float32Array[] = []
  if (isScalar) {
    const size = isDouble ? 8 : 4
    const layerBytes = nVertices * size
    const rest = bytes.length - pos
    if (rest < layerBytes) {
      throw new B2mError(
        'bad_request',
        `file is truncated: scalar data needs at least ${layerBytes} bytes (${nVertices} ${isDouble ? 'float64' : 'float32'}), found ${rest}`,
        source
      )
    }
    if (rest % layerBytes !== 0) {
      throw new B2mError(
        'bad_request',
        `scalar data is ${rest} bytes, not a whole number of ${nVertices}-vertex layers (truncated?)`,
        source
      )
    }
    for (let k = 0; k < rest / layerBytes; k++, pos += layerBytes) {
      scalars.push(
        isDouble
          ? Float32Array.from(copyTyped(bytes, pos, nVertices, Float64Array, true))
          : copyTyped(bytes, pos, nVertices, Float32Array, true)
      )
    }
  }
  let triangles: Uint32Array | undefined
  if (faces && positions) triangles = makeMesh(positions, faces, source).triangles
  return {
    attr,
    nVertices,
    nFaces,
    ...(positions ? { positions } : {}),
    ...(triangles ? { triangles } : {}),
    ...(colors ? { colors } : {}),
    scalars,
    source
  }
}

export function readMz3(path: string): Mz3 {
  return parseMz3(readFileBytes(path), path)
}

/** Reads an MZ3 mesh; a scalar-only MZ3 (an overlay) is a clear error. */
export function readMz3Surface(path: string): Mesh {
  const m = readMz3(path)
  if (!m.positions || !m.triangles) {
    throw new B2mError(
      'bad_request',
      `MZ3 holds no mesh (attr ${m.attr}: ${m.scalars.length ? 'scalars only - an overlay' : 'no faces/vertices'})`,
      path
    )
  }
  return makeMesh(m.positions, m.triangles, path)
}

/** Reads the scalar layers of an MZ3 (an overlay file, or a mesh that carries values). */
export function readMz3Scalars(path: string): Float32Array[] {
  const m = readMz3(path)
  if (m.scalars.length === 0) throw new B2mError('bad_request', `MZ3 holds no scalar layers (attr ${m.attr})`, path)
  return m.scalars
}
