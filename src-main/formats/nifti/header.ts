/**
 * NIfTI-1 (348-byte) and NIfTI-2 (540-byte) header decoding, either byte order, plus the extension list.
 *
 * Pure: bytes in, a validated {@link NiftiHeader} out. Every fault is a B2mError naming the file.
 * Byte order is detected from sizeof_hdr (348 / 540 read little- or big-endian).
 */
import { B2mError } from '../../common/errors'
import { chooseAffine, quaternionToAffine, srowToAffine } from './affine'
import {
  NIFTI_DATATYPES,
  SPATIAL_UNITS,
  TEMPORAL_UNITS,
  UNSUPPORTED_DATATYPES,
  type NiftiExtension,
  type NiftiHeader,
  type NiftiQuaternion
} from './types'

export const NIFTI1_HEADER_BYTES = 348
export const NIFTI2_HEADER_BYTES = 540
/** Header plus the 4-byte extender: what to read before anything else is known. */
export const NIFTI_PROBE_BYTES = NIFTI2_HEADER_BYTES + 4

export interface HeaderContext {
  path: string
  gzipped: boolean
  fileBytes: number
}

function bad(ctx: HeaderContext, msg: string): B2mError {
  return new B2mError('bad_request', msg, ctx.path)
}

function cString(bytes: Uint8Array, start: number, length: number): string {
  let end = start
  while (end < start + length && bytes[end] !== 0) end++
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1')
}

/** Which NIfTI version and byte order these first bytes announce (throws on neither). */
export function detectVersion(bytes: Uint8Array, ctx: HeaderContext): { version: 1 | 2; littleEndian: boolean } {
  if (bytes.length < 4) throw bad(ctx, `truncated: ${bytes.length} bytes, too short for a NIfTI header`)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (const le of [true, false]) {
    const n = dv.getInt32(0, le)
    if (n === NIFTI1_HEADER_BYTES) return { version: 1, littleEndian: le }
    if (n === NIFTI2_HEADER_BYTES) return { version: 2, littleEndian: le }
  }
  throw bad(
    ctx,
    `not a NIfTI file: sizeof_hdr is ${dv.getInt32(0, true)} (expected 348 for NIfTI-1 or 540 for NIfTI-2, either byte order)`
  )
}

/**
 * Decodes the fixed header. `bytes` must hold at least sizeof_hdr bytes (plus the 4-byte extender when
 * present); extensions are parsed separately by {@link parseExtensions} once the bytes up to vox_offset are in.
 */
