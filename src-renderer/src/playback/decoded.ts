/**
 * Decoded clips, measured once: the AudioBuffer, its integrated loudness, a mono mix, and (on first
 * ask) its log-mel spectrogram, keyed by the caller's source key. AudioBuffers play in any context.
 */
import { bufferLoudness, decodeAudio, monoMix } from './player'
import { logMelSpectrogram, type MelSpectrogram } from './spectrogram'

export interface DecodedClip {
  key: string
  buffer: AudioBuffer
  /** LUFS (BS.1770); -Infinity for silence. */
  loudness: number
  mono: Float32Array
  spectrogram(): MelSpectrogram
}

let shared: AudioContext | null = null

/**
 * The window's one AudioContext, made at the first Play (a user gesture, so it starts running rather
 * than suspended by the autoplay policy). Every player shares it.
 */
export function audioContext(): AudioContext {
  shared ??= new AudioContext()
  return shared
}

/** WAV bytes and their sample rate (decoding at that rate keeps the samples as they are). */
export interface FetchedAudio {
  bytes: Uint8Array
  sampleRate: number
}

export class DecodedCache {
  private readonly clips = new Map<string, Promise<DecodedClip>>()
  private readonly decoders = new Map<number, OfflineAudioContext>()

  /** Decodes without an AudioContext: an offline context at the file's own rate does not resample. */
  private decoder(sampleRate: number): OfflineAudioContext {
    let d = this.decoders.get(sampleRate)
    if (!d) {
      d = new OfflineAudioContext(1, 1, sampleRate)
      this.decoders.set(sampleRate, d)
    }
    return d
  }

  /** The decoded clip for `key`, fetching its bytes with `fetch` the first time. */
  get(key: string, fetch: () => Promise<FetchedAudio>): Promise<DecodedClip> {
    let p = this.clips.get(key)
    if (!p) {
      p = fetch()
        .then((a) => decodeAudio(this.decoder(a.sampleRate), a.bytes))
        .then((buffer) => {
          const mono = monoMix(buffer)
          let spec: MelSpectrogram | null = null
          return {
            key,
            buffer,
            loudness: bufferLoudness(buffer),
            mono,
            spectrogram: () => (spec ??= logMelSpectrogram(mono, buffer.sampleRate))
          }
        })
      p.catch(() => this.clips.delete(key))
      this.clips.set(key, p)
    }
    return p
  }
}
