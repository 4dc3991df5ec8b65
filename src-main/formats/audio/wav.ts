/**
 * RIFF/WAVE (and RF64) reader and writer. Reads PCM 8/16/24/32-bit integer, IEEE float 32/64, G.711
 * mu-law/A-law and WAVE_FORMAT_EXTENSIBLE (the sub-format GUID's first two bytes carry the format tag).
 * Integer samples map to [-1, 1) by dividing by 2^(bits-1) (8-bit is unsigned with offset 128), which
 * makes 16-bit write -> read exact.
 */
import { B2mError } from '../../common/errors'
import { ALAW_TABLE, MULAW_TABLE, quantise, type AudioData } from './types'

const FORMAT_PCM = 1
const FORMAT_FLOAT = 3
const FORMAT_ALAW = 6
const FORMAT_MULAW = 7
const FORMAT_EXTENSIBLE = 0xfffe

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3])
}

export function isWav(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false
  const id = fourcc(bytes, 0)
  return (id === 'RIFF' || id === 'RF64' || id === 'BW64') && fourcc(bytes, 8) === 'WAVE'
}

export interface WavInfo {
  formatTag: number
  bitsPerSample: number
  channels: number
  sampleRate: number
  frames: number
}

/** Decodes a WAV file's bytes; `file` names the file in errors. */
export function parseWav(bytes: Uint8Array, file?: string): AudioData & { info: WavInfo } {
  if (!isWav(bytes)) throw new B2mError('bad_request', 'not a RIFF/WAVE file', file)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const rf64 = fourcc(bytes, 0) !== 'RIFF'
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined
  let dataOffset = -1
  let dataSize = 0
  let ds64DataSize: number | undefined
  let p = 12
  while (p + 8 <= bytes.length) {
    const id = fourcc(bytes, p)
    let size = view.getUint32(p + 4, true)
    const body = p + 8
    if (id === 'ds64' && rf64 && size >= 16) {
      ds64DataSize = view.getUint32(body + 8, true) + view.getUint32(body + 12, true) * 2 ** 32
    } else if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length)
        throw new B2mError('bad_request', `WAV fmt chunk too short (${size} bytes)`, file)
      let tag = view.getUint16(body, true)
      const channels = view.getUint16(body + 2, true)
      const rate = view.getUint32(body + 4, true)
      const blockAlign = view.getUint16(body + 12, true)
      const bits = view.getUint16(body + 14, true)
      if (tag === FORMAT_EXTENSIBLE) {
        if (size < 40) throw new B2mError('bad_request', 'WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes', file)
        const validBits = view.getUint16(body + 18, true)
        tag = view.getUint16(body + 24, true) // first two bytes of the sub-format GUID
        // Container size decides the layout; valid bits only say how many carry signal.
        if (validBits > bits)
          throw new B2mError('bad_request', `valid bits ${validBits} exceed container ${bits}`, file)
      }
      fmt = { tag, channels, rate, blockAlign, bits }
    } else if (id === 'data') {
      dataOffset = body
      if (rf64 && size === 0xffffffff && ds64DataSize !== undefined) size = ds64DataSize
      // Streaming writers leave 0 or 0xFFFFFFFF; a truncated file has fewer bytes than announced.
      dataSize = size === 0 || size === 0xffffffff ? bytes.length - body : Math.min(size, bytes.length - body)
      if (fmt) break
    }
    if (id === 'data' && rf64 && size > 0xffffffff) break
    p = body + size + (size & 1)
  }
  if (!fmt) throw new B2mError('bad_request', 'WAV file has no fmt chunk', file)
  if (dataOffset < 0) throw new B2mError('bad_request', 'WAV file has no data chunk', file)
  const { tag, channels, rate, bits } = fmt
  if (channels < 1) throw new B2mError('bad_request', 'WAV file declares 0 channels', file)
  if (rate < 1) throw new B2mError('bad_request', 'WAV file declares sample rate 0', file)
  const bytesPerSample = bits / 8
  const supported =
    (tag === FORMAT_PCM && [8, 16, 24, 32].includes(bits)) ||
    (tag === FORMAT_FLOAT && (bits === 32 || bits === 64)) ||
    ((tag === FORMAT_MULAW || tag === FORMAT_ALAW) && bits === 8)
  if (!supported) {
    throw new B2mError(
      'bad_request',
      `unsupported WAV encoding: format tag 0x${tag.toString(16)} with ${bits} bits per sample`,
      file
    )
  }
  const frameBytes = bytesPerSample * channels
  const frames = Math.floor(dataSize / frameBytes)
  const out = Array.from({ length: channels }, () => new Float32Array(frames))
  let q = dataOffset
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      let v: number
      if (tag === FORMAT_PCM) {
        if (bits === 16) v = view.getInt16(q, true) / 32768
        else if (bits === 24) v = (((bytes[q] | (bytes[q + 1] << 8) | (bytes[q + 2] << 16)) << 8) >> 8) / 8388608
        else if (bits === 32) v = view.getInt32(q, true) / 2147483648
        else v = (bytes[q] - 128) / 128
      } else if (tag === FORMAT_FLOAT) v = bits === 32 ? view.getFloat32(q, true) : view.getFloat64(q, true)
      else v = (tag === FORMAT_MULAW ? MULAW_TABLE : ALAW_TABLE)[bytes[q]]
      out[c][i] = v
      q += bytesPerSample
    }
  }
  return {
    sampleRate: rate,
    channels: out,
    info: { formatTag: tag, bitsPerSample: bits, channels, sampleRate: rate, frames }
  }
}

