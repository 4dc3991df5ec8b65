/**
 * The simulated subject of the demo study.
 *
 * Anatomy: a 4 mm isotropic grid in the space of the shipped fsaverage5 surfaces (MNI305-like mm, LAS
 * voxel order as MNI templates). The cortical ribbon is rasterised from points between the white and pial
 * surfaces (dense barycentric samples of every triangle at five depths); a voxel's aparc label is the
 * majority label of its samples. The brain is the ribbon plus everything it encloses (6-connected flood
 * fill of the outside); the medial wall counts as non-cortex. Roles: 0 outside, 1 brain (white matter,
 * medial wall), 2 cortex, 3 superior temporal gyrus, 4 transverse temporal gyrus (Heschl's).
 *
 * Encoding model (the ground truth): the built-in embedding of each 15 s clip, z-scored on the training
 * clips and reduced by PCA to `k` whitened components, drives every auditory voxel (roles 3, 4) through a
 * unit-norm weight vector with smooth spatial tuning (Gaussian fields along the gyrus, shared by both
 * hemispheres, plus a voxel's own part), plus a small response to the loudness of each TR (the 2 s fades).
 * The drive is convolved with SPM's canonical double-gamma HRF at TR/16 and sampled mid-volume; each
 * voxel's true signal is scaled to unit variance over all runs.
 *
 * BOLD: baseline (tissue intensity x a smooth coil bias) + amplitude x true signal + AR(1) noise
 * (rho 0.3-0.5) + a shared slow component + drifts (Legendre polynomials to order 3, a random walk, and a
 * scanner drift common to all voxels). The amplitude sets each auditory voxel's correlation with its true
 * signal against the noise (`rTarget`: Heschl's 0.45-0.65, STG 0.1-0.55, a few dead voxels); outside the
 * brain a dim halo, constant except for thermal noise on the voxels next to the brain. All of it follows from the seed.
 */
import { B2mError } from '../common/errors'
import { FeatureTransform } from '../features'
import type { SurfaceLibrary } from '../surface'
import { CLIP_SECONDS, type DemoDesign, type DemoRun } from './design'
import type { StimulusFeatures } from './stimuli'
import { Rng } from './synth'

export const ROLE_OUTSIDE = 0
export const ROLE_BRAIN = 1
export const ROLE_CORTEX = 2
export const ROLE_STG = 3
export const ROLE_HESCHL = 4
/** Cerebrospinal fluid: the one-voxel shell around the brain (bright in T2*-weighted EPI). */
export const ROLE_CSF = 5
export const ROLE_NAMES = ['outside', 'brain', 'cortex', 'superiortemporal', 'transversetemporal', 'csf'] as const

export interface DemoGrid {
  /** [X, Y, Z] */
  shape: [number, number, number]
  voxelMm: number
  /** voxel -> mm (4x4, row-major rows) */
  affine: number[][]
}

/** 4 mm, 40 x 50 x 38, LAS: x = 78 - 4i, y = -114 + 4j, z = -58 + 4k (covers fsaverage5 with a margin). */
export const DEMO_GRID: DemoGrid = {
  shape: [40, 50, 38],
  voxelMm: 4,
  affine: [
    [-4, 0, 0, 78],
    [0, 4, 0, -114],
    [0, 0, 4, -58],
    [0, 0, 0, 1]
  ]
}

export interface DemoAnatomy {
  grid: DemoGrid
  /** ROLE_* per voxel, x fastest. */
  roles: Uint8Array
  /** Mean EPI intensity per voxel (tissue x bias field; the halo outside). */
  baseline: Float32Array
  /** Linear indices of brain voxels (role >= 1), ascending. */
  brain: Int32Array
  /** Outside voxels next to the CSF shell (2-3 voxels from the brain): thermal noise only, so a mask that
   * spills onto them finds no constant voxels. */
  fringe: Int32Array
  counts: Record<(typeof ROLE_NAMES)[number], number>
}

const AUDITORY_LABELS = new Map([
  ['superiortemporal', ROLE_STG],
  ['transversetemporal', ROLE_HESCHL]
])
const MEDIAL_LABELS = new Set(['unknown', 'corpuscallosum'])

