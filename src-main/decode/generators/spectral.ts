/**
 * The spectral generator: a ridge map (src-main/ridge, one alpha per target by CV) from a library's
 * embeddings to the log-mel spectrogram of each library clip's first seconds, learnt once per library
 * and extractor and kept in the workspace (arrays under decode/spectral/), then inverted to audio by the
 * mel pseudo-inverse and fast Griffin-Lim from a seeded random phase.
 *
 * Targets are log-mel frames pooled over `pool` STFT frames (~93 ms): 15 s of 64 bands is ~10,000
 * targets, which keeps the fit cheap; generation interpolates them back to the STFT frame rate.
 */
import { createHash } from 'node:crypto'
import { B2mError } from '../../common/errors'
import { applyMel, frameCountFor, melFilterBank, powerSpectrogram } from '../../features/builtin/dsp'
import { slug } from '../../music/files'
import { ridgeFit, RidgeCancelled } from '../../ridge'
import type { Workspace } from '../../workspace'
import { griffinLim, melPseudoInverse, melToMagnitude } from './griffin-lim'
import { checkEmbedding, checkOptions, limitPeak, readItemAudio, type LibraryMatrix } from './library'
import { resampleChannel } from '../../formats/audio'
import type { GenerateOptions, Generator, GeneratorContext } from './types'

export const SPECTRAL_PARAMS = {
  version: 1,
  sampleRate: 22050,
  nFft: 2048,
  hop: 512,
  nMels: 64,
  /** STFT frames averaged into one target frame. */
  pool: 4,
  iterations: 32,
  momentum: 0.99,
  /** log-mel floor: 10 log10(max(mel power, 1e-8)). */
  floorDb: -80,
  /** At most this many library items (evenly spaced rows) are decoded to learn the map. */
  maxItems: 2000
} as const

const P = SPECTRAL_PARAMS

/** Log-mel (dB) of a mono signal at P.sampleRate: frames x nMels, float64. */
export function logMelFrames(x: Float32Array): { data: Float64Array; frames: number } {
  const bank = melFilterBank(P.sampleRate, P.nFft, P.nMels)
  const { power, frames, bins } = powerSpectrogram(x, { nFft: P.nFft, hop: P.hop, center: true })
  const out = new Float64Array(frames * P.nMels)
  for (let t = 0; t < frames; t++) {
    applyMel(bank, power, t * bins, out, t * P.nMels)
    for (let b = 0; b < P.nMels; b++) {
      const i = t * P.nMels + b
      out[i] = 10 * Math.log10(Math.max(out[i], 10 ** (P.floorDb / 10)))
    }
  }
  return { data: out, frames }
}

/** Target frames of a clip of `seconds`. */
export function pooledFrames(seconds: number): number {
  const n = Math.round(seconds * P.sampleRate)
  return Math.ceil(frameCountFor(n, { nFft: P.nFft, hop: P.hop, center: true }) / P.pool)
}

/** The pooled log-mel target of one clip (zero-padded or cut to `seconds`): pooled x nMels, float32. */
export function pooledLogMel(x: Float32Array, seconds: number): Float32Array {
  const n = Math.round(seconds * P.sampleRate)
  const sig = x.length === n ? x : new Float32Array(n)
  if (sig !== x) sig.set(x.subarray(0, Math.min(n, x.length)))
  const { data, frames } = logMelFrames(sig)
  const tm = Math.ceil(frames / P.pool)
  const out = new Float32Array(tm * P.nMels)
  for (let q = 0; q < tm; q++) {
    const a = q * P.pool
    const b = Math.min(frames, a + P.pool)
    for (let m = 0; m < P.nMels; m++) {
      let s = 0
      for (let t = a; t < b; t++) s += data[t * P.nMels + m]
      out[q * P.nMels + m] = s / (b - a)
    }
  }
  return out
}

