/**
 * The renderer's playback DSP (src-renderer/src/playback), run under Node on typed arrays: BS.1770
 * integrated loudness against the standard's reference tone and against ffmpeg's ebur128 filter, level
 * matching, the mel filterbank and log-mel spectrogram, and waveform min/max columns.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeWav } from '../../src-main/formats/audio'

// Imported by path at run time: the renderer's files belong to the web TypeScript project, not the node
// one, so these tests type the few functions they use themselves.
const PLAYBACK = resolve(__dirname, '..', '..', 'src-renderer', 'src', 'playback')
interface Loudness {
  integratedLoudness(channels: Float32Array[], sampleRate: number): number
  matchGains(l: number[]): number[]
  kWeighting(sr: number): { b0: number; b1: number; b2: number; a1: number; a2: number }[]
}
interface Mel {
  db: Float32Array
  frames: number
  bands: number
  hop: number
  maxDb: number
  range: number
}
interface Spectrogram {
  hzToMel(f: number): number
  melToHz(m: number): number
  melFilterbank(sr: number, nFft: number, bands: number, fMin?: number, fMax?: number): Float32Array
  logMelSpectrogram(x: Float32Array, sr: number, opts?: Record<string, number>): Mel
  spectrogramPixels(s: Mel, lut: Uint8Array): Uint8ClampedArray
}
interface Waveform {
  waveformPeaks(x: Float32Array, columns: number): { min: Float32Array; max: Float32Array; columns: number }
}
let L: Loudness
let S: Spectrogram
let W: Waveform
let dir: string

beforeAll(async () => {
  L = (await import(join(PLAYBACK, 'loudness.ts'))) as Loudness
  S = (await import(join(PLAYBACK, 'spectrogram.ts'))) as Spectrogram
  W = (await import(join(PLAYBACK, 'waveform.ts'))) as Waveform
  dir = mkdtempSync(join(tmpdir(), 'b2m-playback-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function sine(freq: number, amp: number, seconds: number, sr: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * sr))
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / sr)
  return x
}

/** Tones, a beat and noise: something like music, with a loudness that varies over time. */
function musicLike(seconds: number, sr: number, seed: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * sr))
  let s = seed >>> 0
  for (let i = 0; i < x.length; i++) {
    const t = i / sr
    s = (s * 1664525 + 1013904223) >>> 0
    const env = 0.4 + 0.6 * Math.abs(Math.sin(Math.PI * 2 * t))
    x[i] =
      0.25 * env * Math.sin(2 * Math.PI * 220 * t) +
      0.1 * Math.sin(2 * Math.PI * 3300 * t) * (t % 0.5 < 0.1 ? 1 : 0.2) +
      0.05 * (s / 2 ** 32 - 0.5) +
      (t > seconds / 2 ? 0.15 * Math.sin(2 * Math.PI * 60 * t) : 0)
  }
  return x
}

