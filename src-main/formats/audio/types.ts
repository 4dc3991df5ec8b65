/** Decoded audio: one Float32Array per channel, samples nominally in [-1, 1]. */
export interface AudioData {
  sampleRate: number
  channels: Float32Array[]
}

/** Number of sample frames (samples per channel). */
export function frameCount(audio: AudioData): number {
  return audio.channels.length ? audio.channels[0].length : 0
}

/** Duration in seconds. */
export function durationSeconds(audio: AudioData): number {
  return audio.sampleRate > 0 ? frameCount(audio) / audio.sampleRate : 0
}

/** The channel average (a copy even for mono input). */
export function toMono(audio: AudioData): Float32Array {
  const { channels } = audio
  if (channels.length === 0) return new Float32Array(0)
  if (channels.length === 1) return Float32Array.from(channels[0])
  const n = channels[0].length
  const out = new Float32Array(n)
  const scale = 1 / channels.length
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let c = 0; c < channels.length; c++) s += channels[c][i]
    out[i] = s * scale
  }
  return out
}

/** ITU-T G.711 mu-law byte -> linear sample in [-1, 1] (16-bit scale / 32768). */
export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff
  let t = ((u & 0x0f) << 3) + 0x84
  t <<= (u & 0x70) >> 4
  return ((u & 0x80) !== 0 ? 0x84 - t : t - 0x84) / 32768
}

/** ITU-T G.711 A-law byte -> linear sample in [-1, 1] (16-bit scale / 32768). */
export function alawToLinear(byte: number): number {
  const a = (byte ^ 0x55) & 0xff
  let t = (a & 0x0f) << 4
  const seg = (a & 0x70) >> 4
  if (seg === 0) t += 8
  else if (seg === 1) t += 0x108
  else t = (t + 0x108) << (seg - 1)
  return ((a & 0x80) !== 0 ? t : -t) / 32768
}

export const MULAW_TABLE = Float32Array.from({ length: 256 }, (_, i) => mulawToLinear(i))
export const ALAW_TABLE = Float32Array.from({ length: 256 }, (_, i) => alawToLinear(i))

/** Float sample -> signed integer of `bits` bits (scale 2^(bits-1), rounded, clamped). */
export function quantise(x: number, bits: number): number {
  const scale = 2 ** (bits - 1)
  const v = Math.round(x * scale)
  return v >= scale ? scale - 1 : v < -scale ? -scale : v
}
