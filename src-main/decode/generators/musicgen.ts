/**
 * MusicGen (Meta; Xenova/musicgen-small on the Hugging Face hub, ONNX export for transformers.js) from a
 * local folder, prompted by text derived from the predicted embedding: the genres and titles of the
 * library items nearest to it. Remote downloads stay off; a missing folder or file is reported with the
 * list of files to place and where. Decoding is greedy, so the output does not depend on the seed.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../../common/errors'
import { modelsDirs } from '../../music/extractors'
import type { SessionManager } from '../../onnx/sessions'
import { resampleChannel } from '../../formats/audio'
import { CosineIndex } from '../retrieval'
import { checkEmbedding, checkOptions, limitPeak, type LibraryMatrix } from './library'
import type { GenerateOptions, Generator } from './types'

export const MUSICGEN_MODEL_ID = 'Xenova/musicgen-small'
export const MUSICGEN_FOLDER = 'musicgen-small'
/** Files transformers.js reads for text-to-audio with MusicGen (fp32 ONNX weights). */
export const MUSICGEN_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/text_encoder.onnx',
  'onnx/decoder_model_merged.onnx',
  'onnx/encodec_decode.onnx'
]
/** MusicGen's EnCodec runs at 50 frames (tokens) per second. */
const TOKENS_PER_SECOND = 50

export interface MusicgenFolderCheck {
  ok: boolean
  root: string
  dir: string
  missing: string[]
  message: string
}

/** Looks for models/musicgen-small/ (workspace first, then the app's) and lists what is missing. */
export function checkMusicgenFolder(workspaceRoot: string): MusicgenFolderCheck {
  const roots = modelsDirs(workspaceRoot)
  const root = roots.find((d) => existsSync(join(d, MUSICGEN_FOLDER))) ?? roots[0]
  const dir = join(root, MUSICGEN_FOLDER)
  const missing = MUSICGEN_FILES.filter((f) => !existsSync(join(dir, ...f.split('/'))))
  const ok = missing.length === 0
  const message = ok
    ? `MusicGen model folder ${dir} is complete`
    : `MusicGen model files are missing from ${dir}: ${missing.join(', ')}. Download them from ` +
      `https://huggingface.co/${MUSICGEN_MODEL_ID} and place them as ${MUSICGEN_FILES.map((f) => join(dir, ...f.split('/'))).join(', ')}; ` +
      'remote model downloads are turned off.'
  return { ok, root, dir, missing, message }
}

/** A text prompt from the library items nearest the embedding: their genres (by weight) and titles. */
export async function promptFor(
  matrix: LibraryMatrix,
  index: CosineIndex,
  embedding: Float32Array,
  sessions?: SessionManager
): Promise<{ prompt: string; neighbours: { itemId: number; score: number }[] }> {
  const k = Math.min(5, matrix.rows)
  const r = await index.query(embedding, 1, { k, sessions })
  const genres = new Map<string, number>()
  const titles: string[] = []
  const neighbours: { itemId: number; score: number }[] = []
  for (let i = 0; i < r.k; i++) {
    const item = matrix.items[r.indices[i]]
    neighbours.push({ itemId: item.id, score: r.scores[i] })
    if (item.genre) genres.set(item.genre, (genres.get(item.genre) ?? 0) + Math.max(0, r.scores[i]))
    if (item.title && titles.length < 2) titles.push(item.title)
  }
  const ranked = [...genres.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([g]) => g)
  let prompt = ranked.length > 0 ? `${ranked.slice(0, 2).join(' and ')} music` : 'instrumental music'
  if (titles.length > 0) prompt += `, in the style of ${titles.map((t) => `"${t}"`).join(' and ')}`
  return { prompt, neighbours }
}

interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string }
  AutoTokenizer: { from_pretrained(id: string, o?: Record<string, unknown>): Promise<(text: string) => object> }
  MusicgenForConditionalGeneration: {
    from_pretrained(
      id: string,
      o?: Record<string, unknown>
    ): Promise<{
      config: { audio_encoder?: { sampling_rate?: number } }
      generate(o: Record<string, unknown>): Promise<{ data: Float32Array }>
      dispose?(): Promise<unknown>
    }>
  }
}

export async function createMusicgenGenerator(
  workspaceRoot: string,
  matrix: LibraryMatrix,
  sessions?: SessionManager
): Promise<Generator> {
  const check = checkMusicgenFolder(workspaceRoot)
  if (!check.ok) throw new B2mError('not_found', check.message, check.dir)
  const moduleName = '@huggingface/transformers'
  let tf: TransformersModule
  try {
    tf = (await import(/* @vite-ignore */ moduleName)) as TransformersModule
  } catch {
    throw new B2mError(
      'failed',
      `${moduleName} is not installed: MusicGen generation needs it (npm install ${moduleName}); the model files in ${check.dir} are in place`,
      check.dir
    )
  }
  tf.env.allowRemoteModels = false
  tf.env.allowLocalModels = true
  tf.env.localModelPath = check.root
  const tokenizer = await tf.AutoTokenizer.from_pretrained(MUSICGEN_FOLDER, { local_files_only: true })
  const model = await tf.MusicgenForConditionalGeneration.from_pretrained(MUSICGEN_FOLDER, {
    local_files_only: true,
    dtype: 'fp32'
  })
  const rate = model.config.audio_encoder?.sampling_rate ?? 32000
  const index = CosineIndex.fromLibrary(Float32Array.from(matrix.data), matrix.rows, matrix.dim)
  let lastPrompt: string | null = null
  return {
    id: 'musicgen',
    dim: matrix.dim,
    describe: () => ({
      method: 'musicgen',
      model: MUSICGEN_MODEL_ID,
      folder: check.dir,
      sampleRate: rate,
      decoding: 'greedy (the seed does not change the output)',
      prompt: lastPrompt
    }),
    async generate(embedding: Float32Array, opts: GenerateOptions): Promise<Float32Array> {
      checkOptions(opts)
      checkEmbedding('musicgen', embedding, matrix.dim)
      const { prompt } = await promptFor(matrix, index, embedding, sessions)
      lastPrompt = prompt
      const out = await model.generate({
        ...tokenizer(prompt),
        max_new_tokens: Math.ceil(opts.seconds * TOKENS_PER_SECOND) + 3,
        do_sample: false,
        guidance_scale: 3
      })
      let y =
        rate === opts.sampleRate ? Float32Array.from(out.data) : await resampleChannel(out.data, rate, opts.sampleRate)
      const n = Math.round(opts.seconds * opts.sampleRate)
      if (y.length !== n) {
        const z = new Float32Array(n)
        z.set(y.subarray(0, n))
        y = z
      }
      limitPeak(y)
      return y
    },
    dispose: async () => {
      await model.dispose?.()
    }
  }
}