export function parseFixedHeader(bytes: Uint8Array, ctx: HeaderContext): NiftiHeader {
  const { version, littleEndian: le } = detectVersion(bytes, ctx)
  const size = version === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES
  if (bytes.length < size) {
    throw bad(ctx, `truncated header: NIfTI-${version} needs ${size} bytes, only ${bytes.length} present`)
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const warnings: string[] = []
  const i16 = (o: number) => dv.getInt16(o, le)
  const i32 = (o: number) => dv.getInt32(o, le)
  const f32 = (o: number) => dv.getFloat32(o, le)
  const f64 = (o: number) => dv.getFloat64(o, le)
  const i64 = (o: number) => {
    const v = dv.getBigInt64(o, le)
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(-Number.MAX_SAFE_INTEGER)) {
      throw bad(ctx, `64-bit header field at byte ${o} holds ${v}, beyond what this reader can address`)
    }
    return Number(v)
  }

  let magic: string
  let dim: number[]
  let pixdim: number[]
  let h: Omit<
    NiftiHeader,
    | 'path'
    | 'version'
    | 'littleEndian'
    | 'gzipped'
    | 'sizeofHdr'
    | 'magic'
    | 'dim'
    | 'dims'
    | 'shape'
    | 'volumes'
    | 'voxelsPerVolume'
    | 'pixdim'
    | 'datatypeName'
    | 'bytesPerVoxel'
    | 'scaling'
    | 'spatialUnit'
    | 'temporalUnit'
    | 'tr'
    | 'qform'
    | 'sform'
    | 'affine'
    | 'affineSource'
    | 'extensions'
    | 'dataBytes'
    | 'fileBytes'
    | 'warnings'
  >
  if (version === 1) {
    magic = cString(bytes, 344, 4)
    if (magic === 'ni1') {
      throw bad(ctx, 'magic "ni1": this is the header of a .hdr/.img pair; only single-file .nii/.nii.gz is supported')
    }
    if (magic !== 'n+1') {
      throw bad(ctx, `bad magic ${JSON.stringify(magic)} at byte 344 (expected "n+1" for a single-file NIfTI-1)`)
    }
    dim = Array.from({ length: 8 }, (_, k) => i16(40 + 2 * k))
    pixdim = Array.from({ length: 8 }, (_, k) => f32(76 + 4 * k))
    h = {
      intentParams: [f32(56), f32(60), f32(64)],
      intentCode: i16(68),
      datatype: i16(70),
      bitpix: i16(72),
      sliceStart: i16(74),
      voxOffset: f32(108),
      sclSlope: f32(112),
      sclInter: f32(116),
      sliceEnd: i16(120),
      sliceCode: bytes[122],
      xyztUnits: bytes[123],
      calMax: f32(124),
      calMin: f32(128),
      sliceDuration: f32(132),
      toffset: f32(136),
      descrip: cString(bytes, 148, 80),
      auxFile: cString(bytes, 228, 24),
      qformCode: i16(252),
      sformCode: i16(254),
      quaternion: { b: f32(256), c: f32(260), d: f32(264), qx: f32(268), qy: f32(272), qz: f32(276), qfac: 1 },
      srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((k) => f32(280 + 16 * r + 4 * k))) as [number[], number[], number[]],
      intentName: cString(bytes, 328, 16),
      dimInfo: bytes[39]
    }
  } else {
    const m = bytes.subarray(4, 12)
    magic = cString(bytes, 4, 4)
    const tail = [m[4], m[5], m[6], m[7]]
    if (magic === 'ni2') {
      throw bad(ctx, 'magic "ni2": this is the header of a .hdr/.img pair; only single-file .nii/.nii.gz is supported')
    }
    if (magic !== 'n+2' || m[3] !== 0 || tail.join(',') !== '13,10,26,10') {
      throw bad(
        ctx,
        `bad magic ${JSON.stringify(Buffer.from(m).toString('latin1'))} at byte 4 (expected "n+2\\0\\r\\n\\x1a\\n" for NIfTI-2)`
      )
    }
    dim = Array.from({ length: 8 }, (_, k) => i64(16 + 8 * k))
    pixdim = Array.from({ length: 8 }, (_, k) => f64(104 + 8 * k))
    h = {
      datatype: i16(12),
      bitpix: i16(14),
      intentParams: [f64(80), f64(88), f64(96)],
      voxOffset: i64(168),
      sclSlope: f64(176),
      sclInter: f64(184),
      calMax: f64(192),
      calMin: f64(200),
      sliceDuration: f64(208),
      toffset: f64(216),
      sliceStart: i64(224),
      sliceEnd: i64(232),
      descrip: cString(bytes, 240, 80),
      auxFile: cString(bytes, 320, 24),
      qformCode: i32(344),
      sformCode: i32(348),
      quaternion: { b: f64(352), c: f64(360), d: f64(368), qx: f64(376), qy: f64(384), qz: f64(392), qfac: 1 },
      srow: [0, 1, 2].map((r) => [0, 1, 2, 3].map((k) => f64(400 + 32 * r + 8 * k))) as [number[], number[], number[]],
      sliceCode: i32(496),
      xyztUnits: i32(500),
      intentCode: i32(504),
      intentName: cString(bytes, 508, 16),
      dimInfo: bytes[524]
    }
  }

  // --- dimensions
  const ndim = dim[0]
  if (!(ndim >= 1 && ndim <= 7)) throw bad(ctx, `dim[0] is ${ndim}: the number of dimensions must be 1..7`)
  const dims = dim.slice(1, ndim + 1)
  dims.forEach((n, k) => {
    if (!(n > 0)) throw bad(ctx, `dim[${k + 1}] is ${n}: every dimension must be positive (dims ${dims.join('x')})`)
  })
  const shape: [number, number, number] = [dims[0] ?? 1, dims[1] ?? 1, dims[2] ?? 1]
  const volumes = dims.slice(3).reduce((a, b) => a * b, 1)
  const voxelsPerVolume = shape[0] * shape[1] * shape[2]

  // --- datatype
  const dt = NIFTI_DATATYPES[h.datatype]
  if (!dt) {
    const known = UNSUPPORTED_DATATYPES[h.datatype]
    throw bad(
      ctx,
      known
        ? `unsupported datatype ${h.datatype} (${known}); supported: uint8, int8, int16, uint16, int32, uint32, float32, float64`
        : `unknown datatype ${h.datatype}`
    )
  }
  if (h.bitpix !== dt.bytes * 8) {
    warnings.push(
      `${ctx.path}: bitpix is ${h.bitpix} but datatype ${dt.name} has ${dt.bytes * 8} bits; using the datatype`
    )
  }

  // --- vox_offset
  const minOffset = size
  if (!Number.isFinite(h.voxOffset) || h.voxOffset !== Math.floor(h.voxOffset)) {
    throw bad(ctx, `vox_offset ${h.voxOffset} is not a whole byte offset`)
  }
  if (h.voxOffset < minOffset) {
    // Old writers put 0 here; the data of a single-file image then starts right after header + extender.
    warnings.push(`${ctx.path}: vox_offset ${h.voxOffset} is inside the header; reading data from byte ${size + 4}`)
    h.voxOffset = size + 4
  }
  if (!ctx.gzipped && h.voxOffset > ctx.fileBytes) {
    throw bad(ctx, `vox_offset ${h.voxOffset} is beyond the end of the file (${ctx.fileBytes} bytes)`)
  }
  const dataBytes = voxelsPerVolume * volumes * dt.bytes

  // --- scaling (slope 0 or not finite = no scaling)
  const validSlope = Number.isFinite(h.sclSlope) && h.sclSlope !== 0
  const slope = validSlope ? h.sclSlope : 1
  const inter = validSlope && Number.isFinite(h.sclInter) ? h.sclInter : 0
  const scaling = { slope, inter, applied: slope !== 1 || inter !== 0 }

  // --- units and TR
  const spatialUnit = SPATIAL_UNITS[h.xyztUnits & 0x07] ?? 'unknown'
  const temporalUnit = TEMPORAL_UNITS[h.xyztUnits & 0x38] ?? 'unknown'
  let tr: number | null = null
  const p4 = pixdim[4]
  if (ndim >= 4 && Number.isFinite(p4) && p4 > 0) {
    if (temporalUnit === 's') {
      if (p4 > 100) {
        tr = p4 / 1000
        warnings.push(
          `${ctx.path}: xyzt_units (${h.xyztUnits}) says seconds but pixdim[4] is ${p4}: the TR is really in milliseconds, using ${tr} s`
        )
      } else tr = p4
    } else if (temporalUnit === 'ms') tr = p4 / 1000
    else if (temporalUnit === 'us') tr = p4 / 1e6
    else if (temporalUnit === 'unknown') {
      tr = p4 > 100 ? p4 / 1000 : p4
      warnings.push(
        `${ctx.path}: xyzt_units gives no time unit; pixdim[4] = ${p4} read as ${p4 > 100 ? 'milliseconds' : 'seconds'} (TR ${tr} s)`
      )
    } else {
      warnings.push(`${ctx.path}: the 4th dimension is in ${temporalUnit}, not time; no TR`)
    }
  }

  // --- orientation
  const qfacRaw = pixdim[0]
  const quaternion: NiftiQuaternion = { ...h.quaternion, qfac: qfacRaw < 0 ? -1 : 1 }
  const spacing: [number, number, number] = [pixdim[1], pixdim[2], pixdim[3]]
  const qform = h.qformCode > 0 ? quaternionToAffine(quaternion, spacing) : null
  const sform = h.sformCode > 0 ? srowToAffine(h.srow) : null
  if (h.qformCode > 0 && spacing.some((v) => !(v > 0))) {
    warnings.push(
      `${ctx.path}: pixdim[1..3] = ${spacing.join(', ')} include non-positive spacings; used their magnitude`
    )
  }
  const { affine, source } = chooseAffine(sform, qform, spacing)

  return {
    path: ctx.path,
    version,
    littleEndian: le,
    gzipped: ctx.gzipped,
    sizeofHdr: size,
    magic,
    dim,
    dims,
    shape,
    volumes,
    voxelsPerVolume,
    datatypeName: dt.name,
    bytesPerVoxel: dt.bytes,
    pixdim,
    scaling,
    spatialUnit,
    temporalUnit,
    tr,
    qform,
    sform,
    affine,
    affineSource: source,
    extensions: [],
    dataBytes,
    fileBytes: ctx.fileBytes,
    warnings,
    ...h,
    quaternion
  }
}

