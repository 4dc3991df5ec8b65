/**
 * The demo study's stimulus design, after the Music Genre fMRI Dataset (Nakai, Koide-Majima & Nishimoto;
 * OpenNeuro ds003720): 41 clips of 15 s per run (410 volumes at TR 1.5 s), clips back to back.
 *
 * * Training runs: 40 new clips (4 per genre, shuffled), preceded by the last clip of the previous
 *   Training run (run 1 repeats the last clip of the last run, as in ds003720).
 * * Test runs: 10 new clips (1 per genre, shuffled) played 4 times in the same order, then clip 1 once
 *   more (so the run's first clip repeats its last).
 * * Full mode: 12 Training + 6 Test runs (48 training + 6 test clips per genre), 30 s tracks. Quick mode
 *   (CI): 2 Training + 1 Test run (8 + 1 per genre), 20 s tracks; its last Training run (run 2) carries
 *   the malformed quotes that ds003720 has in Training run 4.
 *
 * Each clip is a 15 s excerpt (`start`..`end`) of its own "original track" (`genre.000TT`, a
 * `trackSeconds`-long render), as GTZAN's 30 s tracks in ds003720. Track numbers are distinct within a
 * genre (0..99). Everything follows from the seed.
 */
import { B2mError } from '../common/errors'
import { GENRES, Rng, hash32, type Genre } from './synth'

export const DEMO_TR = 1.5
export const CLIP_SECONDS = 15
export const CLIPS_PER_RUN = 41
export const VOLUMES_PER_RUN = (CLIPS_PER_RUN * CLIP_SECONDS) / DEMO_TR
export const DEMO_SUBJECT = 'sub-001'

export interface DemoClip {
  /** `genre.000TT@start`, unique in the design. */
  id: string
  genre: Genre
  /** GTZAN-style track number within the genre. */
  track: number
  /** Excerpt start and end in the original track, seconds (two decimals, as ds003720). */
  start: number
  end: number
  role: 'train' | 'test'
  /** The synthesiser seed of the original track. */
  seed: number
}

export interface DemoEvent {
  onset: number
  duration: number
  clip: DemoClip
}

export interface DemoRun {
  task: 'Training' | 'Test'
  run: number
  events: DemoEvent[]
  /** Rows (0-based) whose genre is written without its opening quote (ds003720's Training run 4). */
  malformedRows: number[]
}

export interface DemoDesignOptions {
  quick?: boolean
  seed?: number
  /** Override the number of Training / Test runs (defaults: 12 / 6, quick 2 / 1). */
  trainingRuns?: number
  testRuns?: number
  /**
   * Length of the rendered original tracks (default 30 s like GTZAN; quick mode 20 s, to render faster);
   * excerpts start in [0, trackSeconds - 15].
   */
  trackSeconds?: number
}

export interface DemoDesign {
  seed: number
  quick: boolean
  tr: number
  volumes: number
  clipSeconds: number
  trackSeconds: number
  /** Every distinct clip: training clips first (in order of first presentation), then test clips. */
  clips: DemoClip[]
  runs: DemoRun[]
  /** The Training run carrying the three malformed quotes (4 in full mode; the last one when fewer). */
  malformedRun: number | null
}

export const DEFAULT_SEED = 20230721

export const pad2 = (n: number): string => String(n).padStart(2, '0')
export const runLabel = (r: Pick<DemoRun, 'task' | 'run'>): string => `task-${r.task}_run-${pad2(r.run)}`
export const round2 = (x: number): number => Math.round(x * 100) / 100

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    const t = items[i]
    items[i] = items[j]
    items[j] = t
  }
  return items
}

function checkCount(name: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new B2mError('bad_request', `demo design: ${name} must be an integer in 1..${max}, got ${n}`)
}

