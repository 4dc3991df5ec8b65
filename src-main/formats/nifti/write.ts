/**
 * NIfTI-1 single-file writer (`.nii`, or `.nii.gz` by the name), little-endian.
 *
 * The affine goes into both the sform (exactly, as float32) and the qform (quaternion of the nearest
 * rotation, spacing = column norms, qfac from the handedness). Writes stream volume by volume into a
 * temporary file beside the target that is renamed into place on success and removed on failure, so no
 * half-written image is left under the target name.
 */
import { createWriteStream } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { createGzip, type Gzip } from 'node:zlib'
import { B2mError } from '../../common/errors'
import { affineToQuaternion, identity4 } from './affine'
import {
  NIFTI_DATATYPES,
  datatypeByName,
  datatypeOfArray,
  encodeUnits,
  type Mat4,
  type NiftiDatatypeInfo,
  type NiftiDatatypeName,
  type NiftiTypedArray,
  type SpatialUnit,
  type TemporalUnit
} from './types'

export interface NiftiWriteHeader {
  /** [X, Y, Z] or [X, Y, Z, T] (up to 7 dims). */
  dims: number[]
  /** Stored datatype; defaults to the type of `data` (float32 for the streaming writer). */
  datatype?: NiftiDatatypeName | number
  /** Voxel -> world (mm). Defaults to diag(pixdim[0..2]). */
  affine?: Mat4
  /**
   * Spacing per dimension ([dx, dy, dz, TR, ...], as NIfTI's pixdim[1..]). With an affine, the spatial
   * spacings written are the affine's column norms; entries beyond the third are always taken from here.
   */
  pixdim?: number[]
  /** Repetition time in seconds (written to pixdim[4] in the time unit of xyztUnits). */
  tr?: number
  /** Units: a raw xyzt_units byte, or names. Default mm, plus seconds when there is a 4th dimension. */
  xyztUnits?: number | { spatial: SpatialUnit; temporal: TemporalUnit }
  descrip?: string
  auxFile?: string
  intentCode?: number
  intentName?: string
  intentParams?: [number, number, number]
  sclSlope?: number
  sclInter?: number
  calMin?: number
  calMax?: number
  /** Default 1 (scanner anatomical). */
  qformCode?: number
  /** Default 2 (aligned anatomical). */
  sformCode?: number
  /** Header extensions to write (payloads are padded so each esize is a multiple of 16). */
  extensions?: { ecode: number; data: Uint8Array }[]
  /** gzip level for `.nii.gz` (default 6). */
  gzipLevel?: number
}

export interface NiftiWriteOptions extends NiftiWriteHeader {
  /** All voxels, x fastest: X*Y*Z*T values. */
  data: NiftiTypedArray
}

function bad(path: string, msg: string): B2mError {
  return new B2mError('bad_request', msg, path)
}

function resolveDatatype(path: string, dt: NiftiDatatypeName | number | undefined, fallback: NiftiDatatypeInfo) {
  if (dt === undefined) return fallback
  if (typeof dt === 'number') {
    const d = NIFTI_DATATYPES[dt]
    if (!d) throw bad(path, `cannot write datatype ${dt}: not one of ${Object.keys(NIFTI_DATATYPES).join(', ')}`)
    return d
  }
  try {
    return datatypeByName(dt)
  } catch {
    throw bad(path, `cannot write datatype "${dt}"`)
  }
}