/** World mm -> nearest voxel linear index, or -1 outside the grid. */
function voxelOf(grid: DemoGrid, x: number, y: number, z: number): number {
  const [X, Y, Z] = grid.shape
  const A = grid.affine
  // the demo grid's affine is diagonal
  const i = Math.round((x - A[0][3]) / A[0][0])
  const j = Math.round((y - A[1][3]) / A[1][1])
  const k = Math.round((z - A[2][3]) / A[2][2])
  if (i < 0 || j < 0 || k < 0 || i >= X || j >= Y || k >= Z) return -1
  return i + X * (j + Y * k)
}

export function voxelCentre(grid: DemoGrid, index: number): [number, number, number] {
  const [X, Y] = grid.shape
  const i = index % X
  const j = Math.floor(index / X) % Y
  const k = Math.floor(index / (X * Y))
  const A = grid.affine
  return [A[0][0] * i + A[0][3], A[1][1] * j + A[1][3], A[2][2] * k + A[2][3]]
}

/** Rasterises the fsaverage5 ribbon into the grid and derives roles and the mean image. */
export function buildAnatomy(lib: SurfaceLibrary, seed: number, grid: DemoGrid = DEMO_GRID): DemoAnatomy {
  const [X, Y, Z] = grid.shape
  const n = X * Y * Z
  const ribbon = new Uint8Array(n)
  const votes = new Uint32Array(n)
  const medialVotes = new Uint32Array(n)
  const stgVotes = new Uint32Array(n)
  const heschlVotes = new Uint32Array(n)
  const depths = [0, 0.25, 0.5, 0.75, 1]
  for (const hemi of ['lh', 'rh'] as const) {
    const white = lib.mesh('fsaverage5', hemi, 'white')
    const pial = lib.mesh('fsaverage5', hemi, 'pial')
    const annot = lib.parcellation('fsaverage5', hemi, 'aparc')
    const kind = new Int8Array(annot.nVertices) // 0 cortex, 1 medial, 2 STG, 3 Heschl
    for (let v = 0; v < annot.nVertices; v++) {
      const name = annot.labels[v] >= 0 ? annot.table[annot.labels[v]]?.name : 'unknown'
      const role = name === undefined ? undefined : AUDITORY_LABELS.get(name)
      kind[v] = role === ROLE_STG ? 2 : role === ROLE_HESCHL ? 3 : name === undefined || MEDIAL_LABELS.has(name) ? 1 : 0
    }
    const W = white.positions
    const P = pial.positions
    const T = white.triangles
    const tmp = new Float64Array(3)
    for (let t = 0; t < T.length; t += 3) {
      const a = T[t]
      const b = T[t + 1]
      const c = T[t + 2]
      let edge = 0
      for (const [p, q] of [
        [a, b],
        [b, c],
        [c, a]
      ]) {
        for (const S of [W, P]) {
          const d = Math.hypot(S[3 * p] - S[3 * q], S[3 * p + 1] - S[3 * q + 1], S[3 * p + 2] - S[3 * q + 2])
          if (d > edge) edge = d
        }
      }
      const m = Math.max(1, Math.ceil(edge / 1.5))
      for (let u = 0; u <= m; u++) {
        for (let w = 0; w <= m - u; w++) {
          const la = u / m
          const lb = w / m
          const lc = 1 - la - lb
          const nearest = la >= lb && la >= lc ? a : lb >= lc ? b : c
          const k = kind[nearest]
          for (const d of depths) {
            for (let ax = 0; ax < 3; ax++) {
              const wv = la * W[3 * a + ax] + lb * W[3 * b + ax] + lc * W[3 * c + ax]
              const pv = la * P[3 * a + ax] + lb * P[3 * b + ax] + lc * P[3 * c + ax]
              tmp[ax] = (1 - d) * wv + d * pv
            }
            const vox = voxelOf(grid, tmp[0], tmp[1], tmp[2])
            if (vox < 0) continue
            ribbon[vox] = 1
            votes[vox]++
            if (k === 1) medialVotes[vox]++
            else if (k === 2) stgVotes[vox]++
            else if (k === 3) heschlVotes[vox]++
          }
        }
      }
    }
  }
  // outside = 6-connected flood fill from the grid's faces through non-ribbon voxels
  const outside = new Uint8Array(n)
  const queue = new Int32Array(n)
  let head = 0
  let tail = 0
  const push = (v: number) => {
    if (!outside[v] && !ribbon[v]) {
      outside[v] = 1
      queue[tail++] = v
    }
  }
  for (let k = 0; k < Z; k++)
    for (let j = 0; j < Y; j++)
      for (let i = 0; i < X; i++)
        if (i === 0 || j === 0 || k === 0 || i === X - 1 || j === Y - 1 || k === Z - 1) push(i + X * (j + Y * k))
  while (head < tail) {
    const v = queue[head++]
    const i = v % X
    const j = Math.floor(v / X) % Y
    const k = Math.floor(v / (X * Y))
    if (i > 0) push(v - 1)
    if (i < X - 1) push(v + 1)
    if (j > 0) push(v - X)
    if (j < Y - 1) push(v + X)
    if (k > 0) push(v - X * Y)
    if (k < Z - 1) push(v + X * Y)
  }
  const roles = new Uint8Array(n)
  for (let v = 0; v < n; v++) {
    if (outside[v]) continue
    if (!ribbon[v] || medialVotes[v] * 2 >= votes[v]) roles[v] = ROLE_BRAIN
    else if ((stgVotes[v] + heschlVotes[v]) * 2 >= votes[v])
      roles[v] = heschlVotes[v] > 0 && heschlVotes[v] * 3 >= stgVotes[v] ? ROLE_HESCHL : ROLE_STG
    else roles[v] = ROLE_CORTEX
  }

  // distance (in voxels, 6-connected) from the brain, for the halo outside it
  const dist = new Uint16Array(n).fill(0xffff)
  head = tail = 0
  for (let v = 0; v < n; v++)
    if (roles[v]) {
      dist[v] = 0
      queue[tail++] = v
    }
  while (head < tail) {
    const v = queue[head++]
    const i = v % X
    const j = Math.floor(v / X) % Y
    const k = Math.floor(v / (X * Y))
    const nd = dist[v] + 1
    const visit = (u: number) => {
      if (dist[u] > nd) {
        dist[u] = nd
        queue[tail++] = u
      }
    }
    if (i > 0) visit(v - 1)
    if (i < X - 1) visit(v + 1)
    if (j > 0) visit(v - X)
    if (j < Y - 1) visit(v + X)
    if (k > 0) visit(v - X * Y)
    if (k < Z - 1) visit(v + X * Y)
  }

  // smooth coil bias: a few random low-frequency cosines, +-8 %
  const rng = new Rng(seed, 'demo-anatomy')
  const waves = Array.from({ length: 4 }, () => ({
    f: [rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)].map((x) => (x * Math.PI) / 120),
    phase: rng.range(0, 2 * Math.PI),
    amp: rng.range(0.01, 0.03)
  }))
  const baseline = new Float32Array(n)
  const counts = { outside: 0, brain: 0, cortex: 0, superiortemporal: 0, transversetemporal: 0, csf: 0 }
  const brain: number[] = []
  const fringe: number[] = []
  for (let v = 0; v < n; v++) {
    if (dist[v] === 1) roles[v] = ROLE_CSF
    const r = roles[v]
    counts[ROLE_NAMES[r]]++
    if (r === ROLE_OUTSIDE) {
      baseline[v] = Math.round(6 + 18 * Math.exp(-(dist[v] - 1) / 1.5))
      if (dist[v] <= 3) fringe.push(v)
      continue
    }
    brain.push(v)
    const [x, y, z] = voxelCentre(grid, v)
    let bias = 1
    for (const wv of waves) bias += wv.amp * Math.cos(wv.f[0] * x + wv.f[1] * y + wv.f[2] * z + wv.phase)
    baseline[v] = (r === ROLE_BRAIN ? 640 : r === ROLE_CSF ? 900 : 820) * bias
  }
  return { grid, roles, baseline, brain: Int32Array.from(brain), fringe: Int32Array.from(fringe), counts }
}

