/**
 * A listening aid: one WAV per genre, so a person can audition the synthesiser. The 16-bit PCM writer
 * here is deliberately tiny and self-contained (the project's full encoders live in formats/audio).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderClip, type ClipMeta } from './render'
import { GENRES, type Genre } from './styles'

/** Mono 16-bit PCM WAV bytes (samples clamped to [-1, 1]). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2)
  const v = new DataView(bytes.buffer)
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i)
  }
  ascii(0, 'RIFF')
  v.setUint32(4, 36 + samples.length * 2, true)
  ascii(8, 'WAVE')
  ascii(12, 'fmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, 1, true)
  v.setUint16(22, 1, true)
  v.setUint32(24, sampleRate, true)
  v.setUint32(28, sampleRate * 2, true)
  v.setUint16(32, 2, true)
  v.setUint16(34, 16, true)
  ascii(36, 'data')
  v.setUint32(40, samples.length * 2, true)
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i]))
    v.setInt16(44 + 2 * i, Math.round(x * 32767), true)
  }
  return bytes
}

export interface SamplerOptions {
  /** seeds to render per genre (default [1]) */
  seeds?: number[]
  seconds?: number
  sampleRate?: number
  genres?: readonly Genre[]
}

/** Writes `<genre>-<seed>.wav` for every genre and seed into `outDir`; returns what it wrote. */
export function renderGenreSampler(outDir: string, opts: SamplerOptions = {}): { file: string; meta: ClipMeta }[] {
  mkdirSync(outDir, { recursive: true })
  const written: { file: string; meta: ClipMeta }[] = []
  for (const genre of opts.genres ?? GENRES) {
    for (const seed of opts.seeds ?? [1]) {
      const clip = renderClip({ genre, seed, seconds: opts.seconds, sampleRate: opts.sampleRate })
      const file = join(outDir, `${genre}-${seed}.wav`)
      writeFileSync(file, encodeWav16(clip.samples, clip.sampleRate))
      written.push({ file, meta: clip.meta })
    }
  }
  return written
}
