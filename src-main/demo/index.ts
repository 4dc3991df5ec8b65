/**
 * The embedded demo study: synthetic genre music and a simulated subject, written as a real BIDS data set
 * in ds003720's layout so it goes through the same importer as real data.
 *
 *   <root>/bids/           the BIDS data set (import this)
 *   <root>/stimuli/        GTZAN-like original tracks: genres/<genre>/<genre>.000TT.wav
 *   <root>/ground-truth/   the true encoding model, voxel roles and signals (see ground-truth.ts)
 *   <root>/library/        a music library of unheard genre tracks, for retrieval and generation
 *   <root>/demo.json       what was made, from which seed (deterministic: no timings, no dates)
 *
 * Everything follows from (seed, quick): the same arguments give byte-identical files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { B2mError } from '../common/errors'
import { surfaceLibrary, type SurfaceLibrary } from '../surface'
import { writeBids } from './bids'
import { DEFAULT_SEED, DEMO_SUBJECT, demoDesign, runLabel, type DemoDesignOptions } from './design'
import { writeGroundTruth } from './ground-truth'
import { writeDemoLibrary } from './library'
import { writeStimuli } from './stimuli'
import { buildAnatomy, buildEncodingModel, buildNoise, ROLE_HESCHL } from './subject'

export * from './design'
export { eventsTsv, boldSidecar, writeBids, DEMO_DATASET_NAME } from './bids'
export { readGroundTruth, writeGroundTruth, TRUTH_FORMAT, type GroundTruth, type TruthJson } from './ground-truth'
export { writeDemoLibrary, libraryTrackName } from './library'
export { writeStimuli, trackPath, STIMULUS_SAMPLE_RATE, type StimulusFeatures } from './stimuli'
export {
  buildAnatomy,
  buildEncodingModel,
  buildNoise,
  canonicalHrf,
  clipDrive,
  simulateRun,
  voxelCentre,
  DEMO_GRID,
  ROLE_NAMES,
  ROLE_OUTSIDE,
  ROLE_BRAIN,
  ROLE_CORTEX,
  ROLE_STG,
  ROLE_HESCHL,
  ROLE_CSF,
  type DemoAnatomy,
  type DemoGrid,
  type EncodingModel,
  type VoxelNoise
} from './subject'

/** Bumped whenever the generator's output changes for the same seed. */
export const DEMO_VERSION = 2
export const MANIFEST_FORMAT = 'b2m-demo/1'

export interface GenerateDemoOptions extends Omit<DemoDesignOptions, 'seed'> {
  seed?: number
  /** Library tracks per genre (default 20; quick 5), `librarySeconds` long (default 15). */
  libraryPerGenre?: number
  librarySeconds?: number
  /** Whitened PCA components driving the voxels (default 16). */
  components?: number
  /** gzip level of the BOLD images (default 6). */
  gzipLevel?: number
  /** Regenerate even when `root` already holds this demo. */
  force?: boolean
  onProgress?: (fraction: number, message: string) => void
  isCancelled?: () => boolean
  /** Surface library (tests may pass their own); default the shared one. */
  surfaces?: SurfaceLibrary
}

export interface DemoPaths {
  root: string
  bids: string
  stimuli: string
  groundTruth: string
  library: string
  manifest: string
}

export interface DemoSummary {
  format: typeof MANIFEST_FORMAT
  version: number
  seed: number
  quick: boolean
  subject: string
  tr: number
  volumes: number
  trackSeconds: number
  runs: { task: string; run: number; label: string; bold: string; events: string; bytes: number }[]
  clips: { train: number; test: number; presentations: number }
  grid: { shape: [number, number, number]; voxelMm: number; affine: number[][] }
  voxels: Record<string, number> & { auditory: number }
  /** The correlation with the true signal the noise leaves, over the auditory voxels. */
  rTarget: { heschlMean: number; stgMean: number; max: number; above03: number }
  components: number
  library: { perGenre: number; seconds: number; files: number }
  bytes: { bids: number; stimuli: number; groundTruth: number; library: number }
}

export interface GenerateDemoResult {
  paths: DemoPaths
  summary: DemoSummary
  /** False when `root` already held this demo and nothing was generated. */
  generated: boolean
  /** Seconds per stage (absent when nothing was generated). */
  seconds?: { stimuli: number; library: number; model: number; groundTruth: number; bold: number; total: number }
}

export function demoPaths(root: string): DemoPaths {
  const r = resolve(root)
  return {
    root: r,
    bids: join(r, 'bids'),
    stimuli: join(r, 'stimuli'),
    groundTruth: join(r, 'ground-truth'),
    library: join(r, 'library'),
    manifest: join(r, 'demo.json')
  }
}

/** The summary of the demo in `root`, or null when there is none (or it is unreadable). */
export function readDemo(root: string): DemoSummary | null {
  const p = demoPaths(root).manifest
  if (!existsSync(p)) return null
  try {
    const s = JSON.parse(readFileSync(p, 'utf8')) as DemoSummary
    return s.format === MANIFEST_FORMAT ? s : null
  } catch {
    return null
  }
}

function bytesUnder(dir: string): number {
  let n = 0
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size
  return n
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)

/**
 * Generates the demo study into `root` (created; must be absent, empty, or hold a demo). When `root`
 * already holds the demo of the same seed, mode and version, returns it without work (unless `force`).
 * Writes into a sibling temporary folder renamed into place at the end: a failure or a cancellation
 * leaves nothing behind.
 */
