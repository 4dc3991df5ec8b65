/**
 * `b2m demo`: the whole pipeline on the embedded demo study, through the same code a lab's data goes
 * through — generate the study if absent, import its BIDS folder, preprocess, attach the stimuli, embed
 * them, embed the library, train a decoder and an encoding model, evaluate, retrieve, generate, report —
 * then check the results against the simulation's known ground truth.
 *
 * Re-running reuses what is already there (the generated study, unchanged runs, a feature set or library
 * of the same name and parameters) and trains new models, which come out identical.
 */
import { join, resolve } from 'node:path'
import type { DemoCheck, DemoRunResult } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { DEFAULT_SEED, DEMO_SUBJECT, generateDemo, readGroundTruth, ROLE_HESCHL, ROLE_STG } from '../demo'
import { importBids } from '../import/bids-import'
import { preprocessSubject, type PreprocessParams } from '../import/preprocess'
import { addLibrary, attachStimuli, computeFeatureSet, findLibrary } from '../music'
import { trainDecoder, trainEncoding } from '../train'
import type { Workspace } from '../workspace'
import { retrieveForModel } from './decode'
import { generateForModel } from './generate'
import { chromiumCortexShooter } from './cortex-shot'
import { writeSubjectReport } from './report'
import { Stages, type PipelineIo } from './stages'

export interface DemoRunParams {
  folder?: string
  quick?: boolean
  seed?: number
  report?: string
  generate?: string[]
  screenshot?: boolean
}

/**
 * The demo's settings: the paper's pipeline on whole 15 s clips (the simulation drives voxels by clip),
 * embeddings PCA-reduced to MuLan's 128 dimensions (32 in the quick design, whose 80 training clips
 * cannot give 128 components).
 */
export const demoFeatureSet = (quick: boolean) => ({
  name: `demo-builtin-pca${quick ? 32 : 128}`,
  pca: quick ? 32 : 128
})
export const DEMO_LIBRARY = 'demo-library'
export const DEMO_TOP_K = 5
const PREPROCESS: Omit<PreprocessParams, 'subject'> = {
  shift: 3,
  detrend: 'median:240',
  grid: 'clip',
  window: 15,
  step: 15
}
/** Best encoding voxels checked against the simulated auditory regions. */
const BEST_VOXELS = 50

const WEIGHTS = {
  generate: 30,
  import: 8,
  preprocess: 3,
  attach: 3,
  features: 6,
  library: 3,
  decoder: 10,
  encoder: 10,
  retrieve: 2,
  generateClips: 6,
  report: 6
}

export function demoFolder(ws: Workspace, params: DemoRunParams): string {
  return resolve(params.folder ?? join(ws.root, 'demo'))
}