/** Rows used to learn the map: all, or `maxItems` evenly spaced ones. */
function learningRows(rows: number): Int32Array {
  const n = Math.min(rows, P.maxItems)
  return Int32Array.from({ length: n }, (_, i) => Math.floor((i * rows) / n))
}

/** What the cached map depends on: the embeddings, the files behind them, the seconds and these params. */
function mapKey(m: LibraryMatrix): string {
  const h = createHash('sha256')
  h.update(JSON.stringify({ embeddings: m.sha256, seconds: m.seconds, extractor: m.lib.extractor, params: P }))
  for (const it of m.items) h.update(`${it.path}\0${it.size}\0${it.mtimeMs}\n`)
  return h.digest('hex').slice(0, 16)
}

export interface SpectralMap {
  weights: Float32Array
  intercept: Float32Array
  dim: number
  targets: number
  /** Target frames (targets / nMels). */
  frames: number
  seconds: number
  relPaths: string[]
  key: string
  learnt: boolean
}

/** The map of a library: read from the workspace when cached, else learnt and stored there. */
export async function spectralMap(ws: Workspace, m: LibraryMatrix, ctx: GeneratorContext): Promise<SpectralMap> {
  const key = mapKey(m)
  const dir = `decode/spectral/${slug(m.lib.name)}-${key}`
  const wRel = `${dir}/weights.npy`
  const bRel = `${dir}/intercept.npy`
  const frames = pooledFrames(m.seconds)
  const targets = frames * P.nMels
  const cached = ws.catalogue.arrays.byPath(wRel) && ws.catalogue.arrays.byPath(bRel)
  if (cached) {
    const w = ws.readArray(wRel, { verify: true })
    const b = ws.readArray(bRel, { verify: true })
    if (w.shape[0] !== m.dim || w.shape[1] !== targets || b.shape[0] !== targets)
      throw new B2mError(
        'failed',
        `cached spectral map has shape (${w.shape.join(', ')}), expected (${m.dim}, ${targets})`,
        ws.arrayPath(wRel)
      )
    return {
      weights: w.data as Float32Array,
      intercept: b.data as Float32Array,
      dim: m.dim,
      targets,
      frames,
      seconds: m.seconds,
      relPaths: [wRel, bRel],
      key,
      learnt: false
    }
  }
  const rows = learningRows(m.rows)
  const n = rows.length
  // cross-validation needs at least two folds of at least two held-out clips (a correlation over one is undefined)
  if (n < 4)
    throw new B2mError(
      'bad_request',
      `library "${m.lib.name}" has ${n} embedded item(s); the spectral generator learns from at least 4`,
      m.lib.root
    )
  const progress = ctx.progress ?? (() => {})
  const cancelled = ctx.cancelled ?? (() => false)
  const x = new Float32Array(n * m.dim)
  const y = new Float32Array(n * targets)
  for (let i = 0; i < n; i++) {
    if (cancelled()) throw new RidgeCancelled()
    const r = rows[i]
    x.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim)
    const audio = await readItemAudio(m.lib, m.items[r], m.seconds, P.sampleRate)
    y.set(pooledLogMel(audio, m.seconds), i * targets)
    progress((0.6 * (i + 1)) / n, `spectral map: log-mel of ${i + 1}/${n} library clips`)
  }
  const fit = await ridgeFit(x, [n, m.dim], y, [n, targets], {
    sessions: ctx.sessions,
    folds: Math.min(5, Math.floor(n / 2)),
    onProgress: (f, msg) => progress(0.6 + 0.35 * f, `spectral map: ${msg}`),
    shouldStop: cancelled
  })
  for (const w of fit.warnings) ctx.log?.('warn', `spectral map: ${w}`)
  if (cancelled()) throw new RidgeCancelled()
  try {
    const batch = ws.batch()
    batch.add(wRel, { dtype: 'float32', shape: [m.dim, targets], data: fit.weights }, 'spectral-map')
    batch.add(bRel, { dtype: 'float32', shape: [targets], data: fit.intercept }, 'spectral-map')
    batch.commit(() => undefined)
  } catch (err) {
    // another process learnt the same map meanwhile: use theirs
    if (!(ws.catalogue.arrays.byPath(wRel) && ws.catalogue.arrays.byPath(bRel))) throw err
  }
  progress(1, 'spectral map stored')
  return {
    weights: fit.weights,
    intercept: fit.intercept,
    dim: m.dim,
    targets,
    frames,
    seconds: m.seconds,
    relPaths: [wRel, bRel],
    key,
    learnt: true
  }
}