/** Encodes the 348-byte NIfTI-1 header, the extender and the extensions. */
export function encodeNifti1Header(path: string, h: NiftiWriteHeader, dt: NiftiDatatypeInfo): Uint8Array {
  const dims = h.dims
  if (dims.length < 1 || dims.length > 7) throw bad(path, `cannot write ${dims.length} dimensions (1..7)`)
  dims.forEach((n, k) => {
    if (!(Number.isInteger(n) && n > 0 && n <= 32767)) {
      throw bad(path, `dim ${k + 1} is ${n}: NIfTI-1 dimensions must be integers 1..32767`)
    }
  })
  const exts = (h.extensions ?? []).map((e) => {
    const esize = Math.ceil((e.data.length + 8) / 16) * 16
    return { ecode: e.ecode, esize, data: e.data }
  })
  const voxOffset = 352 + exts.reduce((a, e) => a + e.esize, 0)
  const bytes = new Uint8Array(voxOffset)
  const dv = new DataView(bytes.buffer)
  const le = true
  const writeStr = (off: number, len: number, s: string | undefined) => {
    if (!s) return
    const b = Buffer.from(s, 'latin1').subarray(0, len - 1)
    bytes.set(b, off)
  }

  const spacingIn = h.pixdim ?? []
  let affine = h.affine
  if (!affine) {
    affine = identity4()
    for (let i = 0; i < 3; i++) affine[i][i] = spacingIn[i] ?? 1
  }
  if (affine.length < 3 || affine.slice(0, 3).some((r) => r.length < 4 || r.some((v) => !Number.isFinite(v)))) {
    throw bad(path, 'affine must be a 4x4 (or 3x4) matrix of finite numbers')
  }
  const { quaternion: q, pixdim: zooms } = affineToQuaternion(affine)

  dv.setInt32(0, 348, le)
  dv.setInt8(38, 'r'.charCodeAt(0)) // "regular", as ANALYZE readers expect
  dv.setInt16(40, dims.length, le)
  for (let k = 0; k < 7; k++) dv.setInt16(42 + 2 * k, k < dims.length ? dims[k] : 1, le)
  const ip = h.intentParams ?? [0, 0, 0]
  dv.setFloat32(56, ip[0], le)
  dv.setFloat32(60, ip[1], le)
  dv.setFloat32(64, ip[2], le)
  dv.setInt16(68, h.intentCode ?? 0, le)
  dv.setInt16(70, dt.code, le)
  dv.setInt16(72, dt.bytes * 8, le)

  // units
  let units: number
  if (typeof h.xyztUnits === 'number') units = h.xyztUnits
  else if (h.xyztUnits) units = encodeUnits(h.xyztUnits.spatial, h.xyztUnits.temporal)
  else units = 2 | (dims.length > 3 ? 8 : 0)
  const tUnit = units & 0x38
  const pixdim = [q.qfac, zooms[0], zooms[1], zooms[2], 1, 1, 1, 1]
  for (let k = 3; k < 7; k++) if (spacingIn[k] !== undefined) pixdim[k + 1] = spacingIn[k]
  if (h.tr !== undefined) pixdim[4] = tUnit === 16 ? h.tr * 1000 : tUnit === 24 ? h.tr * 1e6 : h.tr
  for (let k = 0; k < 8; k++) dv.setFloat32(76 + 4 * k, pixdim[k], le)
  dv.setFloat32(108, voxOffset, le)
  dv.setFloat32(112, h.sclSlope ?? 1, le)
  dv.setFloat32(116, h.sclInter ?? 0, le)
  dv.setUint8(123, units)
  dv.setFloat32(124, h.calMax ?? 0, le)
  dv.setFloat32(128, h.calMin ?? 0, le)
  writeStr(148, 80, h.descrip)
  writeStr(228, 24, h.auxFile)
  dv.setInt16(252, h.qformCode ?? 1, le)
  dv.setInt16(254, h.sformCode ?? 2, le)
  const qv = [q.b, q.c, q.d, q.qx, q.qy, q.qz]
  qv.forEach((v, k) => dv.setFloat32(256 + 4 * k, v, le))
  for (let r = 0; r < 3; r++) for (let k = 0; k < 4; k++) dv.setFloat32(280 + 16 * r + 4 * k, affine[r][k], le)
  writeStr(328, 16, h.intentName)
  bytes.set([0x6e, 0x2b, 0x31, 0x00], 344) // "n+1\0"
  if (exts.length) {
    bytes[348] = 1
    let pos = 352
    for (const e of exts) {
      dv.setInt32(pos, e.esize, le)
      dv.setInt32(pos + 4, e.ecode, le)
      bytes.set(e.data, pos + 8)
      pos += e.esize
    }
  }
  return bytes
}

/** Converts a volume to the stored datatype (integers: rounded; out-of-range or NaN is an error). */
function toDatatype(path: string, vol: NiftiTypedArray, dt: NiftiDatatypeInfo): NiftiTypedArray {
  if (datatypeOfArray(vol) === dt) return vol
  const out = dt.make(vol.length)
  if (!dt.range) {
    out.set(vol)
    return out
  }
  const [lo, hi] = dt.range
  for (let i = 0; i < vol.length; i++) {
    const v = Math.round(vol[i])
    if (!(v >= lo && v <= hi)) {
      throw bad(path, `value ${vol[i]} at element ${i} cannot be stored as ${dt.name} (${lo}..${hi})`)
    }
    out[i] = v
  }
  return out
}

/** A streaming writer: `write` each volume in order, then `close` (or `abort`). */
export interface NiftiWriter {
  readonly path: string
  readonly datatype: NiftiDatatypeName
  write(volume: NiftiTypedArray): Promise<void>
  close(): Promise<void>
  abort(): Promise<void>
}

