/**
 * The demo's ground truth, saved beside the BIDS data set so the pipeline (and its tests) can check
 * themselves: which voxels carry stimulus signal, their true weights and signals, and the stimulus
 * features that made them. Arrays are .npy (numpy opens them), volumes NIfTI on the BOLD grid.
 *
 *   truth.json                 what is where (format b2m-demo-truth/1)
 *   roles.nii.gz, roles.npy    uint8 per voxel: 0 outside, 1 brain, 2 cortex, 3 STG, 4 Heschl, 5 CSF (.npy: [Z, Y, X])
 *   r_target.nii.gz            float32: the correlation with the true signal the noise leaves (auditory voxels)
 *   voxels.npy                 int32 [V]: linear indices (x fastest) of the auditory voxels
 *   voxel_ijk.npy              int32 [V, 3]
 *   weights.npy                float32 [V, k]: unit-norm weights on the whitened PCA features
 *   loudness_weight.npy, r_target.npy, amplitude.npy (BOLD units), signal_scale.npy   float32 [V]
 *   clip_embeddings.npy        float32 [clips, 296]: built-in embedding of each excerpt
 *   clip_features.npy          float32 [clips, k]: whitened PCA features (z-score + PCA fitted on training clips)
 *   clip_signal.npy            float32 [clips, V]: each voxel's true per-clip drive (before the HRF, unit-scaled)
 *   clip_loudness.npy          float32 [clips, TRs per clip]: z-scored loudness per TR
 *   features.json + .npy       the FeatureTransform (features/transform.ts)
 *   signals/<run>.npy          float32 [volumes, V]: each voxel's true stimulus-driven signal in that run
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { readNpy, writeNpy } from '../formats/npy'
import { writeNifti } from '../formats/nifti'
import { FeatureTransform } from '../features'
import { runLabel, type DemoDesign } from './design'
import type { StimulusFeatures } from './stimuli'
import { clipDrive, ROLE_NAMES, type DemoAnatomy, type DemoGrid, type EncodingModel, type VoxelNoise } from './subject'

export const TRUTH_FORMAT = 'b2m-demo-truth/1'

export interface TruthJson {
  format: typeof TRUTH_FORMAT
  seed: number
  quick: boolean
  subject: string
  grid: DemoGrid
  roles: string[]
  counts: Record<string, number>
  k: number
  clips: { id: string; genre: string; track: number; start: number; end: number; role: 'train' | 'test' }[]
  runs: { task: string; run: number; label: string; signal: string }[]
  auditoryVoxels: number
  files: Record<string, string>
  notes: string[]
}

export interface GroundTruth {
  dir: string
  json: TruthJson
  roles: Uint8Array
  voxels: Int32Array
  weights: Float32Array
  rTarget: Float32Array
  amplitude: Float32Array
  clipEmbeddings: Float32Array
  clipFeatures: Float32Array
  clipSignal: Float32Array
  /** Loaded on demand. */
  signal(label: string): Float32Array
  transform(): FeatureTransform
}