// ---------------------------------------------------------------------------------------------------
// The encoding model

export interface EncodingModelOptions {
  /** Whitened PCA components of the clip embedding that drive the voxels (default 16). */
  components?: number
}

export interface EncodingModel {
  k: number
  /** z-score + PCA fitted on the training clips' embeddings. */
  transform: FeatureTransform
  /** clips x k: each clip's whitened components (unit variance over the training clips). */
  clipFeatures: Float32Array
  /** clips x trsPerClip: loudness per TR, z-scored over the training clips. */
  loudness: Float32Array
  trsPerClip: number
  /** Linear voxel indices of the auditory voxels (roles 3 and 4), ascending. */
  voxels: Int32Array
  /** voxels x k, unit-norm rows. */
  weights: Float32Array
  /** voxels: weight of the loudness regressor. */
  loudnessWeight: Float32Array
  /** voxels: each voxel's true per-clip signal is (clipFeatures . weights) (+ loudness), then scaled by this. */
  signalScale: Float32Array
  /** voxels: correlation with the true signal the noise leaves. */
  rTarget: Float32Array
  /** Per run (design order): volumes x voxels, each voxel's true stimulus-driven signal (unit variance over all runs). */
  signals: Float32Array[]
}

/** SPM's canonical HRF (peak 6 s, undershoot 16 s, ratio 1/6) sampled every `dt` s over 32 s, summing to 1. */
export function canonicalHrf(dt: number): Float64Array {
  const len = Math.ceil(32 / dt)
  const h = new Float64Array(len)
  const g6 = 120
  const g16 = 1307674368000
  let sum = 0
  for (let i = 0; i < len; i++) {
    const t = i * dt
    h[i] = t > 0 ? (t ** 5 * Math.exp(-t)) / g6 - (t ** 15 * Math.exp(-t)) / (6 * g16) : 0
    sum += h[i]
  }
  for (let i = 0; i < len; i++) h[i] /= sum
  return h
}