/** Predicted pooled log-mel (frames x nMels, float64) of an embedding. */
export function predictLogMel(map: SpectralMap, e: Float32Array): Float64Array {
  const t = map.targets
  const out = Float64Array.from(map.intercept)
  for (let j = 0; j < map.dim; j++) {
    const v = e[j]
    if (v === 0) continue
    const o = j * t
    for (let k = 0; k < t; k++) out[k] += v * map.weights[o + k]
  }
  return out
}

/** Audio of `seconds` from pooled log-mel frames: interpolated to STFT frames (looped past the end), inverted. */
export function renderLogMel(
  pooled: Float64Array,
  pooledCount: number,
  opts: { seed: number; seconds: number; iterations?: number }
): Float32Array {
  const n = Math.round(opts.seconds * P.sampleRate)
  const frames = frameCountFor(n, { nFft: P.nFft, hop: P.hop, center: true })
  const nm = P.nMels
  const melPower = new Float64Array(frames * nm)
  const span = pooledCount * P.pool
  for (let f = 0; f < frames; f++) {
    // pooled frame q is centred on STFT frame q*pool + (pool-1)/2; past the learnt length, loop
    const g = frames > span ? f % span : f
    const p = (g - (P.pool - 1) / 2) / P.pool
    const q0 = Math.max(0, Math.min(pooledCount - 1, Math.floor(p)))
    const q1 = Math.min(pooledCount - 1, q0 + 1)
    const w = Math.max(0, Math.min(1, p - q0))
    for (let b = 0; b < nm; b++) {
      const db = (1 - w) * pooled[q0 * nm + b] + w * pooled[q1 * nm + b]
      melPower[f * nm + b] = 10 ** (db / 10)
    }
  }
  const mag = melToMagnitude(melPower, frames, pinv(), nm)
  return griffinLim(mag, frames, {
    nFft: P.nFft,
    hop: P.hop,
    iterations: opts.iterations ?? P.iterations,
    momentum: P.momentum,
    seed: opts.seed,
    length: n
  })
}

let pinvCache: Float64Array | null = null
function pinv(): Float64Array {
  pinvCache ??= melPseudoInverse(melFilterBank(P.sampleRate, P.nFft, P.nMels), P.nFft / 2 + 1)
  return pinvCache
}

export async function createSpectralGenerator(
  ws: Workspace,
  matrix: LibraryMatrix,
  ctx: GeneratorContext
): Promise<Generator> {
  const map = await spectralMap(ws, matrix, ctx)
  return {
    id: 'spectral',
    dim: map.dim,
    describe: () => ({
      method: 'spectral',
      params: SPECTRAL_PARAMS,
      map: { key: map.key, arrays: map.relPaths, seconds: map.seconds, learntNow: map.learnt }
    }),
    async generate(embedding: Float32Array, opts: GenerateOptions): Promise<Float32Array> {
      checkOptions(opts)
      checkEmbedding('spectral', embedding, map.dim)
      const pooled = predictLogMel(map, embedding)
      let y = renderLogMel(pooled, map.frames, opts)
      if (opts.sampleRate !== P.sampleRate) {
        y = await resampleChannel(y, P.sampleRate, opts.sampleRate, 'medium')
        const want = Math.round(opts.seconds * opts.sampleRate)
        if (y.length !== want) {
          const z = new Float32Array(want)
          z.set(y.subarray(0, want))
          y = z
        }
      }
      limitPeak(y)
      return y
    },
    dispose: async () => {}
  }
}
