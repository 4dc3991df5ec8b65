/**
 * NIfTI reading: header only, volume-by-volume streaming, a masked T x V matrix, and a whole-array
 * convenience for small images.
 *
 * Memory: `.nii` is read by exact byte ranges (a few volumes at a time, double-buffered so the next read
 * overlaps the conversion of the current one); `.nii.gz` goes through a streaming gunzip that holds one
 * decompressed chunk. Neither ever holds the whole file.
 */
import { stat } from 'node:fs/promises'
import { B2mError } from '../../common/errors'
import { detectVersion, parseExtensions, parseFixedHeader, type HeaderContext } from './header'
import { FileSource, GzipSource, gzipError, isGzipMagic, type ByteSource } from './source'
import { NIFTI_DATATYPES, type NiftiHeader, type NiftiTypedArray } from './types'

/** Bytes read per batch on the `.nii` path (whole volumes; at least one volume). */
const BATCH_BYTES = 8 << 20
/** Extensions beyond this are skipped rather than read into memory (a corrupt vox_offset). */
const MAX_EXTENSION_BYTES = 64 << 20
/** readNifti refuses images whose float32 copy would exceed this; use openNifti for those. */
const MAX_WHOLE_BYTES = 2 ** 31 - 1

interface Opened {
  header: NiftiHeader
  /** Positioned at vox_offset. */
  source: ByteSource
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path)
    if (!s.isFile()) throw new B2mError('bad_request', 'not a regular file', path)
    return s.size
  } catch (err) {
    if (err instanceof B2mError) throw err
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT') throw new B2mError('not_found', 'file not found', path)
    throw new B2mError('bad_request', `cannot read: ${e.message}`, path)
  }
}

/** Opens the file, decodes the header and extensions, and leaves the source at the first voxel. */
async function openSource(path: string): Promise<Opened> {
  const size = await fileSize(path)
  if (size === 0) throw new B2mError('bad_request', 'empty file (0 bytes): not a NIfTI image', path)
  const plain = await FileSource.open(path)
  let source: ByteSource = plain
  let gzipped = false
  try {
    const magic = new Uint8Array(2)
    await plain.read(magic)
    if (isGzipMagic(magic)) {
      await plain.close()
      gzipped = true
      source = new GzipSource(path)
    } else {
      plain.position = 0
    }
    const ctx: HeaderContext = { path, gzipped, fileBytes: size }
    const where = gzipped ? 'the decompressed data' : 'the file'

    const first = new Uint8Array(4)
    const got4 = await source.read(first)
    let version: 1 | 2
    try {
      ;({ version } = detectVersion(first.subarray(0, got4), ctx))
    } catch (err) {
      if (!gzipped && /\.gz$/i.test(path)) {
        const hex = [...magic].map((b) => '0x' + b.toString(16).padStart(2, '0')).join(' ')
        throw new B2mError(
          'bad_request',
          `named .gz but is not gzip data (starts with ${hex}, gzip starts 0x1f 0x8b) nor an uncompressed NIfTI header`,
          path
        )
      }
      throw err
    }
    const hdrSize = version === 1 ? 348 : 540
    const hdr = new Uint8Array(hdrSize)
    hdr.set(first)
    const got = 4 + (await source.read(hdr.subarray(4)))
    if (got < hdrSize) {
      throw new B2mError(
        'bad_request',
        `truncated header: NIfTI-${version} needs ${hdrSize} bytes, ${where} has only ${got}`,
        path
      )
    }
    const header = parseFixedHeader(hdr, ctx)
    const tailBytes = header.voxOffset - hdrSize
    if (tailBytes > 0) {
      if (tailBytes > MAX_EXTENSION_BYTES) {
        header.warnings.push(`${path}: ${tailBytes} bytes between header and vox_offset; extensions not read`)
        const skipped = await source.skip(tailBytes)
        if (skipped < tailBytes) throw beyondEnd(header, hdrSize + skipped, where)
      } else {
        const tail = new Uint8Array(tailBytes)
        const n = await source.read(tail)
        if (n < tailBytes) throw beyondEnd(header, hdrSize + n, where)
        header.extensions = parseExtensions(tail, header)
      }
    }
    if (!gzipped && size < header.voxOffset + header.dataBytes) {
      throw truncatedData(header, size - header.voxOffset)
    }
    return { header, source }
  } catch (err) {
    await source.close().catch(() => undefined)
    throw gzipped ? gzipError(path, err) : err
  }
}

function beyondEnd(h: NiftiHeader, have: number, where: string): B2mError {
  return new B2mError('bad_request', `vox_offset ${h.voxOffset} is beyond the end of ${where} (${have} bytes)`, h.path)
}

function truncatedData(h: NiftiHeader, have: number): B2mError {
  return new B2mError(
    'bad_request',
    `data truncated: dims ${h.dims.join('x')} ${h.datatypeName} need ${h.dataBytes} bytes after vox_offset ${h.voxOffset}, ` +
      `${h.gzipped ? 'the decompressed stream holds' : 'the file holds'} only ${Math.max(0, have)}`,
    h.path
  )
}