/** The per-clip true signal of auditory voxel `j` (before the HRF): clipFeatures . weights. */
export function clipDrive(model: EncodingModel, clip: number, j: number): number {
  let s = 0
  for (let c = 0; c < model.k; c++) s += model.clipFeatures[clip * model.k + c] * model.weights[j * model.k + c]
  return s
}

export function buildEncodingModel(
  anatomy: DemoAnatomy,
  design: DemoDesign,
  stim: StimulusFeatures,
  seed: number,
  opts: EncodingModelOptions = {}
): EncodingModel {
  const k = opts.components ?? 16
  const nClips = design.clips.length
  const dim = stim.dim
  const train = design.clips.map((c, i) => (c.role === 'train' ? i : -1)).filter((i) => i >= 0)
  if (train.length < 2) throw new B2mError('bad_request', 'demo: the encoding model needs at least 2 training clips')
  const kk = Math.min(k, train.length - 1, dim)
  const trainRows = new Float32Array(train.length * dim)
  train.forEach((c, r) => trainRows.set(stim.embeddings.subarray(c * dim, (c + 1) * dim), r * dim))
  const transform = FeatureTransform.fit(trainRows, train.length, dim, { pca: kk })
  const pcs = transform.apply(stim.embeddings, nClips)
  const clipFeatures = new Float32Array(nClips * kk)
  for (let c = 0; c < nClips; c++)
    for (let j = 0; j < kk; j++) {
      const sd = Math.sqrt(Math.max(transform.pca!.explainedVariance[j], 1e-12))
      clipFeatures[c * kk + j] = pcs[c * kk + j] / sd
    }
  // loudness z-scored over the training clips' TRs
  const tpc = stim.trsPerClip
  let m = 0
  let s2 = 0
  for (const c of train) for (let t = 0; t < tpc; t++) m += stim.loudness[c * tpc + t]
  m /= train.length * tpc
  for (const c of train) for (let t = 0; t < tpc; t++) s2 += (stim.loudness[c * tpc + t] - m) ** 2
  const sd = Math.sqrt(s2 / (train.length * tpc)) || 1
  const loudness = Float32Array.from(stim.loudness, (x) => (x - m) / sd)

  // voxels and their tuning
  const voxels = Int32Array.from(
    anatomy.brain.filter((v) => anatomy.roles[v] === ROLE_STG || anatomy.roles[v] === ROLE_HESCHL)
  )
  const nv = voxels.length
  if (nv === 0) throw new B2mError('internal', 'demo: no auditory voxels in the simulated anatomy')
  const rng = new Rng(seed, 'demo-encoding')
  const unit = (vec: Float64Array) => {
    let q = 0
    for (const x of vec) q += x * x
    q = Math.sqrt(q) || 1
    for (let i = 0; i < vec.length; i++) vec[i] /= q
    return vec
  }
  const prototypes = Array.from({ length: 4 }, () => unit(Float64Array.from({ length: kk }, () => rng.normal())))
  // field centres along the gyrus (y, mm) from posterior to anterior, and across it (|x|)
  const centres = [
    [-38, 52],
    [-24, 58],
    [-10, 50],
    [4, 60]
  ]
  const weights = new Float32Array(nv * kk)
  const loudnessWeight = new Float32Array(nv)
  const rTarget = new Float32Array(nv)
  const own = new Float64Array(kk)
  for (let j = 0; j < nv; j++) {
    const [x, y] = voxelCentre(anatomy.grid, voxels[j])
    const w = new Float64Array(kk)
    centres.forEach(([cy, cx], p) => {
      const g = Math.exp(-((y - cy) ** 2) / (2 * 12 ** 2) - (Math.abs(x) - cx) ** 2 / (2 * 14 ** 2))
      for (let c = 0; c < kk; c++) w[c] += g * prototypes[p][c]
    })
    for (let c = 0; c < kk; c++) own[c] = rng.normal()
    unit(own)
    let norm = 0
    for (const v of w) norm += v * v
    norm = Math.sqrt(norm) || 1
    for (let c = 0; c < kk; c++) w[c] = w[c] / norm + 0.6 * own[c]
    unit(w)
    weights.set(Float32Array.from(w), j * kk)
    loudnessWeight[j] = rng.range(0.15, 0.35)
    const heschl = anatomy.roles[voxels[j]] === ROLE_HESCHL
    const dead = rng.chance(0.08)
    rTarget[j] = dead ? rng.range(0.02, 0.08) : heschl ? rng.range(0.45, 0.65) : 0.1 + 0.45 * rng.float() ** 0.8
  }

  // drive -> HRF -> volumes, per run; then unit variance per voxel over all runs
  const micro = 16
  const dt = design.tr / micro
  const hrf = canonicalHrf(dt)
  const clipIndex = new Map(design.clips.map((c, i) => [c.id, i]))
  const T = design.volumes
  const nf = kk + 1
  const convolved: Float64Array[] = design.runs.map((run) => {
    const M = T * micro
    const drive = new Float64Array(M * nf)
    for (let mi = 0; mi < M; mi++) {
      const time = (mi + 0.5) * dt
      const ev = eventAt(run, time)
      if (!ev) continue
      const c = clipIndex.get(ev.clip.id)!
      const trIn = Math.min(tpc - 1, Math.floor((time - ev.onset) / design.tr))
      for (let f = 0; f < kk; f++) drive[mi * nf + f] = clipFeatures[c * kk + f]
      drive[mi * nf + kk] = loudness[c * tpc + trIn]
    }
    const out = new Float64Array(T * nf)
    for (let t = 0; t < T; t++) {
      const mi = t * micro + micro / 2
      for (let u = 0; u < hrf.length && u <= mi; u++) {
        const h = hrf[u]
        const o = (mi - u) * nf
        for (let f = 0; f < nf; f++) out[t * nf + f] += h * drive[o + f]
      }
    }
    return out
  })
  const signals = convolved.map(() => new Float32Array(T * nv))
  const mean = new Float64Array(nv)
  const sq = new Float64Array(nv)
  convolved.forEach((F, r) => {
    const S = signals[r]
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < nv; j++) {
        let s = loudnessWeight[j] * F[t * nf + kk]
        for (let f = 0; f < kk; f++) s += weights[j * kk + f] * F[t * nf + f]
        S[t * nv + j] = s
        mean[j] += s
        sq[j] += s * s
      }
    }
  })
  const total = T * design.runs.length
  const signalScale = new Float32Array(nv)
  for (let j = 0; j < nv; j++) {
    const mu = mean[j] / total
    const sdj = Math.sqrt(Math.max(sq[j] / total - mu * mu, 1e-12))
    signalScale[j] = 1 / sdj
    for (const S of signals) for (let t = 0; t < T; t++) S[t * nv + j] = (S[t * nv + j] - mu) / sdj
  }
  return {
    k: kk,
    transform,
    clipFeatures,
    loudness,
    trsPerClip: tpc,
    voxels,
    weights,
    loudnessWeight,
    signalScale,
    rTarget,
    signals
  }
}