/**
 * Parses the extension list from the bytes between the end of the header and vox_offset.
 * `tail` starts at the 4-byte extender (byte sizeof_hdr). A malformed list is a warning: the image data
 * is still readable, so the good extensions before the fault are kept.
 */
export function parseExtensions(tail: Uint8Array, header: NiftiHeader): NiftiExtension[] {
  if (tail.length < 4 || tail[0] === 0) return []
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength)
  const out: NiftiExtension[] = []
  let pos = 4
  while (pos + 8 <= tail.length) {
    const esize = dv.getInt32(pos, header.littleEndian)
    const ecode = dv.getInt32(pos + 4, header.littleEndian)
    if (esize < 8 || pos + esize > tail.length) {
      header.warnings.push(
        `${header.path}: header extension ${out.length + 1} at byte ${header.sizeofHdr + pos} has esize ${esize}, ` +
          `which does not fit before vox_offset ${header.voxOffset}; extensions after it ignored`
      )
      break
    }
    if (esize % 16 !== 0) {
      header.warnings.push(
        `${header.path}: header extension ${out.length + 1} has esize ${esize}, not a multiple of 16`
      )
    }
    out.push({ ecode, esize, data: tail.slice(pos + 8, pos + esize) })
    pos += esize
  }
  return out
}