describe('integrated loudness (ITU-R BS.1770-4)', () => {
  it('K-weighting at 48 kHz equals the coefficients printed in the standard', () => {
    const [shelf, hp] = L.kWeighting(48000)
    expect(shelf.b0).toBeCloseTo(1.53512485958697, 10)
    expect(shelf.b1).toBeCloseTo(-2.69169618940638, 10)
    expect(shelf.b2).toBeCloseTo(1.19839281085285, 10)
    expect(shelf.a1).toBeCloseTo(-1.69065929318241, 10)
    expect(shelf.a2).toBeCloseTo(0.73248077421585, 10)
    expect(hp.a1).toBeCloseTo(-1.99004745483398, 10)
    expect(hp.a2).toBeCloseTo(0.99007225036621, 10)
  })

  it('a full-scale 997 Hz sine on one channel reads -3.01 LUFS at any common sample rate', () => {
    for (const sr of [48000, 44100, 22050])
      expect(L.integratedLoudness([sine(997, 1, 5, sr)], sr)).toBeCloseTo(-3.01, 1)
    // 20 dB down reads 20 LU lower; stereo (both channels) adds 3 dB.
    expect(L.integratedLoudness([sine(997, 0.1, 5, 48000)], 48000)).toBeCloseTo(-23.01, 1)
    const s = sine(997, 0.1, 5, 48000)
    expect(L.integratedLoudness([s, s], 48000)).toBeCloseTo(-20.0, 1)
  })

  it('gates out silence, and reads silence as -Infinity', () => {
    const sr = 22050
    const tone = sine(997, 0.1, 4, sr)
    const padded = new Float32Array(tone.length * 3)
    padded.set(tone, tone.length)
    // Ungated, two thirds of silence would read 4.8 LU lower; gated, only the blocks that straddle the
    // edges (partly silent, still above the relative gate) pull it down a little.
    const gated = L.integratedLoudness([padded], sr)
    const alone = L.integratedLoudness([tone], sr)
    expect(gated).toBeLessThan(alone)
    expect(alone - gated).toBeLessThan(0.5)
    expect(L.integratedLoudness([new Float32Array(sr * 2)], sr)).toBe(-Infinity)
    // Shorter than one 400 ms block: measured ungated over its length.
    expect(L.integratedLoudness([sine(997, 1, 0.2, 48000)], 48000)).toBeCloseTo(-3.01, 1)
  })

  it.runIf(spawnSync('which', ['ffmpeg']).status === 0)('agrees with ffmpeg ebur128 on music-like signals', () => {
    for (const [sr, seed] of [
      [22050, 1],
      [44100, 7]
    ]) {
      const x = musicLike(12, sr, seed)
      const file = join(dir, `m${sr}.wav`)
      writeFileSync(file, encodeWav({ sampleRate: sr, channels: [x] }))
      const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128', '-f', 'null', '-'], {
        encoding: 'utf8'
      })
      expect(r.status, r.stderr).toBe(0)
      const m = /Integrated loudness:\s*I:\s*(-?[\d.]+) LUFS/.exec(r.stderr)
      expect(m, r.stderr.slice(-2000)).not.toBeNull()
      // ffmpeg prints one decimal; the 16-bit WAV adds nothing measurable.
      expect(Math.abs(L.integratedLoudness([x], sr) - Number(m![1]))).toBeLessThan(0.15)
    }
  })

  it('level matching brings every clip down to the quietest one', () => {
    const g = L.matchGains([-14, -20, -Infinity])
    expect(g[0]).toBeCloseTo(10 ** (-6 / 20), 12)
    expect(g[1]).toBe(1)
    expect(g[2]).toBe(1)
    expect(L.matchGains([-Infinity])).toEqual([1])
    // Matched: the measured loudness of gain x clip is equal for both.
    const sr = 22050
    const a = musicLike(6, sr, 3)
    const b = a.map((v) => v * 0.3)
    const [ga, gb] = L.matchGains([L.integratedLoudness([a], sr), L.integratedLoudness([b], sr)])
    const la = L.integratedLoudness([a.map((v) => v * ga!)], sr)
    const lb = L.integratedLoudness([b.map((v) => v * gb!)], sr)
    expect(la).toBeCloseTo(lb, 6)
  })
})

describe('log-mel spectrogram and waveform', () => {
  it('the mel filterbank: triangles centred on mel-spaced frequencies, each of unit area in Hz', () => {
    const sr = 22050
    const nFft = 1024
    const bands = 40
    const fb = S.melFilterbank(sr, nFft, bands)
    const bins = nFft / 2 + 1
    const df = sr / nFft
    expect(fb.length).toBe(bands * bins)
    const centres: number[] = []
    for (let b = 0; b < bands; b++) {
      let best = 0
      let area = 0
      for (let k = 0; k < bins; k++) {
        expect(fb[b * bins + k]).toBeGreaterThanOrEqual(0)
        area += fb[b * bins + k]! * df
        if (fb[b * bins + k]! > fb[b * bins + best]!) best = k
      }
      centres.push(best * df)
      // Narrow low bands cover few bins, so their discrete area is rougher.
      if (b >= 10) expect(area).toBeCloseTo(1, 1)
    }
    const expected = (b: number) => S.melToHz((S.hzToMel(sr / 2) * (b + 1)) / (bands + 1))
    for (const b of [10, 20, 39]) expect(Math.abs(centres[b]! - expected(b))).toBeLessThanOrEqual(df)
    expect(S.hzToMel(1000)).toBeCloseTo(1000, 0)
    expect(() => S.melFilterbank(sr, nFft, bands, 0, 20000)).toThrow(/fMax/)
  })

  it('a 1 kHz tone lights the band around 1 kHz in every frame; frames follow the hop', () => {
    const sr = 22050
    const x = sine(1000, 0.5, 2, sr)
    const s = S.logMelSpectrogram(x, sr, { bands: 64 })
    expect(s.frames).toBe(1 + Math.floor(x.length / 256))
    expect(s.bands).toBe(64)
    expect(s.hop).toBeCloseTo(256 / sr, 12)
    const mel1k = S.hzToMel(1000)
    const step = S.hzToMel(sr / 2) / 65
    const expectBand = Math.round(mel1k / step) - 1
    for (const t of [5, Math.floor(s.frames / 2), s.frames - 5]) {
      let best = 0
      for (let b = 0; b < s.bands; b++) if (s.db[t * s.bands + b]! > s.db[t * s.bands + best]!) best = b
      expect(Math.abs(best - expectBand)).toBeLessThanOrEqual(1)
    }
    // Values are floored at maxDb - range.
    let min = Infinity
    for (const v of s.db) min = Math.min(min, v)
    expect(min).toBeCloseTo(s.maxDb - 80, 4)
    // Pixels: low bands at the bottom; the tone's row is brighter than the floor.
    const lut = new Uint8Array(256 * 4)
    for (let i = 0; i < 256; i++) lut.set([i, i, i, 255], i * 4)
    const px = S.spectrogramPixels(s, lut)
    expect(px.length).toBe(s.frames * s.bands * 4)
    const t = Math.floor(s.frames / 2)
    const row = s.bands - 1 - expectBand
    expect(px[(row * s.frames + t) * 4]).toBe(255)
    expect(px[(0 * s.frames + t) * 4]).toBeLessThan(128)
  })

  it('waveform columns hold the min and max of their samples', () => {
    const x = new Float32Array([0, 0.5, -0.25, 0.1, -1, 0.9, 0.2, 0.3])
    const p = W.waveformPeaks(x, 4)
    expect([...p.min]).toEqual([0, -0.25, -1, 0.2].map(Math.fround))
    expect([...p.max]).toEqual([0.5, 0.1, 0.9, 0.3].map(Math.fround))
    // More columns than samples: each column repeats its sample.
    const q = W.waveformPeaks(new Float32Array([0.5, -0.5]), 4)
    expect([...q.max]).toEqual([0.5, 0.5, -0.5, -0.5])
    expect(() => W.waveformPeaks(x, 0)).toThrow(/columns/)
  })
})