function eventAt(run: DemoRun, time: number) {
  const i = Math.floor(time / CLIP_SECONDS)
  const e = run.events[i]
  return e && time >= e.onset && time < e.onset + e.duration ? e : null
}

// ---------------------------------------------------------------------------------------------------
// BOLD volumes

export interface VoxelNoise {
  /** per brain voxel (anatomy.brain order) */
  sigma: Float32Array
  rho: Float32Array
  shared: Float32Array
  /** per brain voxel: the signal amplitude (0 outside the auditory voxels) and its auditory index (-1). */
  amplitude: Float32Array
  auditory: Int32Array
}

export function buildNoise(anatomy: DemoAnatomy, model: EncodingModel, seed: number): VoxelNoise {
  const rng = new Rng(seed, 'demo-noise')
  const nb = anatomy.brain.length
  const sigma = new Float32Array(nb)
  const rho = new Float32Array(nb)
  const shared = new Float32Array(nb)
  const amplitude = new Float32Array(nb)
  const auditory = new Int32Array(nb).fill(-1)
  const audIndex = new Map<number, number>()
  model.voxels.forEach((v, j) => audIndex.set(v, j))
  for (let b = 0; b < nb; b++) {
    const v = anatomy.brain[b]
    const grey = anatomy.roles[v] >= ROLE_CORTEX && anatomy.roles[v] !== ROLE_CSF
    const tsnr = grey ? rng.range(60, 100) : rng.range(90, 130)
    sigma[b] = anatomy.baseline[v] / tsnr
    rho[b] = rng.range(0.3, 0.5)
    shared[b] = sigma[b] * (grey ? rng.range(0.25, 0.45) : rng.range(0.1, 0.25))
    const j = audIndex.get(v)
    if (j !== undefined) {
      auditory[b] = j
      const r = model.rTarget[j]
      const noiseSd = Math.hypot(sigma[b], shared[b])
      amplitude[b] = (noiseSd * r) / Math.sqrt(1 - r * r)
    }
  }
  return { sigma, rho, shared, amplitude, auditory }
}

