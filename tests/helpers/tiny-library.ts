/**
 * A tiny music library for decode tests: a few clips per genre rendered by the demo synthesiser
 * (src-main/demo/synth), written as 16-bit WAV under <dir>/<genre>/<genre>-N.wav and embedded with the
 * built-in extractor through the real library code.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Core } from '../../src-main/api/core'
import { renderClip } from '../../src-main/demo/synth'
import { encodeWav } from '../../src-main/formats/audio'
import { addLibrary, SILENT_IO } from '../../src-main/music'

export const TINY_SR = 22050

export interface TinyLibrary {
  id: number
  name: string
  folder: string
  /** Relative paths, in the order written: genre by genre. */
  files: { path: string; genre: string; samples: Float32Array }[]
}

export async function makeTinyLibrary(
  core: Core,
  folder: string,
  opts: { name: string; genres: string[]; perGenre: number; seconds: number; seed?: number }
): Promise<TinyLibrary> {
  const files: TinyLibrary['files'] = []
  for (const genre of opts.genres)
    for (let i = 0; i < opts.perGenre; i++) {
      const clip = renderClip({ genre, seed: (opts.seed ?? 11) * 1000 + i, seconds: opts.seconds, sampleRate: TINY_SR })
      mkdirSync(join(folder, genre), { recursive: true })
      const path = `${genre}/${genre}-${i}.wav`
      const wav = encodeWav({ sampleRate: TINY_SR, channels: [clip.samples] })
      writeFileSync(join(folder, ...path.split('/')), wav)
      // what a reader gets back from the 16-bit file
      const back = new Float32Array(clip.samples.length)
      for (let k = 0; k < back.length; k++) {
        const q = Math.max(-32768, Math.min(32767, Math.round(clip.samples[k] * 32768)))
        back[k] = q / 32768
      }
      files.push({ path, genre, samples: back })
    }
  const r = await addLibrary(
    core.workspace,
    { folder, name: opts.name, extractor: 'builtin', seconds: opts.seconds },
    SILENT_IO
  )
  return { id: r.id, name: r.name, folder, files }
}