export interface WavEncodeOptions {
  /** 'pcm16' (default), 'pcm24' or 'float32'. */
  encoding?: 'pcm16' | 'pcm24' | 'float32'
}

/** Encodes audio as a canonical 44-byte-header WAV (WAVE_FORMAT_PCM or WAVE_FORMAT_IEEE_FLOAT). */
export function encodeWav(audio: AudioData, options: WavEncodeOptions = {}): Uint8Array {
  const encoding = options.encoding ?? 'pcm16'
  const nch = audio.channels.length
  if (nch < 1) throw new B2mError('bad_request', 'cannot write a WAV file with no channels')
  const frames = audio.channels[0].length
  if (audio.channels.some((c) => c.length !== frames)) throw new B2mError('bad_request', 'channels differ in length')
  const bits = encoding === 'pcm16' ? 16 : encoding === 'pcm24' ? 24 : 32
  const bps = bits / 8
  const dataSize = frames * nch * bps
  if (dataSize + 36 > 0xffffffff) throw new B2mError('bad_request', 'audio too long for a RIFF WAV file (4 GiB)')
  const out = new Uint8Array(44 + dataSize)
  const view = new DataView(out.buffer)
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
  }
  ascii(0, 'RIFF')
  view.setUint32(4, 36 + dataSize, true)
  ascii(8, 'WAVE')
  ascii(12, 'fmt ')
  view.setUint32(16, 16, true)
  view.setUint16(20, encoding === 'float32' ? FORMAT_FLOAT : FORMAT_PCM, true)
  view.setUint16(22, nch, true)
  view.setUint32(24, audio.sampleRate, true)
  view.setUint32(28, audio.sampleRate * nch * bps, true)
  view.setUint16(32, nch * bps, true)
  view.setUint16(34, bits, true)
  ascii(36, 'data')
  view.setUint32(40, dataSize, true)
  let q = 44
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      const x = audio.channels[c][i]
      if (encoding === 'float32') view.setFloat32(q, x, true)
      else if (encoding === 'pcm16') view.setInt16(q, quantise(x, 16), true)
      else {
        const v = quantise(x, 24)
        out[q] = v & 0xff
        out[q + 1] = (v >> 8) & 0xff
        out[q + 2] = (v >> 16) & 0xff
      }
      q += bps
    }
  }
  return out
}