class Writer implements NiftiWriter {
  private written = 0
  private done = false
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly dt: NiftiDatatypeInfo,
    private readonly voxels: number,
    private readonly volumes: number,
    private readonly fh: FileHandle | null,
    private readonly gz: Gzip | null,
    private readonly gzFinished: Promise<void> | null
  ) {}

  get datatype(): NiftiDatatypeName {
    return this.dt.name
  }

  static async create(path: string, h: NiftiWriteHeader, dt: NiftiDatatypeInfo): Promise<Writer> {
    const header = encodeNifti1Header(path, h, dt)
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.partial`)
    const voxels = (h.dims[0] ?? 1) * (h.dims[1] ?? 1) * (h.dims[2] ?? 1)
    const volumes = h.dims.slice(3).reduce((a, b) => a * b, 1)
    let w: Writer
    try {
      if (/\.gz$/i.test(path)) {
        const gz = createGzip({ level: h.gzipLevel ?? 6, chunkSize: 1 << 20 })
        const file = createWriteStream(tmp)
        const finished = new Promise<void>((resolve, reject) => {
          file.on('close', resolve)
          file.on('error', reject)
          gz.on('error', reject)
        })
        finished.catch(() => undefined)
        gz.pipe(file)
        w = new Writer(path, tmp, dt, voxels, volumes, null, gz, finished)
      } else {
        w = new Writer(path, tmp, dt, voxels, volumes, await open(tmp, 'w'), null, null)
      }
      await w.put(header)
    } catch (err) {
      await rm(tmp, { force: true })
      if (err instanceof B2mError) throw err
      throw new B2mError('bad_request', `cannot write: ${(err as Error).message}`, path)
    }
    return w
  }

  private async put(bytes: Uint8Array): Promise<void> {
    if (this.fh) {
      let off = 0
      while (off < bytes.length) off += (await this.fh.write(bytes, off, bytes.length - off)).bytesWritten
    } else {
      await new Promise<void>((resolve, reject) => this.gz!.write(bytes, (err) => (err ? reject(err) : resolve())))
    }
  }

  async write(volume: NiftiTypedArray): Promise<void> {
    if (this.done) throw bad(this.path, 'write after close')
    if (this.written >= this.volumes) {
      throw bad(this.path, `more volumes written than dims allow (${this.volumes})`)
    }
    if (volume.length !== this.voxels) {
      throw bad(this.path, `volume ${this.written} has ${volume.length} values, dims need ${this.voxels}`)
    }
    try {
      const v = toDatatype(this.path, volume, this.dt)
      await this.put(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
      this.written++
    } catch (err) {
      await this.abort()
      if (err instanceof B2mError) throw err
      throw bad(this.path, `cannot write: ${(err as Error).message}`)
    }
  }

  async close(): Promise<void> {
    if (this.done) return
    if (this.written !== this.volumes) {
      await this.abort()
      throw bad(this.path, `closed after ${this.written} of ${this.volumes} volumes; nothing written`)
    }
    try {
      if (this.fh) await this.fh.close()
      else {
        this.gz!.end()
        await this.gzFinished
      }
      this.done = true
      await rename(this.tmp, this.path)
    } catch (err) {
      await this.abort()
      throw bad(this.path, `cannot write: ${(err as Error).message}`)
    }
  }

  async abort(): Promise<void> {
    this.done = true
    if (this.fh) await this.fh.close().catch(() => undefined)
    if (this.gz) {
      this.gz.destroy()
      await this.gzFinished!.catch(() => undefined)
    }
    await rm(this.tmp, { force: true })
  }
}

/** Opens a streaming NIfTI-1 writer (datatype defaults to float32). */
export async function createNiftiWriter(path: string, header: NiftiWriteHeader): Promise<NiftiWriter> {
  const dt = resolveDatatype(path, header.datatype, NIFTI_DATATYPES[16])
  return Writer.create(path, header, dt)
}

/** Writes a whole image (`data`: X*Y*Z*T values, x fastest). */
export async function writeNifti(path: string, opts: NiftiWriteOptions): Promise<void> {
  const dt = resolveDatatype(path, opts.datatype, datatypeOfArray(opts.data))
  encodeNifti1Header(path, opts, dt) // validates dims, affine and extensions before anything is created
  const voxels = (opts.dims[0] ?? 1) * (opts.dims[1] ?? 1) * (opts.dims[2] ?? 1)
  const total = opts.dims.reduce((a, b) => a * b, 1)
  if (opts.data.length !== total) {
    throw bad(path, `data has ${opts.data.length} values but dims ${opts.dims.join('x')} need ${total}`)
  }
  const w = await Writer.create(path, opts, dt)
  for (let at = 0; at < total; at += voxels) await w.write(opts.data.subarray(at, at + voxels))
  await w.close()
}