export async function writeGroundTruth(
  dir: string,
  parts: {
    design: DemoDesign
    subject: string
    anatomy: DemoAnatomy
    model: EncodingModel
    noise: VoxelNoise
    stim: StimulusFeatures
  }
): Promise<string> {
  const { design, anatomy, model, noise, stim } = parts
  mkdirSync(join(dir, 'signals'), { recursive: true })
  const grid = anatomy.grid
  const [X, Y] = grid.shape
  const nv = model.voxels.length
  const nClips = design.clips.length
  const f32 = (shape: number[], data: Float32Array) => ({ dtype: 'float32' as const, shape, data })

  const ijk = new Int32Array(nv * 3)
  model.voxels.forEach((v, j) => {
    ijk[3 * j] = v % X
    ijk[3 * j + 1] = Math.floor(v / X) % Y
    ijk[3 * j + 2] = Math.floor(v / (X * Y))
  })
  const amplitude = new Float32Array(nv)
  anatomy.brain.forEach((_, b) => {
    const j = noise.auditory[b]
    if (j >= 0) amplitude[j] = noise.amplitude[b]
  })
  const clipSignal = new Float32Array(nClips * nv)
  for (let c = 0; c < nClips; c++)
    for (let j = 0; j < nv; j++) clipSignal[c * nv + j] = clipDrive(model, c, j) * model.signalScale[j]

  writeNpy(join(dir, 'roles.npy'), { dtype: 'uint8', shape: [grid.shape[2], Y, X], data: anatomy.roles })
  writeNpy(join(dir, 'voxels.npy'), { dtype: 'int32', shape: [nv], data: model.voxels })
  writeNpy(join(dir, 'voxel_ijk.npy'), { dtype: 'int32', shape: [nv, 3], data: ijk })
  writeNpy(join(dir, 'weights.npy'), f32([nv, model.k], model.weights))
  writeNpy(join(dir, 'loudness_weight.npy'), f32([nv], model.loudnessWeight))
  writeNpy(join(dir, 'r_target.npy'), f32([nv], model.rTarget))
  writeNpy(join(dir, 'amplitude.npy'), f32([nv], amplitude))
  writeNpy(join(dir, 'signal_scale.npy'), f32([nv], model.signalScale))
  writeNpy(join(dir, 'clip_embeddings.npy'), f32([nClips, stim.dim], stim.embeddings))
  writeNpy(join(dir, 'clip_features.npy'), f32([nClips, model.k], model.clipFeatures))
  writeNpy(join(dir, 'clip_signal.npy'), f32([nClips, nv], clipSignal))
  writeNpy(join(dir, 'clip_loudness.npy'), f32([nClips, model.trsPerClip], model.loudness))
  model.transform.save(dir, 'features')
  const runs = design.runs.map((r, i) => {
    const label = runLabel(r)
    const rel = `signals/${label}.npy`
    writeNpy(join(dir, rel), f32([design.volumes, nv], model.signals[i]))
    return { task: r.task, run: r.run, label, signal: rel }
  })
  const volume = { dims: [...grid.shape], affine: grid.affine }
  await writeNifti(join(dir, 'roles.nii.gz'), { ...volume, data: anatomy.roles, descrip: 'b2m demo voxel roles' })
  const rMap = new Float32Array(anatomy.roles.length)
  model.voxels.forEach((v, j) => (rMap[v] = model.rTarget[j]))
  await writeNifti(join(dir, 'r_target.nii.gz'), { ...volume, data: rMap, descrip: 'b2m demo target r' })

  const json: TruthJson = {
    format: TRUTH_FORMAT,
    seed: design.seed,
    quick: design.quick,
    subject: parts.subject,
    grid,
    roles: [...ROLE_NAMES],
    counts: anatomy.counts,
    k: model.k,
    clips: design.clips.map((c) => ({
      id: c.id,
      genre: c.genre,
      track: c.track,
      start: c.start,
      end: c.end,
      role: c.role
    })),
    runs,
    auditoryVoxels: nv,
    files: {
      roles: 'roles.nii.gz',
      rolesNpy: 'roles.npy',
      rTargetMap: 'r_target.nii.gz',
      voxels: 'voxels.npy',
      voxelIjk: 'voxel_ijk.npy',
      weights: 'weights.npy',
      loudnessWeight: 'loudness_weight.npy',
      rTarget: 'r_target.npy',
      amplitude: 'amplitude.npy',
      signalScale: 'signal_scale.npy',
      clipEmbeddings: 'clip_embeddings.npy',
      clipFeatures: 'clip_features.npy',
      clipSignal: 'clip_signal.npy',
      clipLoudness: 'clip_loudness.npy',
      transform: 'features.json'
    },
    notes: [
      'Auditory voxels are the rows of voxels.npy (roles 3 and 4); every other voxel carries no stimulus signal.',
      'BOLD = baseline + amplitude * signal + AR(1) noise + shared noise + drifts; signals/<run>.npy are unit-variance over all runs.',
      'clip_signal = clip_features . weights^T * signal_scale: the per-clip drive the clip-level response of a voxel follows.',
      `Embedding: ${JSON.stringify(stim.extractor)} of each 15 s excerpt (2 s fades, RMS 0.1), one window.`
    ]
  }
  const path = join(dir, 'truth.json')
  writeFileSync(path, JSON.stringify(json, null, 2) + '\n')
  return path
}

/** Loads a demo's ground truth (the folder holding truth.json). */
export function readGroundTruth(dir: string): GroundTruth {
  const path = join(dir, 'truth.json')
  if (!existsSync(path)) throw new B2mError('not_found', 'no demo ground truth (truth.json) here', dir)
  let json: TruthJson
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as TruthJson
  } catch (err) {
    throw new B2mError('bad_request', `malformed truth.json: ${(err as Error).message}`, path)
  }
  if (json.format !== TRUTH_FORMAT)
    throw new B2mError('bad_request', `truth.json has format ${String(json.format)}, expected ${TRUTH_FORMAT}`, path)
  const arr = <T>(name: string) => readNpy(join(dir, name)).data as T
  return {
    dir,
    json,
    roles: arr<Uint8Array>(json.files.rolesNpy),
    voxels: arr<Int32Array>(json.files.voxels),
    weights: arr<Float32Array>(json.files.weights),
    rTarget: arr<Float32Array>(json.files.rTarget),
    amplitude: arr<Float32Array>(json.files.amplitude),
    clipEmbeddings: arr<Float32Array>(json.files.clipEmbeddings),
    clipFeatures: arr<Float32Array>(json.files.clipFeatures),
    clipSignal: arr<Float32Array>(json.files.clipSignal),
    signal: (label: string) => {
      const run = json.runs.find((r) => r.label === label)
      if (!run) throw new B2mError('not_found', `no run ${label} in the demo ground truth`, path)
      return arr<Float32Array>(run.signal)
    },
    transform: () => FeatureTransform.load(join(dir, json.files.transform))
  }
}
