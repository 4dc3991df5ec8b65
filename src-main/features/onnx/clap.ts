/**
 * CLAP (LAION, HTSAT audio tower, unfused; Xenova/clap-htsat-unfused on the Hugging Face hub): 512-d,
 * 48 kHz, 10 s. Runs through @huggingface/transformers from a local folder with remote models turned off.
 * The dependency is not installed yet; this module checks the folder and says exactly what is missing.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../../common/errors'

export const CLAP_MODEL_ID = 'Xenova/clap-htsat-unfused'
export const CLAP_FOLDER = 'clap-htsat-unfused'
export const CLAP_SAMPLE_RATE = 48000
export const CLAP_WINDOW_SECONDS = 10
export const CLAP_DIM = 512

export interface ClapFolderCheck {
  ok: boolean
  dir: string
  /** The audio tower's ONNX file when found. */
  audioModel?: string
  missing: string[]
  /** What to do, in words, when something is missing. */
  message: string
}

/** Checks `<modelsRoot>/clap-htsat-unfused/` for the files transformers.js needs for the audio tower. */
export function checkClapFolder(modelsRoot: string): ClapFolderCheck {
  const dir = join(modelsRoot, CLAP_FOLDER)
  const candidates = ['onnx/audio_model.onnx', 'onnx/audio_model_quantized.onnx', 'onnx/model.onnx']
  const audioModel = candidates.map((c) => join(dir, c)).find((p) => existsSync(p))
  const missing: string[] = []
  if (!audioModel) missing.push('onnx/audio_model.onnx (or onnx/model.onnx)')
  for (const f of ['config.json', 'preprocessor_config.json']) if (!existsSync(join(dir, f))) missing.push(f)
  const ok = missing.length === 0
  const message = ok
    ? `CLAP model folder ${dir} is complete`
    : `CLAP model files are missing from ${dir}: ${missing.join(', ')}. Download them from https://huggingface.co/${CLAP_MODEL_ID} ` +
      `(files onnx/audio_model.onnx, config.json, preprocessor_config.json) and place them as ${dir}/onnx/audio_model.onnx, ` +
      `${dir}/config.json and ${dir}/preprocessor_config.json; remote model downloads are turned off.`
  return { ok, dir, audioModel, missing, message }
}

/**
 * Loads the CLAP audio encoder. Today: validates the folder (not_found with the list of files to place)
 * and reports that @huggingface/transformers is not installed.
 */
export async function loadClap(modelsRoot: string): Promise<never> {
  const check = checkClapFolder(modelsRoot)
  if (!check.ok) throw new B2mError('not_found', check.message, check.dir)
  const moduleName = '@huggingface/transformers'
  try {
    await import(/* @vite-ignore */ moduleName)
  } catch {
    throw new B2mError(
      'failed',
      `${moduleName} is not installed: CLAP embeddings need it (the model files in ${check.dir} are in place)`,
      check.dir
    )
  }
  throw new B2mError('failed', `CLAP through ${moduleName} is not wired yet (see features/onnx/clap.ts)`, check.dir)
}