export async function runDemo(ws: Workspace, params: DemoRunParams, io: PipelineIo): Promise<DemoRunResult> {
  const quick = params.quick ?? false
  const seed = params.seed ?? DEFAULT_SEED
  const folder = demoFolder(ws, params)
  const stages = new Stages(io, WEIGHTS)
  const subject = DEMO_SUBJECT

  const demo = await stages.run('generate', 'generating the demo study', (s) =>
    generateDemo(folder, { quick, seed, onProgress: (f, m) => s.progress(f, m), isCancelled: s.cancelled })
  )
  if (demo.generated) io.log('info', `demo study written to ${folder}`)
  else io.log('info', `using the demo study already in ${folder}`)

  await stages.run('import', 'importing the BIDS data set', (s) => importBids(ws, { path: demo.paths.bids }, s))
  const pre = await stages.run('preprocess', 'preprocessing', (s) =>
    preprocessSubject(ws, { subject, ...PREPROCESS }, s)
  )
  await stages.run('attach', 'attaching the stimulus audio', async (s) => {
    const r = await attachStimuli(ws, { folder: join(demo.paths.stimuli, 'genres') }, s)
    if (r.missing.length > 0)
      throw new B2mError('failed', `${r.missing.length} demo stimuli have no audio (${r.missing[0].key})`, folder)
    return r
  })
  const featureSet = await stages.run('features', 'embedding the stimuli', (s) => ensureFeatureSet(ws, quick, s))
  await stages.run('library', 'embedding the music library', (s) =>
    addLibrary(ws, { folder: demo.paths.library, name: DEMO_LIBRARY, extractor: 'builtin', seconds: 15, window: 15 }, s)
  )
  const decoder = await stages.run('decoder', 'training the decoder (fMRI -> embedding)', (s) =>
    trainDecoder(ws, { subject, featureSet, preprocessing: pre.id, seed }, s)
  )
  const encoder = await stages.run('encoder', 'training the encoding model (embedding -> voxels)', (s) =>
    trainEncoding(ws, { subject, featureSet, preprocessing: pre.id, seed }, s)
  )
  const retrieval = await stages.run('retrieve', 'retrieving library clips', (s) =>
    retrieveForModel(ws, { model: decoder.modelId, library: DEMO_LIBRARY, top: DEMO_TOP_K }, s)
  )
  const methods = params.generate ?? ['spectral', 'mosaic']
  // retrieval covers every test clip; generation, slower, the first test clip of each genre
  const perGenre = new Map<string, number>()
  for (const r of retrieval.results) if (r.genre !== null && !perGenre.has(r.genre)) perGenre.set(r.genre, r.stimulusId)
  const generated = await stages.run('generateClips', 'generating music from the predictions', async (s) => {
    let n = 0
    for (const [i, method] of methods.entries()) {
      const r = await generateForModel(
        ws,
        { model: decoder.modelId, method, library: DEMO_LIBRARY, seed, stimuli: [...perGenre.values()] },
        { ...s, progress: (f, m) => s.progress((i + f) / methods.length, m) }
      )
      n += r.clips.length
    }
    return n
  })

  const truth = readGroundTruth(demo.paths.groundTruth)
  const checks: DemoCheck[] = []
  const idThreshold = quick ? 0.7 : 0.8
  checks.push({
    name: 'identification accuracy',
    passed: (decoder.identification ?? 0) >= idThreshold,
    value: decoder.identification ?? 0,
    threshold: idThreshold,
    detail: `decoder ${decoder.modelId} on the test clips (chance 0.5)`
  })
  if (encoder.mapId !== null) {
    const c = bestVoxelsCheck(ws, encoder.mapId, truth.roles)
    checks.push(c)
  }

  const report = resolve(params.report ?? join(folder, 'report.html'))
  const written = await stages.run('report', 'writing the report', (s) =>
    writeSubjectReport(
      ws,
      { subject, out: report, screenshot: params.screenshot ?? true, checks, title: 'Brain2Music Lab demo study' },
      s,
      params.screenshot === false ? undefined : chromiumCortexShooter(ws, (t) => s.log('info', t))
    )
  )
  for (const c of checks)
    io.log(
      c.passed ? 'info' : 'warn',
      `check ${c.passed ? 'passed' : 'FAILED'}: ${c.name} ${c.value.toFixed(3)} (needs >= ${c.threshold})`
    )
  const lib = findLibrary(ws, DEMO_LIBRARY)
  return {
    folder,
    quick,
    seed,
    subject,
    featureSet,
    library: lib.name,
    decoderId: decoder.modelId,
    encoderId: encoder.modelId,
    mapId: encoder.mapId,
    identification: decoder.identification ?? 0,
    chance: 0.5,
    oracle: written.oracle,
    genreAgreement: retrieval.genreAgreement,
    genreAgreementChance: retrieval.genreAgreementChance,
    topK: DEMO_TOP_K,
    meanTestR: decoder.meanTestR,
    clips: { retrieved: retrieval.clips, generated },
    report,
    cortexShot: written.cortexShot,
    checks,
    seconds: stages.seconds
  }
}

/** The demo's feature set: whole-clip built-in embeddings, z-scored and PCA-reduced. */
async function ensureFeatureSet(ws: Workspace, quick: boolean, io: PipelineIo): Promise<string> {
  const { name, pca } = demoFeatureSet(quick)
  const wanted = { extractor: 'builtin', window: 15, step: 15, pca, normalise: true }
  const existing = ws.catalogue.featureSets.getByName(name)
  if (existing) {
    const p = existing.params
    const same = existing.extractor === wanted.extractor && p.window === 15 && p.step === 15 && p.pca === pca
    if (!same)
      throw new B2mError(
        'conflict',
        `a feature set named "${name}" with other parameters is in the workspace; delete it or use another workspace`
      )
    io.log('info', `feature set "${name}" is already there`)
    return name
  }
  await computeFeatureSet(ws, { name, ...wanted }, io)
  return name
}

/**
 * Of the encoding model's best voxels (held-out r), the share inside the simulated auditory regions
 * (transverse and superior temporal): the map must find where the simulation put the signal.
 */
function bestVoxelsCheck(ws: Workspace, mapId: number, roles: Uint8Array): DemoCheck {
  const map = ws.catalogue.maps.get(mapId)
  if (!map || map.arrayId === null) throw new B2mError('internal', `map ${mapId} has no stored volume`)
  // volume maps are stored [Z, Y, X] in NIfTI voxel order, as the ground truth's roles
  const values = ws.readArray(map.arrayId).data as Float32Array
  if (values.length !== roles.length)
    throw new B2mError('internal', `encoding map has ${values.length} voxels, the ground truth ${roles.length}`)
  const order = Array.from(values.keys())
    .filter((i) => Number.isFinite(values[i]))
    .sort((a, b) => values[b] - values[a])
    .slice(0, BEST_VOXELS)
  const inside = order.filter((i) => roles[i] === ROLE_HESCHL || roles[i] === ROLE_STG).length
  const share = order.length ? inside / order.length : 0
  return {
    name: 'best encoding voxels in auditory cortex',
    passed: share >= 0.9,
    value: share,
    threshold: 0.9,
    detail: `${inside} of the ${order.length} voxels with the highest held-out r lie in the simulated transverse/superior temporal regions`
  }
}
