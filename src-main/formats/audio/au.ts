/**
 * Sun/NeXT `.au` reader and writer (GTZAN's format). Header, all big-endian: ".snd", data offset, data
 * size (0xFFFFFFFF = unknown), encoding, sample rate, channels; then an annotation up to the data offset.
 * Encodings: 1 mu-law, 2 8-bit linear, 3 16-bit, 4 24-bit, 5 32-bit, 6 float, 7 double, 27 A-law.
 */
import { B2mError } from '../../common/errors'
import { ALAW_TABLE, MULAW_TABLE, quantise, type AudioData } from './types'

export const AU_ENCODINGS: Record<number, { name: string; bytes: number }> = {
  1: { name: '8-bit mu-law', bytes: 1 },
  2: { name: '8-bit linear', bytes: 1 },
  3: { name: '16-bit linear', bytes: 2 },
  4: { name: '24-bit linear', bytes: 3 },
  5: { name: '32-bit linear', bytes: 4 },
  6: { name: '32-bit float', bytes: 4 },
  7: { name: '64-bit float', bytes: 8 },
  27: { name: '8-bit A-law', bytes: 1 }
}

export function isAu(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x2e && bytes[1] === 0x73 && bytes[2] === 0x6e && bytes[3] === 0x64
}

export function parseAu(bytes: Uint8Array, file?: string): AudioData & { encoding: number } {
  if (!isAu(bytes)) throw new B2mError('bad_request', 'not a Sun .au file (no ".snd" magic)', file)
  if (bytes.length < 24) throw new B2mError('bad_request', `.au header truncated (${bytes.length} bytes)`, file)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const offset = view.getUint32(4)
  const size = view.getUint32(8)
  const encoding = view.getUint32(12)
  const rate = view.getUint32(16)
  const channels = view.getUint32(20)
  if (offset < 24 || offset > bytes.length)
    throw new B2mError('bad_request', `.au data offset ${offset} is out of range`, file)
  const enc = AU_ENCODINGS[encoding]
  if (!enc) throw new B2mError('bad_request', `unsupported .au encoding ${encoding}`, file)
  if (channels < 1 || channels > 64) throw new B2mError('bad_request', `.au channel count ${channels} is invalid`, file)
  if (rate < 1) throw new B2mError('bad_request', '.au sample rate is 0', file)
  const available = bytes.length - offset
  const dataSize = size === 0xffffffff ? available : Math.min(size, available)
  const frames = Math.floor(dataSize / (enc.bytes * channels))
  const out = Array.from({ length: channels }, () => new Float32Array(frames))
  let q = offset
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      let v: number
      switch (encoding) {
        case 1:
          v = MULAW_TABLE[bytes[q]]
          break
        case 27:
          v = ALAW_TABLE[bytes[q]]
          break
        case 2:
          v = view.getInt8(q) / 128
          break
        case 3:
          v = view.getInt16(q) / 32768
          break
        case 4:
          v = ((((bytes[q] << 16) | (bytes[q + 1] << 8) | bytes[q + 2]) << 8) >> 8) / 8388608
          break
        case 5:
          v = view.getInt32(q) / 2147483648
          break
        case 6:
          v = view.getFloat32(q)
          break
        default:
          v = view.getFloat64(q)
      }
      out[c][i] = v
      q += enc.bytes
    }
  }
  return { sampleRate: rate, channels: out, encoding }
}

/** Writes a `.au` file with 16-bit linear (3, default) or 32-bit float (6) samples. */
export function encodeAu(audio: AudioData, encoding: 3 | 6 = 3): Uint8Array {
  const nch = audio.channels.length
  const frames = nch ? audio.channels[0].length : 0
  const bps = encoding === 3 ? 2 : 4
  const out = new Uint8Array(24 + frames * nch * bps)
  const view = new DataView(out.buffer)
  view.setUint32(0, 0x2e736e64)
  view.setUint32(4, 24)
  view.setUint32(8, frames * nch * bps)
  view.setUint32(12, encoding)
  view.setUint32(16, audio.sampleRate)
  view.setUint32(20, nch)
  let q = 24
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      if (encoding === 3) view.setInt16(q, quantise(audio.channels[c][i], 16))
      else view.setFloat32(q, audio.channels[c][i])
      q += bps
    }
  }
  return out
}