export async function generateDemo(root: string, options: GenerateDemoOptions = {}): Promise<GenerateDemoResult> {
  const paths = demoPaths(root)
  const seed = options.seed ?? DEFAULT_SEED
  const design = demoDesign({ ...options, seed })
  const libraryPerGenre = options.libraryPerGenre ?? (design.quick ? 5 : 20)
  const librarySeconds = options.librarySeconds ?? 15
  const existing = readDemo(paths.root)
  if (
    existing &&
    !options.force &&
    existing.version === DEMO_VERSION &&
    existing.seed === seed &&
    existing.quick === design.quick &&
    existing.runs.length === design.runs.length &&
    existing.trackSeconds === design.trackSeconds &&
    existing.components === (options.components ?? 16) &&
    existing.library?.perGenre === libraryPerGenre &&
    existing.library?.seconds === librarySeconds
  ) {
    options.onProgress?.(1, 'the demo study is already there')
    return { paths, summary: existing, generated: false }
  }
  if (existsSync(paths.root)) {
    if (!statSync(paths.root).isDirectory()) throw new B2mError('bad_request', 'demo folder is a file', paths.root)
    if (!existing && readdirSync(paths.root).length > 0)
      throw new B2mError(
        'conflict',
        'the folder is not empty and holds no demo study; choose another folder',
        paths.root
      )
  }
  mkdirSync(dirname(paths.root), { recursive: true })
  const tmp = join(dirname(paths.root), `.${basename(paths.root)}.partial-${process.pid}-${Date.now().toString(36)}`)
  const tp = demoPaths(tmp)
  const progress = options.onProgress ?? (() => undefined)
  const stage =
    (a: number, b: number) =>
    (f: number, m: string): void =>
      progress(a + (b - a) * f, m)
  const clock = () => performance.now() / 1000
  try {
    mkdirSync(tp.root, { recursive: true })
    const t0 = clock()
    const stim = await writeStimuli(tp.stimuli, design, {
      onProgress: stage(0, 0.5),
      isCancelled: options.isCancelled
    })
    const tLib = clock()
    const lib = await writeDemoLibrary(tp.library, {
      seed,
      perGenre: libraryPerGenre,
      seconds: librarySeconds,
      onProgress: stage(0.5, 0.6),
      isCancelled: options.isCancelled
    })
    const t1 = clock()
    progress(0.6, 'building the simulated subject')
    const anatomy = buildAnatomy(options.surfaces ?? surfaceLibrary(), seed)
    const model = buildEncodingModel(anatomy, design, stim.features, seed, { components: options.components })
    const noise = buildNoise(anatomy, model, seed)
    const t2 = clock()
    progress(0.63, 'writing the ground truth')
    await writeGroundTruth(tp.groundTruth, {
      design,
      subject: DEMO_SUBJECT,
      anatomy,
      model,
      noise,
      stim: stim.features
    })
    const t3 = clock()
    const bids = await writeBids(tp.bids, design, anatomy, model, noise, {
      onProgress: stage(0.65, 0.99),
      isCancelled: options.isCancelled,
      gzipLevel: options.gzipLevel
    })
    const t4 = clock()
    const rel = (p: string) =>
      p
        .slice(tp.root.length + 1)
        .split('\\')
        .join('/')
    const heschl: number[] = []
    const stg: number[] = []
    model.voxels.forEach((v, j) => (anatomy.roles[v] === ROLE_HESCHL ? heschl : stg).push(model.rTarget[j]))
    const all = Array.from(model.rTarget)
    const summary: DemoSummary = {
      format: MANIFEST_FORMAT,
      version: DEMO_VERSION,
      seed,
      quick: design.quick,
      subject: DEMO_SUBJECT,
      tr: design.tr,
      volumes: design.volumes,
      trackSeconds: design.trackSeconds,
      runs: bids.runs.map((r) => ({
        task: r.task,
        run: r.run,
        label: runLabel(r),
        bold: rel(r.bold),
        events: rel(r.events),
        bytes: statSync(r.bold).size
      })),
      clips: {
        train: design.clips.filter((c) => c.role === 'train').length,
        test: design.clips.filter((c) => c.role === 'test').length,
        presentations: design.runs.length * design.runs[0].events.length
      },
      grid: anatomy.grid,
      voxels: { ...anatomy.counts, auditory: model.voxels.length },
      rTarget: {
        heschlMean: mean(heschl),
        stgMean: mean(stg),
        max: Math.max(...all),
        above03: all.filter((r) => r >= 0.3).length
      },
      components: model.k,
      library: { perGenre: libraryPerGenre, seconds: librarySeconds, files: lib.files },
      bytes: {
        bids: bytesUnder(tp.bids),
        stimuli: stim.bytes,
        groundTruth: bytesUnder(tp.groundTruth),
        library: lib.bytes
      }
    }
    writeFileSync(tp.manifest, JSON.stringify(summary, null, 2) + '\n')
    if (options.isCancelled?.()) throw new B2mError('failed', 'demo generation cancelled')
    if (existsSync(paths.root)) rmSync(paths.root, { recursive: true, force: true })
    renameSync(tp.root, paths.root)
    progress(1, 'demo study ready')
    return {
      paths,
      summary,
      generated: true,
      seconds: {
        stimuli: tLib - t0,
        library: t1 - tLib,
        model: t2 - t1,
        groundTruth: t3 - t2,
        bold: t4 - t3,
        total: clock() - t0
      }
    }
  } catch (err) {
    rmSync(tp.root, { recursive: true, force: true })
    throw err
  }
}
