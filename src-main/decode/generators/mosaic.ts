/**
 * The mosaic generator: concatenative synthesis from the k library clips nearest the embedding (exact
 * cosine, CosineIndex). Each clip is cut into beat-length units — tempo from the built-in extractor's
 * onset autocorrelation, beat phase where the onset envelope is strongest — and units are laid end to
 * end with equal-power (sin/cos) crossfades. A seeded draw picks which neighbour plays each phrase
 * (4 units), favouring the nearest; within a neighbour its units follow in order, so phrases stay musical.
 */
import { B2mError } from '../../common/errors'
import { DEFAULT_PARAMS, frameFeatures } from '../../features/builtin/frames'
import { builtinNames, poolWindow } from '../../features/builtin/pool'
import type { SessionManager } from '../../onnx/sessions'
import { CosineIndex } from '../retrieval'
import {
  checkEmbedding,
  checkOptions,
  libraryItemPath,
  limitPeak,
  readItemAudio,
  uniform,
  type LibraryMatrix
} from './library'
import type { GenerateOptions, Generator } from './types'

export const MOSAIC_PARAMS = {
  version: 1,
  /** Neighbours drawn on. */
  k: 4,
  /** Units per phrase (one neighbour per phrase). */
  phrase: 4,
  /** Crossfade length in seconds (at most a quarter of a unit). */
  crossfade: 0.03,
  /** Neighbour weights ∝ exp(score / temperature). */
  temperature: 0.05,
  /** Tempo used when a clip has no clear pulse. */
  fallbackBpm: 120,
  /** Fade at the clip's very start and end, seconds. */
  edgeFade: 0.01
} as const

const M = MOSAIC_PARAMS
const ANALYSIS_RATE = DEFAULT_PARAMS.sampleRate
const NAMES = builtinNames(DEFAULT_PARAMS.nMels, DEFAULT_PARAMS.nMfcc, DEFAULT_PARAMS.contrastBands + 1)
const TEMPO_DIM = NAMES.indexOf('tempo_log2_rel120')
const CLARITY_DIM = NAMES.indexOf('pulse_clarity')

export interface BeatAnalysis {
  bpm: number
  /** Beat boundaries in seconds from the clip's start (ascending). */
  beats: Float64Array
}

/** Tempo and beat grid of a mono signal at 22,050 Hz, by the built-in extractor's rhythm code. */
export function analyseBeats(x: Float32Array): BeatAnalysis {
  const ff = frameFeatures(x, DEFAULT_PARAMS)
  const pooled = new Float32Array(NAMES.length)
  poolWindow(ff, DEFAULT_PARAMS.nMfcc, DEFAULT_PARAMS.contrastBands + 1, 0, ff.frames, pooled, 0)
  const clear = pooled[CLARITY_DIM] > 0 && pooled[TEMPO_DIM] !== 0
  const bpm = clear ? 120 * 2 ** pooled[TEMPO_DIM] : M.fallbackBpm
  const period = (60 * ff.frameRate) / bpm // frames per beat
  // phase: the offset whose beat grid collects the most onset strength
  let bestPhase = 0
  let best = -Infinity
  for (let ph = 0; ph < Math.ceil(period); ph++) {
    let s = 0
    let n = 0
    for (let t = ph; t < ff.frames; t += period) {
      s += ff.onset[Math.round(t)] ?? 0
      n++
    }
    if (n > 0 && s / n > best) {
      best = s / n
      bestPhase = ph
    }
  }
  const beats: number[] = []
  for (let t = bestPhase; t < ff.frames; t += period) beats.push(t / ff.frameRate)
  return { bpm, beats: Float64Array.from(beats) }
}

interface Source {
  row: number
  itemId: number
  path: string
  score: number
  audio: Float32Array
  /** Unit boundaries in samples at the output rate: unit u is [bounds[u], bounds[u+1]). */
  bounds: Int32Array
  bpm: number
}

export interface MosaicUnit {
  itemId: number
  row: number
  srcStart: number
  dstStart: number
  length: number
}

export interface MosaicResult {
  samples: Float32Array
  units: MosaicUnit[]
  neighbours: { itemId: number; row: number; path: string; score: number; bpm: number }[]
}

export class MosaicGenerator implements Generator {
  readonly id = 'mosaic'
  readonly dim: number
  private readonly index: CosineIndex
  private readonly cache = new Map<string, Source>()

  constructor(
    private readonly matrix: LibraryMatrix,
    private readonly sessions?: SessionManager
  ) {
    this.dim = matrix.dim
    this.index = CosineIndex.fromLibrary(Float32Array.from(matrix.data), matrix.rows, matrix.dim)
  }

  describe(): Record<string, unknown> {
    return { method: 'mosaic', params: MOSAIC_PARAMS, librarySeconds: this.matrix.seconds }
  }