/** Reads and validates only the header (and its extensions); for `.nii.gz` only the first bytes are inflated. */
export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  const { header, source } = await openSource(path)
  await source.close()
  return header
}

/**
 * Raw voxel bytes volume by volume, converted to native (little-endian) order. The yielded views point into
 * two reused buffers: use each before asking for the next batch.
 */
async function* rawVolumes(opened: Opened, signal?: AbortSignal): AsyncGenerator<NiftiTypedArray> {
  const { header: h, source } = opened
  const dt = NIFTI_DATATYPES[h.datatype]
  const volBytes = h.voxelsPerVolume * dt.bytes
  // Batches save syscalls on .nii; a gunzip stream gains nothing from them, so it reads one volume at a time.
  const batchBytes = h.gzipped ? volBytes : BATCH_BYTES
  const perBatch = Math.max(1, Math.min(h.volumes, Math.floor(batchBytes / volBytes)))
  const bufs = [new Uint8Array(perBatch * volBytes), new Uint8Array(perBatch * volBytes)]
  const batchCount = (first: number) => Math.min(perBatch, h.volumes - first)
  const startRead = (first: number, k: number): Promise<number> => {
    const p = source.read(bufs[k].subarray(0, batchCount(first) * volBytes))
    p.catch(() => undefined) // observed when awaited; avoid an unhandled rejection if the consumer stops early
    return p
  }
  let pending: Promise<number> | null = startRead(0, 0)
  let k = 0
  try {
    for (let t = 0; t < h.volumes;) {
      const n = batchCount(t)
      const got = await pending!
      pending = null
      if (got < n * volBytes) throw truncatedData(h, t * volBytes + got)
      if (t + n < h.volumes) pending = startRead(t + n, 1 - k)
      const buf = bufs[k]
      if (!h.littleEndian && dt.bytes > 1) {
        const b = Buffer.from(buf.buffer, buf.byteOffset, n * volBytes)
        if (dt.bytes === 2) b.swap16()
        else if (dt.bytes === 4) b.swap32()
        else b.swap64()
      }
      for (let i = 0; i < n; i++, t++) {
        signal?.throwIfAborted()
        yield dt.view(buf.buffer, i * volBytes, h.voxelsPerVolume)
      }
      k = 1 - k
    }
  } catch (err) {
    throw h.gzipped ? gzipError(h.path, err) : err
  } finally {
    if (pending) await pending.catch(() => undefined)
    await source.close().catch(() => undefined)
  }
}

/** Scaled float32 copy of one raw volume (slope/inter applied when the header asks for it). */
export function scaleToFloat32(raw: NiftiTypedArray, h: NiftiHeader, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(raw.length)
  if (!h.scaling.applied) {
    dst.set(raw)
  } else {
    const { slope, inter } = h.scaling
    for (let i = 0; i < raw.length; i++) dst[i] = raw[i] * slope + inter
  }
  return dst
}

export interface OpenNiftiOptions {
  /** Yield the stored values (a fresh typed array of the file's datatype, native byte order) instead of scaled float32. */
  raw?: boolean
  /**
   * Yield the same array for every volume, overwritten by the next one (copy what you keep). Saves an
   * allocation per volume: faster, and memory stays flat instead of waiting on the garbage collector.
   */
  reuse?: boolean
  signal?: AbortSignal
}

/** An open image: the header, and its volumes in order (iterate once; breaking out closes the file). */
export interface NiftiVolumeReader<T> extends AsyncIterable<T> {
  readonly header: NiftiHeader
  /** Releases the file when the volumes are not (fully) iterated. Idempotent. */
  close(): Promise<void>
}

class VolumeReader<T> implements NiftiVolumeReader<T> {
  private used = false
  private closed = false
  private volumes: AsyncGenerator<NiftiTypedArray> | null = null
  constructor(
    private readonly opened: Opened,
    private readonly convert: (raw: NiftiTypedArray) => T,
    private readonly signal?: AbortSignal
  ) {}

  get header(): NiftiHeader {
    return this.opened.header
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    if (this.used || this.closed) {
      throw new B2mError(
        'bad_request',
        'the volumes of an open NIfTI reader can be iterated only once',
        this.header.path
      )
    }
    this.used = true
    this.volumes = rawVolumes(this.opened, this.signal)
    for await (const raw of this.volumes) yield this.convert(raw)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.volumes) await this.volumes.return(undefined).catch(() => undefined)
    else await this.opened.source.close().catch(() => undefined)
  }
}

/**
 * Opens an image for streaming: each volume is X*Y*Z values, x fastest (NIfTI order). By default a new
 * scaled Float32Array per volume; `{ raw: true }` gives the stored values in the file's datatype.
 */