/**
 * Streams a run's volumes (int16, x fastest) to `sink`: one Int16Array per volume. Memory: a few arrays
 * of the brain's size.
 */
export async function simulateRun(
  anatomy: DemoAnatomy,
  model: EncodingModel,
  noise: VoxelNoise,
  runIndex: number,
  label: string,
  seed: number,
  volumes: number,
  sink: (volume: Int16Array, t: number) => Promise<void>,
  isCancelled?: () => boolean
): Promise<void> {
  const rng = new Rng(seed, 'demo-bold', label)
  const nb = anatomy.brain.length
  const nv = model.voxels.length
  const S = model.signals[runIndex]
  const ar = new Float64Array(nb)
  const walk = new Float64Array(nb)
  const poly = new Float64Array(nb * 3)
  for (let b = 0; b < nb; b++) {
    ar[b] = rng.normal()
    poly[3 * b] = rng.normal(0, 1.5)
    poly[3 * b + 1] = rng.normal(0, 0.8)
    poly[3 * b + 2] = rng.normal(0, 0.5)
  }
  const scanner = rng.range(0.002, 0.006) * (rng.chance(0.5) ? -1 : 1)
  let g = rng.normal()
  const template = new Int16Array(anatomy.baseline.length)
  for (let v = 0; v < template.length; v++) if (anatomy.roles[v] === ROLE_OUTSIDE) template[v] = anatomy.baseline[v]
  for (let t = 0; t < volumes; t++) {
    if (isCancelled?.()) throw new B2mError('failed', 'demo generation cancelled')
    const tau = volumes > 1 ? (2 * t) / (volumes - 1) - 1 : 0
    const p1 = tau
    const p2 = 0.5 * (3 * tau * tau - 1)
    const p3 = 0.5 * (5 * tau ** 3 - 3 * tau)
    if (t > 0) g = 0.85 * g + Math.sqrt(1 - 0.85 * 0.85) * rng.normal()
    const vol = template.slice()
    for (const v of anatomy.fringe) vol[v] = Math.max(0, Math.round(anatomy.baseline[v] + 2 * rng.normal()))
    for (let b = 0; b < nb; b++) {
      const s = noise.sigma[b]
      const rho = noise.rho[b]
      if (t > 0) {
        ar[b] = rho * ar[b] + Math.sqrt(1 - rho * rho) * rng.normal()
        walk[b] += 0.04 * rng.normal()
      }
      const v = anatomy.brain[b]
      const base = anatomy.baseline[v]
      let x =
        base * (1 + scanner * p1) +
        s * (poly[3 * b] * p1 + poly[3 * b + 1] * p2 + poly[3 * b + 2] * p3 + walk[b] + ar[b]) +
        noise.shared[b] * g
      const j = noise.auditory[b]
      if (j >= 0) x += noise.amplitude[b] * S[t * nv + j]
      vol[v] = Math.max(-32768, Math.min(32767, Math.round(x)))
    }
    await sink(vol, t)
  }
}