/** The whole design for a seed: which clip plays when in which run. */
export function demoDesign(options: DemoDesignOptions = {}): DemoDesign {
  const quick = !!options.quick
  const seed = options.seed ?? DEFAULT_SEED
  if (!Number.isSafeInteger(seed)) throw new B2mError('bad_request', `demo seed must be a safe integer, got ${seed}`)
  const nTrain = options.trainingRuns ?? (quick ? 2 : 12)
  const nTest = options.testRuns ?? (quick ? 1 : 6)
  const trackSeconds = options.trackSeconds ?? (quick ? 20 : 30)
  checkCount('trainingRuns', nTrain, 24)
  checkCount('testRuns', nTest, 12)
  if (!(trackSeconds >= CLIP_SECONDS && trackSeconds <= 120))
    throw new B2mError('bad_request', `demo design: trackSeconds must be in 15..120, got ${trackSeconds}`)
  const rng = new Rng(seed, 'demo-design')
  const perGenreTrain = 4 * nTrain
  const perGenreTest = nTest
  if (perGenreTrain + perGenreTest > 100)
    throw new B2mError(
      'bad_request',
      `demo design: ${perGenreTrain + perGenreTest} tracks per genre exceed GTZAN's 100`
    )

  // Distinct track numbers per genre: training first, then test.
  const pools = new Map<Genre, number[]>()
  for (const g of GENRES) {
    const tracks = shuffle(
      rng,
      Array.from({ length: 100 }, (_, i) => i)
    ).slice(0, perGenreTrain + perGenreTest)
    pools.set(g, tracks)
  }
  const makeClip = (genre: Genre, track: number, role: DemoClip['role']): DemoClip => {
    const start = round2(rng.range(0, trackSeconds - CLIP_SECONDS))
    const end = round2(start + CLIP_SECONDS)
    return {
      id: `${genre}.${String(track).padStart(5, '0')}@${start}`,
      genre,
      track,
      start,
      end,
      role,
      seed: hash32(seed, 'track', genre, track) & 0x7fffffff
    }
  }
  const clips: DemoClip[] = []
  const trainBlocks: DemoClip[][] = []
  for (let r = 0; r < nTrain; r++) {
    const block: DemoClip[] = []
    for (const g of GENRES) for (let k = 0; k < 4; k++) block.push(makeClip(g, pools.get(g)![4 * r + k], 'train'))
    trainBlocks.push(shuffle(rng, block))
    clips.push(...block)
  }
  const testBlocks: DemoClip[][] = []
  for (let r = 0; r < nTest; r++) {
    const block = GENRES.map((g) => makeClip(g, pools.get(g)![perGenreTrain + r], 'test'))
    testBlocks.push(shuffle(rng, block))
    clips.push(...block)
  }

  const events = (list: DemoClip[]): DemoEvent[] =>
    list.map((clip, i) => ({ onset: i * CLIP_SECONDS, duration: CLIP_SECONDS, clip }))
  const malformedRun = nTrain >= 4 ? 4 : nTrain
  const runs: DemoRun[] = []
  for (let r = 0; r < nTrain; r++) {
    const previous = trainBlocks[(r - 1 + nTrain) % nTrain]
    const list = [previous[previous.length - 1], ...trainBlocks[r]]
    runs.push({
      task: 'Training',
      run: r + 1,
      events: events(list),
      malformedRows: r + 1 === malformedRun ? [CLIPS_PER_RUN - 3, CLIPS_PER_RUN - 2, CLIPS_PER_RUN - 1] : []
    })
  }
  for (let r = 0; r < nTest; r++) {
    const block = testBlocks[r]
    const list = [...block, ...block, ...block, ...block, block[0]]
    runs.push({ task: 'Test', run: r + 1, events: events(list), malformedRows: [] })
  }
  for (const run of runs) {
    if (run.events.length !== CLIPS_PER_RUN)
      throw new B2mError('internal', `demo design: ${runLabel(run)} has ${run.events.length} clips`)
  }
  return {
    seed,
    quick,
    tr: DEMO_TR,
    volumes: VOLUMES_PER_RUN,
    clipSeconds: CLIP_SECONDS,
    trackSeconds,
    clips,
    runs,
    malformedRun
  }
}

/** The clip playing during volume `t` of a run (volume t stands for [t TR, (t + 1) TR)). */
export function clipAtVolume(run: DemoRun, t: number, tr = DEMO_TR): DemoEvent | null {
  const time = (t + 0.5) * tr
  for (const e of run.events) if (time >= e.onset && time < e.onset + e.duration) return e
  return null
}
