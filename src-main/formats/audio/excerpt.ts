/**
 * Stimulus preparation as in the Music Genre fMRI Dataset (Nakai, Koide-Majima & Nishimoto; OpenNeuro
 * ds003720): a 15 s excerpt of a GTZAN track from a given start time, 2 s fade-in and fade-out, and the
 * excerpt normalised to a common RMS. And resolving GTZAN paths (`genre/genre.000TT.wav|au`).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../../common/errors'
import type { AudioData } from './types'
import { GTZAN_GENRES } from '../../common/genres'

export { GTZAN_GENRES }

export interface ExcerptOptions {
  /** Fade-in and fade-out length in seconds. Default 2. */
  fadeSeconds?: number
  /** 'linear' (default) or 'cosine' (raised-cosine) ramps. */
  fadeShape?: 'linear' | 'cosine'
  /** RMS of the finished excerpt (over all channels, after the fades). Default 0.1 (-20 dBFS); null keeps the level. */
  targetRms?: number | null
  /** Names the source in errors. */
  file?: string
}

export interface Excerpt extends AudioData {
  /** The gain applied for the RMS normalisation (1 when not normalised or silent). */
  gain: number
  /** Largest absolute sample after normalisation (> 1 means a fixed-point export would clip). */
  peak: number
  /** Seconds of silence appended because the source ended before `end`. */
  paddedSeconds: number
}

/** Cuts `start`..`end` seconds (default end: start + 15), fades both ends, normalises the RMS. */
export function cutExcerpt(
  audio: AudioData,
  start: number,
  end: number = start + 15,
  options: ExcerptOptions = {}
): Excerpt {
  const { sampleRate } = audio
  const fadeSeconds = options.fadeSeconds ?? 2
  const targetRms = options.targetRms === undefined ? 0.1 : options.targetRms
  const file = options.file
  if (!(start >= 0) || !(end > start)) throw new B2mError('bad_request', `invalid excerpt ${start}..${end} s`, file)
  if (!(fadeSeconds >= 0)) throw new B2mError('bad_request', `invalid fade length ${fadeSeconds} s`, file)
  const total = audio.channels.length ? audio.channels[0].length : 0
  const i0 = Math.round(start * sampleRate)
  const n = Math.round((end - start) * sampleRate)
  if (i0 >= total) {
    throw new B2mError(
      'bad_request',
      `excerpt starts at ${start} s but the audio lasts ${(total / sampleRate).toFixed(3)} s`,
      file
    )
  }
  const available = Math.min(n, total - i0)
  const fade = Math.min(Math.round(fadeSeconds * sampleRate), Math.floor(n / 2))
  const ramp = new Float64Array(fade)
  for (let i = 0; i < fade; i++) {
    const t = (i + 0.5) / fade
    ramp[i] = options.fadeShape === 'cosine' ? 0.5 - 0.5 * Math.cos(Math.PI * t) : t
  }
  const channels = audio.channels.map((src) => {
    const out = new Float32Array(n)
    for (let i = 0; i < available; i++) {
      let g = 1
      if (i < fade) g = ramp[i]
      else if (i >= n - fade) g = ramp[n - 1 - i]
      out[i] = src[i0 + i] * g
    }
    return out
  })
  let sum = 0
  let count = 0
  for (const c of channels) {
    for (let i = 0; i < n; i++) sum += c[i] * c[i]
    count += n
  }
  const rms = count ? Math.sqrt(sum / count) : 0
  const gain = targetRms !== null && rms > 0 ? targetRms / rms : 1
  let peak = 0
  for (const c of channels) {
    for (let i = 0; i < n; i++) {
      const v = c[i] * gain
      c[i] = v
      const a = Math.abs(v)
      if (a > peak) peak = a
    }
  }
  return { sampleRate, channels, gain, peak, paddedSeconds: (n - available) / sampleRate }
}

/** GTZAN's file stem: `genre.000TT` (five digits). */
export function gtzanName(genre: string, track: number): string {
  if (!Number.isInteger(track) || track < 0 || track > 99999)
    throw new B2mError('bad_request', `invalid GTZAN track number ${track}`)
  return `${genre}.${String(track).padStart(5, '0')}`
}

/** The places a GTZAN track may be, in order: `root/genre/genre.000TT.{wav,au}` (also under `genres/` or `genres_original/`). */
export function gtzanCandidates(root: string, genre: string, track: number): string[] {
  const stem = gtzanName(genre, track)
  const dirs = [join(root, genre), join(root, 'genres', genre), join(root, 'genres_original', genre)]
  return dirs.flatMap((d) => [join(d, `${stem}.wav`), join(d, `${stem}.au`)])
}

/** The path of a GTZAN track under `root`, or undefined when none of the candidate files exists. */
export function gtzanPath(root: string, genre: string, track: number): string | undefined {
  return gtzanCandidates(root, genre, track).find((p) => existsSync(p))
}

export interface GtzanListing {
  found: { genre: string; track: number; path: string }[]
  /** Tracks with no file; `expected` is where we looked first. */
  missing: { genre: string; track: number; expected: string }[]
}

/** Resolves many tracks at once and lists what is missing. */
export function listGtzan(root: string, tracks: readonly { genre: string; track: number }[]): GtzanListing {
  const out: GtzanListing = { found: [], missing: [] }
  for (const { genre, track } of tracks) {
    const path = gtzanPath(root, genre, track)
    if (path) out.found.push({ genre, track, path })
    else out.missing.push({ genre, track, expected: join(root, genre, `${gtzanName(genre, track)}.wav|au`) })
  }
  return out
}
