/**
 * FreeSurfer ASCII label (`lh.V1.label`): a `#` comment line, the point count, then one row per point:
 * `vno x y z value` (vno -1 for volume labels that carry no vertex). The count must match the rows, so
 * a truncated file is an error rather than a silently smaller ROI.
 */
import { B2mError } from '../../common/errors'
import { readFsBytes } from './binary'

export interface FreeSurferLabel {
  /** 0-based vertex numbers (-1 where a row names no vertex). */
  vertices: Int32Array
  /** x, y, z per point (n * 3), in the space the comment names (usually tkregister RAS). */
  positions: Float32Array
  values: Float32Array
  nPoints: number
  /** The first line without its leading `#`. */
  comment: string
  subject?: string
  source: string
}

export function parseFreeSurferLabel(text: string, source: string): FreeSurferLabel {
  const lines = text.split(/\r?\n/)
  if (!lines[0]?.startsWith('#')) {
    throw new B2mError('bad_request', "is not a FreeSurfer label file: the first line must be a '#' comment", source)
  }
  const comment = lines[0].replace(/^#!?\s*/, '').trim()
  const countText = (lines[1] ?? '').trim()
  const nPoints = Number(countText)
  if (!/^\d+$/.test(countText)) {
    throw new B2mError('bad_request', `line 2 should be the point count, found '${countText.slice(0, 40)}'`, source)
  }
  const rows = lines.slice(2).filter((l) => l.trim() !== '')
  if (rows.length !== nPoints) {
    throw new B2mError(
      'bad_request',
      rows.length < nPoints
        ? `label header says ${nPoints} points, but the file holds only ${rows.length} rows (truncated?)`
        : `label header says ${nPoints} points, but the file holds ${rows.length} rows`,
      source
    )
  }
  const vertices = new Int32Array(nPoints)
  const positions = new Float32Array(nPoints * 3)
  const values = new Float32Array(nPoints)
  for (let i = 0; i < nPoints; i++) {
    const f = rows[i].trim().split(/\s+/)
    const nums = f.map(Number)
    if (f.length !== 5 || nums.some((v) => Number.isNaN(v)) || !Number.isInteger(nums[0]) || nums[0] < -1) {
      throw new B2mError(
        'bad_request',
        `label row ${i + 1} ('${rows[i].trim().slice(0, 60)}') is not 'vno x y z value'`,
        source
      )
    }
    vertices[i] = nums[0]
    positions[3 * i] = nums[1]
    positions[3 * i + 1] = nums[2]
    positions[3 * i + 2] = nums[3]
    values[i] = nums[4]
  }
  const subject = /from subject\s+(?!vox2ras=)(\S+)/.exec(comment)?.[1]
  return { vertices, positions, values, nPoints, comment, ...(subject ? { subject } : {}), source }
}

/** Reads a FreeSurfer ASCII .label (gzip-compressed or not). */
export function readFreeSurferLabel(path: string): FreeSurferLabel {
  const bytes = readFsBytes(path)
  return parseFreeSurferLabel(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), path)
}

/** A 0/1 per-vertex mask of the label's vertices; vertex numbers beyond the surface are an error. */
export function labelMask(label: FreeSurferLabel, nVertices: number): Uint8Array {
  const mask = new Uint8Array(nVertices)
  for (let i = 0; i < label.nPoints; i++) {
    const v = label.vertices[i]
    if (v < 0) continue
    if (v >= nVertices) {
      throw new B2mError(
        'bad_request',
        `label names vertex ${v}, but the surface has only ${nVertices} vertices (label of another surface?)`,
        label.source
      )
    }
    mask[v] = 1
  }
  return mask
}
