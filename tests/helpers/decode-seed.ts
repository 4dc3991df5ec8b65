/**
 * A small decoded workspace, made in-process through the real core's functions (the ones the jobs run),
 * with parameters validated by the contract's job schemas: the mini
 * ds003720 imported, stimulus audio attached from a GTZAN-like folder, built-in embeddings of whole
 * clips, a preprocessing, a ridge decoder, a music library of synthetic tracks at two loudness levels
 * (so level matching has something to match), the decoder's top-k retrievals from it and, when the
 * generator works, spectral clips. Used by the playback end-to-end test.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateForModel } from '../../src-main/decode/generate-clips'
import { GTZAN_GENRES, encodeWav } from '../../src-main/formats/audio'
import { importBids } from '../../src-main/import/bids-import'
import { preprocessSubject } from '../../src-main/import/preprocess'
import { addLibrary, attachStimuli, computeFeatureSet, listStimuli } from '../../src-main/music'
import { retrieveForModel } from '../../src-main/pipeline/decode'
import { trainDecoder } from '../../src-main/train'
import { Workspace } from '../../src-main/workspace'
import { JobRequest, type StimulusInfo } from '../../src-preload/api'
import { writeMiniDs003720 } from './mini-bids'

export const SEED_SR = 22050

/** A deterministic genre-styled signal: a pitched tone with the genre's tempo, an overtone, a little noise. */
export function genreSynth(genre: string, track: number, seconds: number, amp = 1, sr = SEED_SR): Float32Array {
  const g = Math.max(0, GTZAN_GENRES.indexOf(genre as (typeof GTZAN_GENRES)[number]))
  const f0 = 110 * 2 ** ((g * 3 + (track % 7)) / 12)
  const tempo = 1.2 + 0.35 * g
  let seed = (g * 1000 + track) * 2654435761
  const x = new Float32Array(Math.round(seconds * sr))
  for (let i = 0; i < x.length; i++) {
    const t = i / sr
    seed = (seed * 1664525 + 1013904223) >>> 0
    const env = 0.55 + 0.45 * Math.sin(2 * Math.PI * tempo * t)
    x[i] =
      amp *
      (0.3 * Math.sin(2 * Math.PI * f0 * t) * env +
        0.08 * Math.sin(2 * Math.PI * 2.01 * f0 * t) +
        0.02 * (seed / 2 ** 32 - 0.5))
  }
  return x
}

export interface DecodeSeed {
  workspace: string
  decoderId: number
  library: string
  /** Test stimuli with audio. */
  testStimuli: StimulusInfo[]
  /** Library files by loudness: amplitude 1 ("loud") and 0.1 ("quiet"). */
  loud: string[]
  quiet: string[]
  generated: boolean
  log: string[]
}

/** A job's parameters with the contract's defaults filled in, as the job runner would pass them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const params = (kind: string, p: Record<string, unknown>): any => JobRequest.parse({ kind, params: p }).params

export async function seedDecodeWorkspace(dir: string, opts: { generate?: boolean } = {}): Promise<DecodeSeed> {
  const data = join(dir, 'ds')
  const gtzan = join(dir, 'gtzan')
  const libDir = join(dir, 'library')
  const workspace = join(dir, 'ws')
  await writeMiniDs003720(data)
  const ws = Workspace.open(workspace)
  const log: string[] = []
  const io = {
    progress: () => {},
    log: (level: string, text: string) => {
      if (level === 'warn' || level === 'error') log.push(text)
    },
    cancelled: () => false
  }
  try {
    await importBids(ws, params('import.bids', { path: data }), io)
    for (const s of listStimuli(ws)) {
      if (!s.genre || !s.track) continue
      const track = Number(s.track)
      mkdirSync(join(gtzan, s.genre), { recursive: true })
      const x = genreSynth(s.genre, track, Math.max(30, (s.end ?? 15) + 0.5))
      writeFileSync(
        join(gtzan, s.genre, `${s.genre}.${String(track).padStart(5, '0')}.wav`),
        encodeWav({ sampleRate: SEED_SR, channels: [x] })
      )
    }
    await attachStimuli(ws, params('stimuli.attach', { folder: gtzan }), io)
    await computeFeatureSet(
      ws,
      params('features.compute', { name: 'clips', extractor: 'builtin', window: 15, step: 15, pca: 16 }),
      io
    )
    await preprocessSubject(ws, params('preprocess', { subject: 'sub-001', grid: 'clip', window: 15, step: 15 }), io)
    const trained = await trainDecoder(
      ws,
      params('train.decoder', { subject: 'sub-001', featureSet: 'clips', folds: 3, seed: 1 }),
      io
    )
    // The library: two tracks per genre, one loud and one quiet (20 dB apart).
    const loud: string[] = []
    const quiet: string[] = []
    for (const genre of GTZAN_GENRES) {
      mkdirSync(join(libDir, genre), { recursive: true })
      for (const [k, amp] of [
        [50, 1],
        [51, 0.1]
      ] as const) {
        const rel = `${genre}/${genre}.lib${k}.wav`
        writeFileSync(join(libDir, rel), encodeWav({ sampleRate: SEED_SR, channels: [genreSynth(genre, k, 16, amp)] }))
        ;(amp === 1 ? loud : quiet).push(rel)
      }
    }
    await addLibrary(
      ws,
      params('library.add', { folder: libDir, name: 'seed-library', extractor: 'builtin', seconds: 15 }),
      io
    )
    await retrieveForModel(
      ws,
      params('decode.retrieve', { model: trained.modelId, library: 'seed-library', top: 3 }),
      io
    )
    let generated = false
    if (opts.generate !== false) {
      try {
        await generateForModel(
          ws,
          params('generate.clips', { model: trained.modelId, method: 'spectral', library: 'seed-library', seed: 1 }),
          io
        )
        generated = true
      } catch (err) {
        log.push(`generate.clips spectral: ${(err as Error).message}`)
      }
    }
    const after: StimulusInfo[] = listStimuli(ws)
    return {
      workspace,
      decoderId: trained.modelId,
      library: 'seed-library',
      testStimuli: after.filter((s) => s.role === 'test' && s.audio),
      loud,
      quiet,
      generated,
      log
    }
  } finally {
    ws.close()
  }
}
