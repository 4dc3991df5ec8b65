/**
 * The demo's music library: genre-styled tracks the subject never heard (seeds disjoint from the
 * stimuli's), so retrieval of a test clip's predicted embedding has to find music of the right kind
 * rather than the clip itself — as the paper searched FMA, which holds no GTZAN track.
 *
 *   <dir>/<genre>/<genre>.lib.000NN.wav   16-bit mono 22,050 Hz, `seconds` long
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { encodeWav } from '../formats/audio'
import { STIMULUS_SAMPLE_RATE } from './stimuli'
import { GENRES, hash32, renderClip } from './synth'

export interface DemoLibraryOptions {
  seed: number
  perGenre: number
  seconds: number
  onProgress?: (fraction: number, message: string) => void
  isCancelled?: () => boolean
}

const README = [
  'Brain2Music Lab demo: a music library for retrieval and generation (<genre>/<genre>.lib.000NN.wav).',
  '',
  "Every file is rendered by the project's own seeded synthesiser (src-main/demo/synth) from seeds that",
  'no stimulus uses: the library holds music of each genre, never the clips the subject heard.',
  ''
].join('\n')

export function libraryTrackName(genre: string, i: number): string {
  return `${genre}.lib.${String(i).padStart(5, '0')}.wav`
}

export async function writeDemoLibrary(dir: string, o: DemoLibraryOptions): Promise<{ files: number; bytes: number }> {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'README.txt'), README)
  const n = GENRES.length * o.perGenre
  let bytes = 0
  let done = 0
  for (let i = 0; i < o.perGenre; i++)
    for (const genre of GENRES) {
      if (o.isCancelled?.()) throw new B2mError('failed', 'demo generation cancelled')
      o.onProgress?.(done / n, `rendering library track ${done + 1}/${n}`)
      const rendered = renderClip({
        genre,
        seed: hash32(o.seed, 'library', genre, i) & 0x7fffffff,
        seconds: o.seconds,
        sampleRate: STIMULUS_SAMPLE_RATE
      })
      mkdirSync(join(dir, genre), { recursive: true })
      const wav = encodeWav({ sampleRate: rendered.sampleRate, channels: [rendered.samples] })
      writeFileSync(join(dir, genre, libraryTrackName(genre, i)), wav)
      bytes += wav.length
      done++
      // renders are synchronous and long: let progress and cancellation through
      await new Promise<void>((r) => setImmediate(r))
    }
  o.onProgress?.(1, `${n} library tracks rendered`)
  return { files: n, bytes }
}