  async dispose(): Promise<void> {
    this.cache.clear()
  }

  async generate(embedding: Float32Array, opts: GenerateOptions): Promise<Float32Array> {
    return (await this.compose(embedding, opts)).samples
  }

  private async source(row: number, score: number, sampleRate: number): Promise<Source> {
    const key = `${row}@${sampleRate}`
    const hit = this.cache.get(key)
    if (hit) return { ...hit, score }
    const { lib, items, seconds } = this.matrix
    const item = items[row]
    const analysisAudio = await readItemAudio(lib, item, seconds, ANALYSIS_RATE)
    const audio = sampleRate === ANALYSIS_RATE ? analysisAudio : await readItemAudio(lib, item, seconds, sampleRate)
    const { beats, bpm } = analyseBeats(analysisAudio)
    const bounds = Int32Array.from(beats, (b) => Math.round(b * sampleRate))
    const src: Source = { row, itemId: item.id, path: libraryItemPath(lib, item), score, audio, bounds, bpm }
    if (this.cache.size >= 32) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(key, src)
    return src
  }

  /** The clip and how it was made (which library units went where). */
  async compose(embedding: Float32Array, opts: GenerateOptions): Promise<MosaicResult> {
    checkOptions(opts)
    checkEmbedding('mosaic', embedding, this.dim)
    const sr = opts.sampleRate
    const k = Math.min(M.k, this.matrix.rows)
    const found = await this.index.query(embedding, 1, { k, sessions: this.sessions })
    const maxFade = Math.max(2, Math.round(M.crossfade * sr))
    const sources: Source[] = []
    for (let i = 0; i < found.k; i++) {
      const s = await this.source(found.indices[i], found.scores[i], sr)
      // usable units: with a crossfade's worth of audio after them
      if (usableUnits(s, maxFade) > 0) sources.push(s)
    }
    if (sources.length === 0)
      throw new B2mError(
        'bad_request',
        `none of the ${found.k} nearest library clips is long enough for a beat-length unit (${Array.from(
          found.indices,
          (r) => this.matrix.items[r].path
        ).join(', ')})`,
        this.matrix.lib.root
      )
    // one crossfade length for every joint (equal power needs the same length on both sides)
    let shortest = Infinity
    for (const s of sources)
      for (let u = 0; u < usableUnits(s, maxFade); u++) shortest = Math.min(shortest, s.bounds[u + 1] - s.bounds[u])
    const fade = Math.max(1, Math.min(maxFade, Math.floor(shortest / 4)))
    const rand = uniform(opts.seed ^ 0x3a05a1c)
    const top = sources[0].score
    const weights = sources.map((s) => Math.exp((s.score - top) / M.temperature))
    const total = weights.reduce((a, b) => a + b, 0)
    const pick = (): number => {
      let u = rand() * total
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i]
        if (u < 0) return i
      }
      return weights.length - 1
    }
    const n = Math.round(opts.seconds * sr)
    const out = new Float32Array(n)
    const cursor = new Int32Array(sources.length)
    const units: MosaicUnit[] = []
    let pos = 0
    let current = 0
    for (let slot = 0; pos < n; slot++) {
      if (slot % M.phrase === 0) current = pick()
      const s = sources[current]
      const u = cursor[current]
      cursor[current] = (u + 1) % usableUnits(s, maxFade)
      const a = s.bounds[u]
      const len = s.bounds[u + 1] - a
      const f = fade
      // unit samples [a, a + len + f): fade in over the first f (not for the first unit), out over the last f
      for (let i = 0; i < len + f && pos + i < n; i++) {
        let g = 1
        if (slot > 0 && i < f) g = Math.sin((Math.PI / 2) * ((i + 0.5) / f))
        else if (i >= len) g = Math.cos((Math.PI / 2) * ((i - len + 0.5) / f))
        out[pos + i] += g * s.audio[a + i]
      }
      units.push({ itemId: s.itemId, row: s.row, srcStart: a, dstStart: pos, length: len })
      pos += len
    }
    const edge = Math.min(Math.round(M.edgeFade * sr), Math.floor(n / 2))
    for (let i = 0; i < edge; i++) {
      const g = (i + 0.5) / edge
      out[i] *= g
      out[n - 1 - i] *= g
    }
    limitPeak(out)
    return {
      samples: out,
      units,
      neighbours: sources.map((s) => ({ itemId: s.itemId, row: s.row, path: s.path, score: s.score, bpm: s.bpm }))
    }
  }
}

/** Units of a source that have a crossfade's worth of audio after them. */
function usableUnits(s: Source, fade: number): number {
  let u = 0
  while (u + 1 < s.bounds.length && s.bounds[u + 1] + fade <= s.audio.length && s.bounds[u + 1] > s.bounds[u]) u++
  return u
}
