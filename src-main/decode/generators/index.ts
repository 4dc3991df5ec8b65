/**
 * Generators behind one contract (embedding in, mono audio out, seeded): `spectral` (ridge map to
 * log-mel + Griffin-Lim), `mosaic` (beat units of the nearest library clips), `onnx:<name>` (a model
 * folder) and `musicgen` (transformers.js from a local folder).
 */
import type { Library } from '../../catalogue'
import { B2mError } from '../../common/errors'
import { findLibrary, resolveModelDir } from '../../music'
import { SessionManager } from '../../onnx/sessions'
import type { Workspace } from '../../workspace'
import { loadLibraryMatrix } from './library'
import { MosaicGenerator } from './mosaic'
import { createMusicgenGenerator } from './musicgen'
import { OnnxGenerator } from './onnx'
import { createSpectralGenerator } from './spectral'
import { createHash } from 'node:crypto'
import type { Generator, GeneratorContext, LibrarySpace } from './types'

export * from './types'
export { loadLibraryMatrix, readItemAudio, libraryItemPath, type LibraryMatrix } from './library'
export { MosaicGenerator, MOSAIC_PARAMS, analyseBeats, type MosaicResult, type MosaicUnit } from './mosaic'
export { OnnxGenerator, GeneratorManifest, readGeneratorManifest, seededNormal, noiseSeed } from './onnx'
export { SPECTRAL_PARAMS, logMelFrames, pooledLogMel, spectralMap } from './spectral'
export { checkMusicgenFolder, MUSICGEN_FILES, MUSICGEN_FOLDER, promptFor } from './musicgen'
export { griffinLim, melPseudoInverse } from './griffin-lim'

export const METHOD_PATTERN = /^(spectral|mosaic|musicgen|onnx:[A-Za-z0-9][A-Za-z0-9._-]{0,99})$/

/**
 * The generator for `method` over `library` (name, id or record). ONNX folders need no library for the
 * audio, but the library still fixes the embedding space, so its dimension must match the model's.
 */
export async function createGenerator(
  ws: Workspace,
  method: string,
  library: string | number | Library,
  ctx: Partial<GeneratorContext> & { space?: LibrarySpace } = {}
): Promise<Generator> {
  if (!METHOD_PATTERN.test(method))
    throw new B2mError(
      'bad_request',
      `unknown generation method "${method}": use spectral, mosaic, onnx:<model folder> or musicgen`
    )
  const lib = typeof library === 'object' ? library : findLibrary(ws, library)
  const raw = loadLibraryMatrix(ws, lib)
  const space = ctx.space
  if (space && space.data.length !== raw.rows * space.dim)
    throw new B2mError(
      'bad_request',
      `the library space "${space.id}" has ${space.data.length} values, not ${raw.rows} rows x ${space.dim}`
    )
  const matrix = space
    ? {
        ...raw,
        data: space.data,
        dim: space.dim,
        sha256: createHash('sha256').update(`${raw.sha256}\0${space.id}`).digest('hex')
      }
    : raw
  const own = ctx.sessions === undefined
  // CUDA first when present (ONNX generators), else CPU: the manager's default preference
  const sessions = ctx.sessions ?? new SessionManager()
  const full: GeneratorContext = {
    sessions,
    ...(ctx.progress ? { progress: ctx.progress } : {}),
    ...(ctx.log ? { log: ctx.log } : {}),
    ...(ctx.cancelled ? { cancelled: ctx.cancelled } : {})
  }
  const release = async (g: Generator): Promise<Generator> =>
    own
      ? {
          id: g.id,
          dim: g.dim,
          describe: () => g.describe(),
          generate: (e, o) => g.generate(e, o),
          dispose: async () => {
            await g.dispose()
            await sessions.dispose()
          }
        }
      : g
  try {
    if (method === 'spectral') return await release(await createSpectralGenerator(ws, matrix, full))
    if (method === 'mosaic') return await release(new MosaicGenerator(matrix, sessions))
    if (method === 'musicgen') return await release(await createMusicgenGenerator(ws.root, matrix, sessions))
    const name = method.slice('onnx:'.length)
    const gen = await OnnxGenerator.load(resolveModelDir(ws.root, name), sessions, name)
    if (gen.dim !== matrix.dim)
      throw new B2mError(
        'bad_request',
        `generator onnx:${name} takes ${gen.dim}-d embeddings but library "${lib.name}" is ${matrix.dim}-d (${lib.extractor})`,
        gen.modelPath
      )
    return await release(gen)
  } catch (err) {
    if (own) await sessions.dispose()
    throw err
  }
}
