/**
 * NIfTI data model shared by the reader and the writer.
 *
 * Voxel order is NIfTI's own: x fastest, then y, then z (then t). A volume is X*Y*Z values in that order;
 * nothing here transposes to C order.
 */

/** A 4x4 row-major affine (voxel index -> world mm), as nested rows. */
export type Mat4 = number[][]

export type NiftiTypedArray =
  Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array

export type NiftiDatatypeName = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64'

export interface NiftiDatatypeInfo {
  code: number
  name: NiftiDatatypeName
  bytes: number
  make(length: number): NiftiTypedArray
  /** A typed view over `length` elements of native-endian bytes (offset must be aligned). */
  view(buffer: ArrayBufferLike, byteOffset: number, length: number): NiftiTypedArray
  /** Range of an integer type (undefined for floats). */
  range?: [number, number]
}

function info(
  code: number,
  name: NiftiDatatypeName,
  ctor: {
    BYTES_PER_ELEMENT: number
    new (length: number): NiftiTypedArray
    new (buffer: ArrayBufferLike, byteOffset: number, length: number): NiftiTypedArray
  },
  range?: [number, number]
): NiftiDatatypeInfo {
  return {
    code,
    name,
    bytes: ctor.BYTES_PER_ELEMENT,
    make: (n) => new ctor(n),
    view: (b, o, n) => new ctor(b, o, n),
    range
  }
}

/** The datatypes this reader and writer support, by NIfTI code. */
export const NIFTI_DATATYPES: Record<number, NiftiDatatypeInfo> = {
  2: info(2, 'uint8', Uint8Array, [0, 255]),
  4: info(4, 'int16', Int16Array, [-32768, 32767]),
  8: info(8, 'int32', Int32Array, [-2147483648, 2147483647]),
  16: info(16, 'float32', Float32Array),
  64: info(64, 'float64', Float64Array),
  256: info(256, 'int8', Int8Array, [-128, 127]),
  512: info(512, 'uint16', Uint16Array, [0, 65535]),
  768: info(768, 'uint32', Uint32Array, [0, 4294967295])
}

/** Codes NIfTI defines but this reader does not decode (named in the error message). */
export const UNSUPPORTED_DATATYPES: Record<number, string> = {
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32'
}

export function datatypeByName(name: NiftiDatatypeName): NiftiDatatypeInfo {
  const found = Object.values(NIFTI_DATATYPES).find((d) => d.name === name)
  if (!found) throw new Error(`unknown datatype name ${name}`)
  return found
}

export function datatypeOfArray(a: NiftiTypedArray): NiftiDatatypeInfo {
  if (a instanceof Uint8Array) return NIFTI_DATATYPES[2]
  if (a instanceof Int8Array) return NIFTI_DATATYPES[256]
  if (a instanceof Int16Array) return NIFTI_DATATYPES[4]
  if (a instanceof Uint16Array) return NIFTI_DATATYPES[512]
  if (a instanceof Int32Array) return NIFTI_DATATYPES[8]
  if (a instanceof Uint32Array) return NIFTI_DATATYPES[768]
  if (a instanceof Float32Array) return NIFTI_DATATYPES[16]
  return NIFTI_DATATYPES[64]
}

export type SpatialUnit = 'unknown' | 'm' | 'mm' | 'um'
export type TemporalUnit = 'unknown' | 's' | 'ms' | 'us' | 'hz' | 'ppm' | 'rads'

export const SPATIAL_UNITS: Record<number, SpatialUnit> = { 0: 'unknown', 1: 'm', 2: 'mm', 3: 'um' }
export const TEMPORAL_UNITS: Record<number, TemporalUnit> = {
  0: 'unknown',
  8: 's',
  16: 'ms',
  24: 'us',
  32: 'hz',
  40: 'ppm',
  48: 'rads'
}

export function encodeUnits(spatial: SpatialUnit, temporal: TemporalUnit): number {
  const s = Number(Object.entries(SPATIAL_UNITS).find(([, v]) => v === spatial)?.[0] ?? 0)
  const t = Number(Object.entries(TEMPORAL_UNITS).find(([, v]) => v === temporal)?.[0] ?? 0)
  return s | t
}

export interface NiftiExtension {
  /** Extension code (e.g. 6 = comment, 4 = AFNI, 32 = CIFTI). */
  ecode: number
  /** Size in bytes including the 8-byte esize/ecode prefix (a multiple of 16 by the standard). */
  esize: number
  /** The extension's payload (esize - 8 bytes), kept raw. */
  data: Uint8Array
}

export interface NiftiQuaternion {
  b: number
  c: number
  d: number
  qx: number
  qy: number
  qz: number
  /** pixdim[0] as used: -1 or 1 (0 and other values read as 1). */
  qfac: number
}

export interface NiftiHeader {
  /** The file this header was read from. */
  path: string
  version: 1 | 2
  littleEndian: boolean
  gzipped: boolean
  sizeofHdr: number
  /** Magic without its trailing NULs and binary tail, e.g. "n+1" or "n+2". */
  magic: string
  /** The raw dim[0..7] array. */
  dim: number[]
  /** dim[1..dim[0]]: the image dimensions. */
  dims: number[]
  /** Spatial shape [X, Y, Z] (missing dimensions are 1). */
  shape: [number, number, number]
  /** Volumes: the product of dims beyond the third (1 for a 3D image). */
  volumes: number
  voxelsPerVolume: number
  datatype: number
  datatypeName: NiftiDatatypeName
  bitpix: number
  bytesPerVoxel: number
  /** The raw pixdim[0..7]. */
  pixdim: number[]
  /** Byte offset of the voxel data (in the decompressed stream for .nii.gz). */
  voxOffset: number
  /** Raw header scaling fields. */
  sclSlope: number
  sclInter: number
  /** Scaling actually applied: slope 1 / inter 0 when the header's slope is 0 or not finite. */
  scaling: { slope: number; inter: number; applied: boolean }
  xyztUnits: number
  spatialUnit: SpatialUnit
  temporalUnit: TemporalUnit
  /** Repetition time in seconds (from pixdim[4] and the time unit), null for a 3D image or no usable unit. */
  tr: number | null
  dimInfo: number
  intentCode: number
  intentParams: [number, number, number]
  intentName: string
  sliceStart: number
  sliceEnd: number
  sliceCode: number
  sliceDuration: number
  toffset: number
  calMin: number
  calMax: number
  descrip: string
  auxFile: string
  qformCode: number
  sformCode: number
  quaternion: NiftiQuaternion
  /** srow_x, srow_y, srow_z as stored. */
  srow: [number[], number[], number[]]
  /** Affine from the quaternion (null when qform_code is 0). */
  qform: Mat4 | null
  /** Affine from srow (null when sform_code is 0). */
  sform: Mat4 | null
  /** The affine to use: sform if sform_code > 0, else qform if qform_code > 0, else diag(pixdim[1..3]). */
  affine: Mat4
  affineSource: 'sform' | 'qform' | 'pixdim'
  extensions: NiftiExtension[]
  /** Bytes of voxel data the dims and datatype call for. */
  dataBytes: number
  /** File size on disk in bytes (compressed size for .nii.gz). */
  fileBytes: number
  /** Things that are odd but readable, each naming the file (e.g. the TR-in-ms quirk). */
  warnings: string[]
}
