/**
 * FreeSurfer annotation (`lh.aparc.annot`), big-endian: int32 nvert, nvert x (int32 vno, int32 label),
 * int32 tag 1 (colour table follows), then the colour table in the old layout (positive entry count)
 * or version 2 (negative count = -version, max structure index, original table path, entries each with
 * their structure index). A vertex label is the packed colour R + G*256 + B*65536 of its entry.
 *
 * As in nibabel's read_annot, label 0 and labels matching no entry become -1.
 */
import { B2mError } from '../../common/errors'
import { type Annotation, type AnnotationEntry, copyTyped } from '../mesh'
import { BeReader, readFsBytes } from './binary'

export interface FreeSurferAnnot extends Annotation {
  /** 2 for the version-2 colour table, 1 for the old layout. */
  ctabVersion: number
  /** Path of the colour table the annotation was made from, as stored in the file. */
  origTable: string
}

const TAG_OLD_COLORTABLE = 1
const MAX_NAME = 1 << 16

function readEntry(r: BeReader, index: number, what: string): AnnotationEntry {
  const nameLength = r.int32(`${what} name length`)
  if (nameLength < 0 || nameLength > MAX_NAME) {
    throw new B2mError('bad_request', `${what} has an implausible name length (${nameLength})`, r.file)
  }
  const name = r.string(nameLength, `${what} name`)
  const red = r.int32(`${what} colour`)
  const green = r.int32(`${what} colour`)
  const blue = r.int32(`${what} colour`)
  const transparency = r.int32(`${what} colour`)
  return {
    name,
    rgba: [red / 255, green / 255, blue / 255, (255 - transparency) / 255],
    key: red + green * 256 + blue * 65536,
    index
  }
}

export function parseFreeSurferAnnot(bytes: Uint8Array, source: string): FreeSurferAnnot {
  const r = new BeReader(bytes, source)
  const nVertices = r.int32('vertex count')
  if (nVertices < 0) throw new B2mError('bad_request', `corrupt annot header: ${nVertices} vertices`, source)
  r.need(nVertices * 8, `${nVertices} (vertex, label) pairs`)
  const pairs = copyTyped(bytes, r.pos, nVertices * 2, Int32Array, false)
  r.pos += nVertices * 8
  const raw = new Int32Array(nVertices)
  for (let i = 0; i < nVertices; i++) {
    const vno = pairs[2 * i]
    if (vno < 0 || vno >= nVertices) {
      throw new B2mError(
        'bad_request',
        `annot pair ${i} names vertex ${vno}, outside 0..${nVertices - 1} (file corrupt?)`,
        source
      )
    }
    raw[vno] = pairs[2 * i + 1]
  }

  if (r.left < 4) throw new B2mError('bad_request', 'annotation has no colour table', source)
  const tag = r.int32('colour-table tag')
  if (tag !== TAG_OLD_COLORTABLE) {
    throw new B2mError('bad_request', `annotation colour-table tag is ${tag}, expected ${TAG_OLD_COLORTABLE}`, source)
  }
  const count = r.int32('colour-table entry count')
  const table: AnnotationEntry[] = []
  let ctabVersion: number
  let origTable: string
  if (count > 0) {
    ctabVersion = 1
    origTable = r.string(r.int32('colour-table path length'), 'colour-table path')
    for (let i = 0; i < count; i++) table.push(readEntry(r, i, `colour-table entry ${i}`))
  } else {
    ctabVersion = -count
    if (ctabVersion !== 2) {
      throw new B2mError(
        'bad_request',
        `annotation colour table version ${ctabVersion} is not supported (only 2)`,
        source
      )
    }
    const maxIndex = r.int32('colour-table max index')
    origTable = r.string(r.int32('colour-table path length'), 'colour-table path')
    const entries = r.int32('colour-table entry count')
    if (entries < 0 || entries > 1e6) {
      throw new B2mError('bad_request', `annotation colour table claims ${entries} entries`, source)
    }
    for (let i = 0; i < entries; i++) {
      const index = r.int32(`colour-table entry ${i} index`)
      if (index < 0 || index >= Math.max(maxIndex, entries)) {
        throw new B2mError('bad_request', `colour-table entry ${i} has index ${index} (max ${maxIndex - 1})`, source)
      }
      table.push(readEntry(r, index, `colour-table entry ${i}`))
    }
  }

  const byKey = new Map<number, number>()
  table.forEach((e, i) => {
    if (!byKey.has(e.key)) byKey.set(e.key, i)
  })
  const labels = new Int32Array(nVertices)
  for (let v = 0; v < nVertices; v++) labels[v] = raw[v] === 0 ? -1 : (byKey.get(raw[v]) ?? -1)
  return { labels, table, nVertices, source, ctabVersion, origTable }
}

/** Reads a FreeSurfer .annot (gzip-compressed or not). */
export function readFreeSurferAnnot(path: string): FreeSurferAnnot {
  return parseFreeSurferAnnot(readFsBytes(path), path)
}
