/**
 * The demo's "original tracks": one synthesiser render per clip, written as a GTZAN-like folder
 * (`genres/<genre>/<genre>.000TT.wav`, 16-bit mono 22,050 Hz). While each track is at hand, the clip the
 * events pick from it is cut exactly as the pipeline cuts it (formats/audio cutExcerpt: 2 s fades, RMS
 * normalised, from the 16-bit samples as read back) and described for the simulated subject: the built-in
 * embedding of the whole 15 s excerpt and its loudness per TR.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { cutExcerpt, encodeWav, gtzanName, parseWav } from '../formats/audio'
import { BuiltinExtractor } from '../features'
import { type DemoDesign } from './design'
import { renderInPool } from './render-pool'
import { GENRES, renderClip } from './synth'

export const STIMULUS_SAMPLE_RATE = 22050

export interface StimulusFeatures {
  /** Clip ids, in design order. */
  clipIds: string[]
  /** Built-in embedding dimension (296). */
  dim: number
  /** clips x dim, the embedding of each 15 s excerpt (one window). */
  embeddings: Float32Array
  /** TRs per clip (10). */
  trsPerClip: number
  /** clips x trsPerClip, RMS level of the excerpt in each TR, dB re full scale. */
  loudness: Float32Array
  extractor: Record<string, unknown>
}

export interface StimuliResult {
  dir: string
  files: string[]
  bytes: number
  features: StimulusFeatures
}

export interface StimuliOptions {
  onProgress?: (fraction: number, message: string) => void
  isCancelled?: () => boolean
}

/** Path of a clip's original track under the stimuli folder. */
export function trackPath(dir: string, genre: string, track: number): string {
  return join(dir, 'genres', genre, `${gtzanName(genre, track)}.wav`)
}

const README = [
  'Brain2Music Lab demo: synthetic "original tracks" in GTZAN\'s layout (genres/<genre>/<genre>.000TT.wav).',
  '',
  "Every file is rendered by the project's own seeded synthesiser (src-main/demo/synth); no GTZAN audio is used.",
  'The BIDS events (start, end) pick a 15 s excerpt of each track, as ds003720 does with GTZAN.',
  ''
].join('\n')

/** One clip's work, the same in the main thread and in a render worker. */
export interface StimulusTask {
  genre: string
  seed: number
  track: number
  trackSeconds: number
  start: number
  end: number
  tr: number
  trsPerClip: number
  /** Only for messages. */
  path: string
}

export interface StimulusRender {
  wav: Uint8Array
  embedding: Float32Array
  loudness: Float32Array
}

/**
 * Renders a clip's original track as 16-bit WAV, then describes the excerpt exactly as the pipeline will
 * cut it from that file: its built-in embedding and its loudness per TR.
 */
export function renderStimulus(t: StimulusTask, extractor: BuiltinExtractor): StimulusRender {
  const rendered = renderClip({
    genre: t.genre,
    seed: t.seed,
    seconds: t.trackSeconds,
    sampleRate: STIMULUS_SAMPLE_RATE
  })
  const wav = encodeWav({ sampleRate: rendered.sampleRate, channels: [rendered.samples] })
  // what the pipeline will read: the 16-bit samples, cut and normalised as ds003720 did
  const audio = parseWav(wav, t.path)
  const excerpt = cutExcerpt(audio, t.start, t.end, { file: t.path })
  const x = excerpt.channels[0]
  const emb = extractor.embedWindowsSync(x)
  if (emb.times.length !== 1 || emb.dim !== extractor.dim)
    throw new B2mError('internal', `embedding of ${t.path}: ${emb.times.length} windows of ${emb.dim}`)
  const loudness = new Float32Array(t.trsPerClip)
  const perTr = Math.round(t.tr * excerpt.sampleRate)
  for (let k = 0; k < t.trsPerClip; k++) {
    let s = 0
    const a = k * perTr
    const b = Math.min(x.length, a + perTr)
    for (let i = a; i < b; i++) s += x[i] * x[i]
    const rms = Math.sqrt(s / Math.max(1, b - a))
    loudness[k] = 20 * Math.log10(Math.max(rms, 1e-5))
  }
  return { wav, embedding: emb.data, loudness }
}

export async function writeStimuli(dir: string, design: DemoDesign, opts: StimuliOptions = {}): Promise<StimuliResult> {
  for (const g of GENRES) mkdirSync(join(dir, 'genres', g), { recursive: true })
  writeFileSync(join(dir, 'README.txt'), README)
  const extractor = new BuiltinExtractor()
  if (extractor.sampleRate !== STIMULUS_SAMPLE_RATE)
    throw new B2mError(
      'internal',
      `built-in extractor runs at ${extractor.sampleRate} Hz, the demo at ${STIMULUS_SAMPLE_RATE}`
    )
  const n = design.clips.length
  const dim = extractor.dim
  const trsPerClip = Math.round(design.clipSeconds / design.tr)
  const embeddings = new Float32Array(n * dim)
  const loudness = new Float32Array(n * trsPerClip)
  const files = new Array<string>(n)
  let bytes = 0
  const tasks: StimulusTask[] = design.clips.map((clip) => ({
    genre: clip.genre,
    seed: clip.seed,
    track: clip.track,
    trackSeconds: design.trackSeconds,
    start: clip.start,
    end: clip.end,
    tr: design.tr,
    trsPerClip,
    path: trackPath(dir, clip.genre, clip.track)
  }))
  let done = 0
  // renders run in worker threads (one per core); results land by index, so the files do not depend on it
  await renderInPool(
    tasks,
    (c, r) => {
      const t = tasks[c]
      writeFileSync(t.path, r.wav)
      files[c] = t.path
      bytes += r.wav.length
      embeddings.set(r.embedding, c * dim)
      loudness.set(r.loudness, c * trsPerClip)
      done++
      opts.onProgress?.(done / n, `rendered ${gtzanName(t.genre, t.track)} (${done}/${n})`)
    },
    opts.isCancelled
  )
  opts.onProgress?.(1, `${n} tracks rendered`)
  return {
    dir,
    files,
    bytes,
    features: {
      clipIds: design.clips.map((c) => c.id),
      dim,
      embeddings,
      trsPerClip,
      loudness,
      extractor: extractor.describe()
    }
  }
}
