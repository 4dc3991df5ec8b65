/**
 * One entry point for every audio file: picks the decoder by magic bytes (never by extension). WAV and
 * Sun .au go through our own readers; FLAC, MP3, Ogg (Vorbis, Opus, FLAC) through audio-decode.
 */
import { readFile } from 'node:fs/promises'
import { B2mError } from '../../common/errors'
import { isAu, parseAu } from './au'
import type { AudioData } from './types'
import { isWav, parseWav } from './wav'

export type AudioContainer = 'wav' | 'au' | 'flac' | 'ogg' | 'mp3' | 'aiff' | 'mp4' | 'unknown'

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n))
}

/** What kind of file the first bytes say this is. */
export function sniffAudio(bytes: Uint8Array): AudioContainer {
  if (isWav(bytes)) return 'wav'
  if (isAu(bytes)) return 'au'
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === 'fLaC') return 'flac'
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === 'OggS') return 'ogg'
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'FORM' && /^AIF[FC]$/.test(ascii(bytes, 8, 4))) return 'aiff'
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') return 'mp4'
  if (bytes.length >= 3 && ascii(bytes, 0, 3) === 'ID3') {
    // An ID3v2 tag may precede FLAC as well as MP3: look behind it.
    if (bytes.length >= 10) {
      const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f)
      const after = 10 + size + (bytes[5] & 0x10 ? 10 : 0)
      if (bytes.length >= after + 4 && ascii(bytes, after, 4) === 'fLaC') return 'flac'
    }
    return 'mp3'
  }
  // MPEG audio frame sync: 11 set bits, layer != 0.
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0 && (bytes[1] & 0x06) !== 0) return 'mp3'
  return 'unknown'
}

type Decoder = (buf: Uint8Array) => Promise<{ channelData: Float32Array[]; sampleRate: number }>
let audioDecode: Promise<Decoder> | undefined
function loadAudioDecode(): Promise<Decoder> {
  audioDecode ??= import('audio-decode').then((m) => m.default as unknown as Decoder)
  return audioDecode
}

/** Decodes audio bytes; `file` names the source in errors. */
export async function decodeAudioBytes(bytes: Uint8Array, file?: string): Promise<AudioData> {
  const kind = sniffAudio(bytes)
  if (kind === 'wav') {
    const { sampleRate, channels } = parseWav(bytes, file)
    return { sampleRate, channels }
  }
  if (kind === 'au') {
    const { sampleRate, channels } = parseAu(bytes, file)
    return { sampleRate, channels }
  }
  if (kind === 'unknown') {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')
    throw new B2mError(
      'bad_request',
      `not a recognised audio file (first bytes: ${head || 'none'}); expected WAV, Sun .au, FLAC, MP3 or Ogg Vorbis/Opus`,
      file
    )
  }
  let decoded
  try {
    const decode = await loadAudioDecode()
    // Copy: decoders may transfer or detach the buffer they are given.
    decoded = await decode(new Uint8Array(bytes))
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new B2mError('bad_request', `cannot decode ${kind.toUpperCase()} audio: ${why}`, file)
  }
  const channels = (decoded.channelData ?? []).map((c) => (c instanceof Float32Array ? c : Float32Array.from(c)))
  if (kind === 'flac') rescaleFlac(bytes, channels)
  if (channels.length === 0 || !(decoded.sampleRate > 0)) {
    throw new B2mError(
      'bad_request',
      `cannot decode ${kind.toUpperCase()} audio: the decoder returned no samples`,
      file
    )
  }
  return { sampleRate: decoded.sampleRate, channels }
}

/**
 * audio-decode's FLAC decoder divides integers by 2^(b-1) - 1; our WAV and .au readers (and libsndfile,
 * soundfile, librosa) divide by 2^(b-1). Undo it so every format maps an integer k to k / 2^(b-1).
 */
function rescaleFlac(bytes: Uint8Array, channels: Float32Array[]): void {
  let at = 0
  if (ascii(bytes, 0, 3) === 'ID3' && bytes.length >= 10) {
    at = 10 + (((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f))
  }
  if (bytes.length < at + 26 || ascii(bytes, at, 4) !== 'fLaC' || (bytes[at + 4] & 0x7f) !== 0) return
  const s = at + 8 + 10
  const bits = (((bytes[s + 2] & 0x01) << 4) | (bytes[s + 3] >> 4)) + 1
  if (bits < 4 || bits > 24) return
  const full = 2 ** (bits - 1)
  const decoderScale = full - 1
  for (const c of channels) for (let i = 0; i < c.length; i++) c[i] = Math.round(c[i] * decoderScale) / full
}

/** Reads and decodes an audio file, picking the decoder by its magic bytes. */
export async function decodeAudio(path: string): Promise<AudioData> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new B2mError('not_found', 'audio file not found', path)
    throw new B2mError('failed', `cannot read audio file: ${(err as Error).message}`, path)
  }
  return decodeAudioBytes(bytes, path)
}