export async function openNifti(
  path: string,
  opts?: OpenNiftiOptions & { raw?: false }
): Promise<NiftiVolumeReader<Float32Array>>
export async function openNifti(
  path: string,
  opts: OpenNiftiOptions & { raw: true }
): Promise<NiftiVolumeReader<NiftiTypedArray>>
export async function openNifti(
  path: string,
  opts: OpenNiftiOptions = {}
): Promise<NiftiVolumeReader<Float32Array | NiftiTypedArray>> {
  const opened = await openSource(path)
  const h = opened.header
  let convert: (raw: NiftiTypedArray) => Float32Array | NiftiTypedArray
  if (opts.reuse) {
    const shared = opts.raw ? NIFTI_DATATYPES[h.datatype].make(h.voxelsPerVolume) : new Float32Array(h.voxelsPerVolume)
    convert = opts.raw ? (raw) => (shared.set(raw), shared) : (raw) => scaleToFloat32(raw, h, shared as Float32Array)
  } else {
    convert = opts.raw ? (raw) => raw.slice() : (raw) => scaleToFloat32(raw, h)
  }
  return new VolumeReader<Float32Array | NiftiTypedArray>(opened, convert, opts.signal)
}

export interface NiftiImage<T> {
  header: NiftiHeader
  /** All volumes one after another: X*Y*Z*T values, x fastest. */
  data: T
}

/** Whole image in memory (small images: masks, maps, anatomy). Scaled float32 unless `{ raw: true }`. */
export async function readNifti(path: string, opts?: { raw?: false }): Promise<NiftiImage<Float32Array>>
export async function readNifti(path: string, opts: { raw: true }): Promise<NiftiImage<NiftiTypedArray>>
export async function readNifti(
  path: string,
  opts: { raw?: boolean } = {}
): Promise<NiftiImage<Float32Array | NiftiTypedArray>> {
  const opened = await openSource(path)
  const h = opened.header
  const total = h.voxelsPerVolume * h.volumes
  const dt = NIFTI_DATATYPES[h.datatype]
  if (total * (opts.raw ? dt.bytes : 4) > MAX_WHOLE_BYTES) {
    await opened.source.close()
    throw new B2mError(
      'bad_request',
      `image of ${h.dims.join('x')} is too large to read whole (${total} voxels); stream it with openNifti`,
      path
    )
  }
  const data = opts.raw ? dt.make(total) : new Float32Array(total)
  let t = 0
  for await (const raw of rawVolumes(opened)) {
    const at = t * h.voxelsPerVolume
    if (opts.raw) data.set(raw, at)
    else scaleToFloat32(raw, h, (data as Float32Array).subarray(at, at + h.voxelsPerVolume))
    t++
  }
  return { header: h, data }
}

/** out[j] = raw[voxels[j]] (scaled): a small function of its own so V8 optimises the hot loop. */
function gather(
  raw: NiftiTypedArray,
  voxels: Int32Array,
  out: Float32Array,
  scaling: { slope: number; inter: number; applied: boolean }
): void {
  const n = voxels.length
  if (scaling.applied) {
    const { slope, inter } = scaling
    for (let j = 0; j < n; j++) out[j] = raw[voxels[j]] * slope + inter
  } else {
    for (let j = 0; j < n; j++) out[j] = raw[voxels[j]]
  }
}

export interface MaskedMatrix {
  header: NiftiHeader
  /** T x V float32, row-major: row t holds volume t at the mask's voxels (in NIfTI voxel order). */
  data: Float32Array
  shape: [number, number]
  /** The V voxel indices (into a volume, x fastest) the columns come from. */
  voxels: Int32Array
}

/**
 * Reads an image through a mask, volume by volume: memory is the T x V result plus a few volumes.
 * `mask` has one byte per voxel of a volume (x fastest); nonzero selects.
 */
export async function readMasked(
  path: string,
  mask: Uint8Array,
  opts: { signal?: AbortSignal } = {}
): Promise<MaskedMatrix> {
  const opened = await openSource(path)
  const h = opened.header
  if (mask.length !== h.voxelsPerVolume) {
    await opened.source.close()
    throw new B2mError(
      'bad_request',
      `mask has ${mask.length} voxels but the image volume is ${h.shape.join('x')} = ${h.voxelsPerVolume}`,
      path
    )
  }
  let v = 0
  for (let i = 0; i < mask.length; i++) if (mask[i]) v++
  if (v === 0) {
    await opened.source.close()
    throw new B2mError('bad_request', 'the mask selects no voxels', path)
  }
  const voxels = new Int32Array(v)
  for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) voxels[j++] = i
  const T = h.volumes
  const data = new Float32Array(T * v)
  let t = 0
  for await (const raw of rawVolumes(opened, opts.signal)) {
    gather(raw, voxels, data.subarray(t * v, (t + 1) * v), h.scaling)
    t++
  }
  return { header: h, data, shape: [T, v], voxels }
}