describe('planning a blinded listening test', () => {
  interface Planned {
    stimulusId: number
    clipA: number
    clipB: number
    correct: 'A' | 'B'
  }
  type Clip = { id: number; stimulusId: number; method: string; audio: boolean; libraryItemId: number | null }
  let plan: (
    ids: number[],
    clipsOf: (s: number) => Clip[],
    method: string,
    count: number,
    randInt?: (n: number) => number
  ) => Planned[]
  beforeAll(async () => {
    const m = await import(join(PLAYBACK, '..', 'components', 'decode', 'trials.ts'))
    plan = m.planTrials as typeof plan
  })
  // Stimulus s has a retrieval clip 100+s (library item 10+s, but 3 and 4 share item 13) and a spectral clip 200+s.
  const clipsOf = (s: number): Clip[] => [
    { id: 100 + s, stimulusId: s, method: 'retrieval', audio: true, libraryItemId: s === 4 ? 13 : 10 + s },
    { id: 200 + s, stimulusId: s, method: 'spectral', audio: true, libraryItemId: null }
  ]
  const seeded = (seed: number) => {
    let x = seed
    return (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31
      // High bits: an LCG's low bits cycle with short periods.
      return Math.floor((x / 2 ** 31) * n)
    }
  }

  it('one trial per stimulus: the right clip on the side marked correct, a foil from another stimulus', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const trials = plan([1, 2, 3, 4, 5], clipsOf, 'retrieval', 10, seeded(seed))
      expect(trials.length).toBe(5)
      expect(new Set(trials.map((t) => t.stimulusId)).size).toBe(5)
      for (const t of trials) {
        const right = t.correct === 'A' ? t.clipA : t.clipB
        const foil = t.correct === 'A' ? t.clipB : t.clipA
        expect(right).toBe(100 + t.stimulusId)
        expect(foil).not.toBe(right)
        expect(foil).toBeGreaterThanOrEqual(101)
        expect(foil).toBeLessThanOrEqual(105)
        // Stimuli 3 and 4 retrieved the same library item: never each other's foil.
        if (t.stimulusId === 3) expect(foil).not.toBe(104)
        if (t.stimulusId === 4) expect(foil).not.toBe(103)
      }
    }
    // Both sides occur, and the count is honoured.
    const sides = new Set(
      Array.from({ length: 8 }, (_, i) =>
        plan([1, 2, 3], clipsOf, 'spectral', 3, seeded(i + 10)).map((t) => t.correct)
      ).flat()
    )
    expect([...sides].sort()).toEqual(['A', 'B'])
    expect(plan([1, 2, 3, 4, 5], clipsOf, 'spectral', 2, seeded(9)).length).toBe(2)
  })

  it('needs two stimuli with clips of the method', () => {
    expect(plan([1], clipsOf, 'retrieval', 5)).toEqual([])
    expect(plan([1, 2], clipsOf, 'mosaic', 5)).toEqual([])
  })
})
