/**
 * Generators (spectral, mosaic, ONNX folders, MusicGen's folder check) over a tiny library rendered by
 * the demo synthesiser and embedded by the real library code; `b2m generate` and `b2m eval
 * identification` through the real CLI.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClipInfo, Job, StimulusInfo } from '../../src-preload/api'
import { Core } from '../../src-main/api/core'
import { dispatch } from '../../src-main/api/dispatch'
import { embeddingSha256 } from '../../src-main/decode/clips'
import { CosineIndex } from '../../src-main/decode/retrieval'
import { decoderTestPredictions } from '../../src-main/train'
import { writeMiniDs003720 } from '../helpers/mini-bids'
import {
  createGenerator,
  loadLibraryMatrix,
  logMelFrames,
  MosaicGenerator,
  MUSICGEN_FILES,
  noiseSeed,
  promptFor,
  seededNormal,
  type LibraryMatrix
} from '../../src-main/decode/generators'
import { decodeAudio, encodeWav } from '../../src-main/formats/audio'
import { addLibrary, SILENT_IO } from '../../src-main/music'
import { writeNpy } from '../../src-main/formats/npy'
import { GraphBuilder } from '../../src-main/onnx/graph'
import { coreCalls } from '../helpers/core'
import { makeTinyLibrary, TINY_SR, type TinyLibrary } from '../helpers/tiny-library'

const repo = resolve(__dirname, '..', '..')
let dir: string
let wsDir: string
let core: Core
let lib: TinyLibrary
let matrix: LibraryMatrix

const SECONDS = 4
const opts = (seed: number, seconds = SECONDS, sampleRate = TINY_SR) => ({ seed, seconds, sampleRate })

/** The embedding (library row) of a file. */
function embeddingOf(path: string): Float32Array {
  const r = matrix.items.findIndex((i) => i.path === path)
  expect(r).toBeGreaterThanOrEqual(0)
  return Float32Array.from(matrix.data.subarray(r * matrix.dim, (r + 1) * matrix.dim))
}

/** Time-averaged log-mel spectrum (dB per band). */
function meanLogMel(x: Float32Array): Float64Array {
  const { data, frames } = logMelFrames(x)
  const nm = data.length / frames
  const out = new Float64Array(nm)
  for (let t = 0; t < frames; t++) for (let b = 0; b < nm; b++) out[b] += data[t * nm + b] / frames
  return out
}

const dist = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0))
const maxJump = (x: Float32Array, from = 0, to = x.length) => {
  let m = 0
  for (let i = Math.max(1, from); i < to; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]))
  return m
}
const same = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

function b2m(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'b2m.cjs'), '--workspace', wsDir, ...args], {
    cwd: repo,
    encoding: 'utf8'
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-generate-'))
  wsDir = join(dir, 'ws')
  core = Core.open(wsDir, { face: 'cli', runJobs: false })
  lib = await makeTinyLibrary(core, join(dir, 'lib'), {
    name: 'tiny',
    genres: ['classical', 'metal'],
    perGenre: 3,
    seconds: SECONDS
  })
  matrix = loadLibraryMatrix(core.workspace, core.workspace.catalogue.libraries.get(lib.id)!)
}, 120_000)

afterAll(async () => {
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('spectral generator', () => {
  it('learns a ridge map to log-mel once, caches it in the workspace, and renders the target clip’s spectrum deterministically', async () => {
    const gen = await createGenerator(core.workspace, 'spectral', 'tiny', { sessions: core.sessions })
    try {
      expect(gen.describe()).toMatchObject({ method: 'spectral', map: { learntNow: true } })
      const maps = core.workspace.catalogue.arrays.list().filter((a) => a.role === 'spectral-map')
      expect(maps.map((a) => a.shape)).toEqual(
        expect.arrayContaining([[matrix.dim, expect.any(Number)], [expect.any(Number)]])
      )
      const target = lib.files.find((f) => f.genre === 'classical')!
      const other = lib.files.find((f) => f.genre === 'metal')!
      const e = embeddingOf(target.path)
      const y = await gen.generate(e, opts(1))
      expect(y.length).toBe(SECONDS * TINY_SR)
      expect(y.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true)
      expect(Math.sqrt(y.reduce((s, v) => s + v * v, 0) / y.length)).toBeGreaterThan(1e-3)
      // same seed: the same samples; another seed: another phase, so other samples
      expect(same(await gen.generate(e, opts(1)), y)).toBe(true)
      expect(same(await gen.generate(e, opts(2)), y)).toBe(false)
      // the rendered spectrum is the target's, not the other genre's
      const got = meanLogMel(y)
      const wantT = meanLogMel((await decodeAudio(join(lib.folder, target.path))).channels[0])
      const wantO = meanLogMel((await decodeAudio(join(lib.folder, other.path))).channels[0])
      expect(dist(got, wantT)).toBeLessThan(dist(got, wantO))
      // the same works from the metal side
      const ym = meanLogMel(await gen.generate(embeddingOf(other.path), opts(1)))
      expect(dist(ym, wantO)).toBeLessThan(dist(ym, wantT))
      // longer than the library's seconds: the learnt frames loop
      expect((await gen.generate(e, opts(1, 6))).length).toBe(6 * TINY_SR)
    } finally {
      await gen.dispose()
    }
    const again = await createGenerator(core.workspace, 'spectral', lib.id, { sessions: core.sessions })
    expect(again.describe()).toMatchObject({ map: { learntNow: false } })
    await again.dispose()
  }, 120_000)

  it('rejects an embedding of the wrong size with a clear message', async () => {
    const gen = await createGenerator(core.workspace, 'spectral', 'tiny', { sessions: core.sessions })
    await expect(gen.generate(new Float32Array(5), opts(0))).rejects.toThrow(
      /the embedding has 5 dimensions, the generator expects 296/
    )
    await gen.dispose()
  })
})

describe('mosaic generator', () => {
  it('lays beat units of the nearest clips end to end with equal-power crossfades, deterministically', async () => {
    const gen = new MosaicGenerator(matrix, core.sessions)
    const target = lib.files[1]
    const e = embeddingOf(target.path)
    const r = await gen.compose(e, opts(3, 6))
    expect(r.samples.length).toBe(6 * TINY_SR)
    // the nearest neighbour is the clip itself; the neighbours are the k best by cosine
    const cos = (a: Float32Array, b: Float32Array) => {
      let ab = 0
      let aa = 0
      let bb = 0
      for (let i = 0; i < a.length; i++) {
        ab += a[i] * b[i]
        aa += a[i] * a[i]
        bb += b[i] * b[i]
      }
      return ab / Math.sqrt(aa * bb)
    }
    const ranked = matrix.items
      .map((_, row) => ({ row, s: cos(e, matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim)) }))
      .sort((a, b) => b.s - a.s)
    expect(r.neighbours[0].path.endsWith(target.path)).toBe(true)
    expect(r.neighbours.map((n) => n.row)).toEqual(ranked.slice(0, r.neighbours.length).map((x) => x.row))
    expect(r.units.length).toBeGreaterThan(4)
    // every unit's interior is a neighbour's audio, sample for sample (up to one global gain)
    const audio = new Map<number, Float32Array>()
    for (const n of r.neighbours) audio.set(n.row, (await decodeAudio(n.path)).channels[0])
    const fade = Math.round(0.03 * TINY_SR)
    let gain = NaN
    for (const u of r.units.slice(0, -1)) {
      const src = audio.get(u.row)!
      expect(src).toBeDefined()
      for (let i = fade; i < u.length; i += 97) {
        const s = src[u.srcStart + i]
        if (Math.abs(s) < 1e-3) continue
        const g = r.samples[u.dstStart + i] / s
        if (Number.isNaN(gain)) gain = g
        expect(g).toBeCloseTo(gain, 4)
      }
    }
    expect(gain).toBeGreaterThan(0.2)
    expect(gain).toBeLessThanOrEqual(1)
    // determinism
    expect(same((await gen.compose(e, opts(3, 6))).samples, r.samples)).toBe(true)
    await gen.dispose()
  }, 60_000)

  it('joins units of different clips without clicks: jumps stay within what equal-power crossfades allow', async () => {
    // smooth tonal clips (a click would stand out against their small sample-to-sample steps)
    const folder = join(dir, 'tones')
    mkdirSync(folder, { recursive: true })
    const freqs = [220, 233, 262, 277]
    const tones = freqs.map((f, k) =>
      Float32Array.from({ length: 4 * TINY_SR }, (_, i) => {
        const t = i / TINY_SR
        return 0.3 * (0.7 + 0.3 * Math.cos(2 * Math.PI * 2 * t)) * Math.sin(2 * Math.PI * f * t + k)
      })
    )
    tones.forEach((x, k) =>
      writeFileSync(join(folder, `tone-${k}.wav`), encodeWav({ sampleRate: TINY_SR, channels: [x] }))
    )
    const added = await addLibrary(
      core.workspace,
      { folder, name: 'tones', extractor: 'builtin', seconds: 4 },
      SILENT_IO
    )
    const m = loadLibraryMatrix(core.workspace, core.workspace.catalogue.libraries.get(added.id)!)
    // halfway between two clips: both are drawn on
    const e = new Float32Array(m.dim)
    for (let j = 0; j < m.dim; j++) e[j] = 0.5 * (m.data[j] + m.data[m.dim + j])
    const gen = new MosaicGenerator(m, core.sessions)
    const r = await gen.compose(e, opts(1, 8))
    const joints = r.units.slice(1).filter((u, i) => {
      const prev = r.units[i]
      return u.row !== prev.row || u.srcStart !== prev.srcStart + prev.length
    })
    expect(joints.length).toBeGreaterThan(0)
    expect(new Set(r.units.map((u) => u.row)).size).toBeGreaterThan(1)
    let srcJump = 0
    let srcPeak = 0
    for (const x of tones) {
      srcJump = Math.max(srcJump, maxJump(x))
      for (const v of x) srcPeak = Math.max(srcPeak, Math.abs(v))
    }
    const fade = Math.round(0.03 * TINY_SR)
    // |Δ(g1 a + g2 b)| <= (g1 + g2) max|Δx| + (|Δg1| + |Δg2|) max|x|, g1 + g2 <= √2, |Δg| <= π / (2 fade)
    const bound = Math.SQRT2 * srcJump + (2 * srcPeak * Math.PI) / (2 * fade) + 2 / 32768
    for (const u of joints)
      expect(maxJump(r.samples, u.dstStart - fade, u.dstStart + fade + 1)).toBeLessThanOrEqual(bound)
    expect(maxJump(r.samples)).toBeLessThanOrEqual(bound)
    await gen.dispose()
  }, 60_000)
})

describe('ONNX generator folders', () => {
  const D = 296
  const N = 800
  const S = 16
  let W: Float32Array
  let V: Float32Array

  beforeAll(() => {
    // audio = tanh(embedding · W + noise · V): [1, 296] and [1, 16] -> [1, 800] at 8 kHz
    W = Float32Array.from({ length: D * N }, (_, i) => 0.01 * Math.sin(i * 0.013))
    V = Float32Array.from({ length: S * N }, (_, i) => 0.05 * Math.cos(i * 0.071))
    const g = new GraphBuilder('toygen')
    const e = g.input('embedding', 'float32', [1, D])
    const z = g.input('noise', 'float32', [1, S])
    const a = g.node('Add', [
      g.node('MatMul', [e, g.initializer('W', W, [D, N])]),
      g.node('MatMul', [z, g.initializer('V', V, [S, N])])
    ])
    g.output(g.node('Tanh', [a], {}, { outputs: ['audio'] }), 'float32', [1, N])
    const folder = join(wsDir, 'models', 'toygen')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'model.onnx'), g.toModel())
    writeFileSync(
      join(folder, 'manifest.json'),
      JSON.stringify({
        name: 'toygen',
        sampleRate: 8000,
        input: { name: 'embedding', dim: D },
        noise: { name: 'noise', size: S },
        output: { name: 'audio' }
      })
    )
  })

  it('runs the model through the session manager: embedding [1, D] in, audio [1, samples] out, noise from the seed', async () => {
    const gen = await createGenerator(core.workspace, 'onnx:toygen', 'tiny', { sessions: core.sessions })
    try {
      expect(gen.id).toBe('onnx:toygen')
      expect(gen.describe()).toMatchObject({
        method: 'onnx:toygen',
        modelSha256: expect.stringMatching(/^[0-9a-f]{64}$/)
      })
      const e = embeddingOf(lib.files[0].path)
      // 0.25 s at 8 kHz = 2000 samples: three runs of 800, the last cut
      const y = await gen.generate(e, { seed: 5, seconds: 0.25, sampleRate: 8000 })
      expect(y.length).toBe(2000)
      for (const run of [0, 1]) {
        const noise = seededNormal(noiseSeed(5, run), S)
        for (const j of [0, 123, 799]) {
          let acc = 0
          for (let i = 0; i < D; i++) acc += e[i] * W[i * N + j]
          for (let i = 0; i < S; i++) acc += noise[i] * V[i * N + j]
          expect(y[run * N + j]).toBeCloseTo(Math.tanh(acc), 4)
        }
      }
      expect(same(await gen.generate(e, { seed: 5, seconds: 0.25, sampleRate: 8000 }), y)).toBe(true)
      expect(same(await gen.generate(e, { seed: 6, seconds: 0.25, sampleRate: 8000 }), y)).toBe(false)
      // another output rate: resampled to it
      expect((await gen.generate(e, { seed: 5, seconds: 0.25, sampleRate: 16000 })).length).toBe(4000)
    } finally {
      await gen.dispose()
    }
  })

  it('says clearly what is wrong with a folder', async () => {
    const folder = join(wsDir, 'models', 'broken')
    mkdirSync(folder, { recursive: true })
    await expect(createGenerator(core.workspace, 'onnx:broken', 'tiny', { sessions: core.sessions })).rejects.toThrow(
      /broken.manifest\.json: generator folder has no manifest\.json/
    )
    writeFileSync(join(folder, 'model.onnx'), readFileSync(join(wsDir, 'models', 'toygen', 'model.onnx')))
    writeFileSync(
      join(folder, 'manifest.json'),
      JSON.stringify({
        sampleRate: 8000,
        input: { name: 'embedding', dim: 64 },
        noise: { name: 'noise', size: 16 },
        output: { name: 'audio' }
      })
    )
    await expect(createGenerator(core.workspace, 'onnx:broken', 'tiny', { sessions: core.sessions })).rejects.toThrow(
      /manifest\.json: field input\.dim: the model's input "embedding" has shape \[1, 296\], the manifest says \[1, 64\]/
    )
    writeFileSync(
      join(folder, 'manifest.json'),
      JSON.stringify({ sampleRate: 8000, input: { name: 'embedding', dim: 296 }, output: { name: 'audio' } })
    )
    await expect(createGenerator(core.workspace, 'onnx:broken', 'tiny', { sessions: core.sessions })).rejects.toThrow(
      /the model has inputs the manifest does not name: noise/
    )
    await expect(createGenerator(core.workspace, 'onnx:absent', 'tiny', { sessions: core.sessions })).rejects.toThrow(
      /no model folder "absent": put model.onnx and manifest.json in/
    )
  })
})

describe('MusicGen', () => {
  it('names every file to place, and where, when the local folder is missing (nothing is downloaded)', async () => {
    const err = await createGenerator(core.workspace, 'musicgen', 'tiny', { sessions: core.sessions }).catch(
      (e: Error) => e
    )
    expect(err).toBeInstanceOf(Error)
    const msg = (err as Error).message
    expect(msg).toMatch(/MusicGen model files are missing from .*models[\\/]musicgen-small/)
    for (const f of MUSICGEN_FILES) expect(msg).toContain(f)
    expect(msg).toContain('https://huggingface.co/Xenova/musicgen-small')
  })

  it('with the files in place, says that @huggingface/transformers is needed when it is not installed', async () => {
    let installed = true
    try {
      require.resolve('@huggingface/transformers')
    } catch {
      installed = false
    }
    if (installed) return // then the folder's (empty) files would be loaded instead: nothing to check here
    const folder = join(wsDir, 'models', 'musicgen-small')
    for (const f of MUSICGEN_FILES) {
      mkdirSync(join(folder, ...f.split('/').slice(0, -1)), { recursive: true })
      writeFileSync(join(folder, ...f.split('/')), '')
    }
    try {
      await expect(createGenerator(core.workspace, 'musicgen', 'tiny', { sessions: core.sessions })).rejects.toThrow(
        /@huggingface\/transformers is not installed: MusicGen generation needs it/
      )
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('prompts with the genres of the library items nearest the embedding', async () => {
    const index = CosineIndex.fromLibrary(Float32Array.from(matrix.data), matrix.rows, matrix.dim)
    const metal = lib.files.find((f) => f.genre === 'metal')!
    const { prompt, neighbours } = await promptFor(matrix, index, embeddingOf(metal.path), core.sessions)
    expect(prompt).toMatch(/^metal( and classical)? music$/)
    expect(neighbours[0].itemId).toBe(matrix.items.find((i) => i.path === metal.path)!.id)
  })
})

describe('clear errors', () => {
  it('unknown method, unknown library, a library too small to learn from', async () => {
    await expect(createGenerator(core.workspace, 'granular', 'tiny')).rejects.toThrow(
      /unknown generation method "granular"/
    )
    await expect(createGenerator(core.workspace, 'mosaic', 'nope')).rejects.toThrow(/no library named "nope"/)
    const small = await makeTinyLibrary(core, join(dir, 'small'), {
      name: 'small',
      genres: ['jazz'],
      perGenre: 2,
      seconds: 2
    })
    await expect(createGenerator(core.workspace, 'spectral', small.name, { sessions: core.sessions })).rejects.toThrow(
      /library "small" has 2 embedded item\(s\); the spectral generator learns from at least 4/
    )
  }, 60_000)
})

describe('b2m generate and b2m eval identification', () => {
  it('generate --embedding writes the clip and a provenance sidecar; the same seed gives the same samples', async () => {
    const embFile = join(dir, 'E.npy')
    const rows = new Float32Array(2 * matrix.dim)
    rows.set(embeddingOf(lib.files[4].path), matrix.dim)
    writeNpy(embFile, { dtype: 'float32', shape: [2, matrix.dim], data: rows })
    const out = join(dir, 'out', 'clip.flac')
    const args = ['generate', '--embedding', embFile, '--row', '1', '--method', 'mosaic', '--library', 'tiny']
    const r = b2m(...args, '--seed', '7', '--seconds', '3', '--out', out, '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const printed = JSON.parse(r.stdout)
    const sidecar = JSON.parse(readFileSync(join(dir, 'out', 'clip.json'), 'utf8'))
    expect(printed.sidecar).toBe(join(dir, 'out', 'clip.json'))
    expect(sidecar).toMatchObject({
      audio: out,
      method: 'mosaic',
      seed: 7,
      model: null,
      library: { id: lib.id, name: 'tiny' },
      embeddingDim: matrix.dim,
      embeddingFile: { path: embFile, row: 1 },
      sampleRate: TINY_SR,
      seconds: 3,
      generator: { method: 'mosaic' }
    })
    expect(sidecar.embeddingSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(sidecar.codeVersion).toEqual(expect.any(String))
    const clip = (await decodeAudio(out)).channels[0]
    const gen = new MosaicGenerator(matrix, core.sessions)
    const want = await gen.generate(embeddingOf(lib.files[4].path), opts(7, 3))
    expect(clip.length).toBe(want.length)
    let worst = 0
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(clip[i] - want[i]))
    expect(worst).toBeLessThanOrEqual(1 / 32768 + 1e-6) // 16-bit FLAC
    const r2 = b2m(...args, '--seed', '7', '--seconds', '3', '--out', join(dir, 'out', 'again.flac'))
    expect(r2.code).toBe(0)
    expect(readFileSync(join(dir, 'out', 'again.flac')).equals(readFileSync(out))).toBe(true)
    // a bad row: exit 2, the file named, nothing written
    const bad = b2m(...args, '--row', '2', '--out', join(dir, 'out', 'bad.flac'))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`${embFile}: --row 2 is outside the 2 row(s) of the embedding`)
    expect(existsSync(join(dir, 'out', 'bad.flac'))).toBe(false)
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['again.flac', 'again.json', 'clip.flac', 'clip.json'])
  }, 60_000)

  it('eval identification prints Eq. 2 on known matrices, and names both files on a shape mismatch', () => {
    // T: 4 clips x 3 dims; P = T with rows 2 and 3 swapped: clips 0 and 1 are identified against all
    // 3 others, 2 and 3 are beaten by each other (each scores 2 of 3)
    const T = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0])
    const P = Float64Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1])
    const tFile = join(dir, 'T.npy')
    const pFile = join(dir, 'P.npy')
    writeNpy(tFile, { dtype: 'float64', shape: [4, 3], data: T })
    writeNpy(pFile, { dtype: 'float64', shape: [4, 3], data: P })
    const ok = b2m('eval', 'identification', '--pred', tFile, '--true', tFile, '--json')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ identification_accuracy: 1, per_sample: [1, 1, 1, 1], chance: 0.5, n: 4 })
    const swapped = JSON.parse(b2m('eval', 'identification', '--pred', pFile, '--true', tFile, '--json').stdout)
    expect(swapped.n).toBe(4)
    expect(swapped.per_sample[0]).toBe(1)
    expect(swapped.per_sample[1]).toBe(1)
    // row 2 of P ([1,1,0]) correlates perfectly with T_3, not with its own T_2 ([0,0,1])
    expect(swapped.per_sample[2]).toBeLessThan(1)
    expect(swapped.per_sample[3]).toBeLessThan(1)
    expect(swapped.identification_accuracy).toBeCloseTo(
      swapped.per_sample.reduce((a: number, b: number) => a + b, 0) / 4,
      12
    )
    const shortFile = join(dir, 'short.npy')
    writeNpy(shortFile, { dtype: 'float32', shape: [3, 3], data: new Float32Array(9).fill(1) })
    const bad = b2m('eval', 'identification', '--pred', shortFile, '--true', tFile, '--json')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`shape mismatch: ${shortFile} is [3, 3] but ${tFile} is [4, 3]`)
    expect(bad.stdout).toBe('')
  }, 60_000)
})

describe('the generate.clips job', () => {
  let jdir: string
  let jcore: Core
  let decoder: number
  let testStimuli: number[]

  const start = async (params: Record<string, unknown>): Promise<Job> =>
    (await dispatch(jcore, 'jobs.start', { kind: 'generate.clips', params })) as Job
  const clipsOf = async (model: number) => (await dispatch(jcore, 'clips.list', { model })) as ClipInfo[]
  const { succeed } = coreCalls(() => jcore)

  beforeAll(async () => {
    // a decoder on the mini ds003720: imported, audio attached, whole-clip embeddings, clip responses
    jdir = mkdtempSync(join(tmpdir(), 'b2m-generate-job-'))
    const data = join(jdir, 'ds')
    const gtzan = join(jdir, 'gtzan')
    await writeMiniDs003720(data, [
      { task: 'Training', run: 1 },
      { task: 'Test', run: 1 }
    ])
    jcore = Core.open(join(jdir, 'ws'), { face: 'cli', runJobs: true })
    await succeed('import.bids', { path: data })
    const stimuli = (await dispatch(jcore, 'stimuli.list', {})) as StimulusInfo[]
    for (const s of stimuli) {
      if (!s.genre || !s.track) continue
      // a cheap genre-coloured tone (rendering dozens of 30 s tracks with the synthesiser would dominate the test)
      const f0 = 110 * 2 ** ((s.genre.length * 3 + Number(s.track)) / 12)
      const x = Float32Array.from({ length: Math.round(((s.end ?? 15) + 0.5) * TINY_SR) }, (_, i) => {
        const t = i / TINY_SR
        return (
          0.3 * Math.sin(2 * Math.PI * f0 * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * (1 + s.genre!.length / 4) * t))
        )
      })
      mkdirSync(join(gtzan, s.genre), { recursive: true })
      writeFileSync(
        join(gtzan, s.genre, `${s.genre}.${String(Number(s.track)).padStart(5, '0')}.wav`),
        encodeWav({ sampleRate: TINY_SR, channels: [x] })
      )
    }
    await succeed('stimuli.attach', { folder: gtzan })
    await succeed('features.compute', { name: 'clips', window: 15, step: 15, pca: 8 })
    await succeed('preprocess', { subject: 'sub-001', grid: 'clip', window: 15, step: 15 })
    decoder = (
      await succeed<{ modelId: number }>('train.decoder', {
        subject: 'sub-001',
        featureSet: 'clips',
        folds: 3,
        seed: 1
      })
    ).modelId
    testStimuli = decoderTestPredictions(jcore.workspace, decoder).stimulusIds
    await makeTinyLibrary(jcore, join(jdir, 'lib'), {
      name: 'tiny',
      genres: ['classical', 'metal', 'jazz'],
      perGenre: 2,
      seconds: SECONDS
    })
  }, 300_000)

  afterAll(async () => {
    await jcore?.close()
    rmSync(jdir, { recursive: true, force: true })
  })

  it('generates a catalogued FLAC per test clip in the decoder’s embedding space; the same seed replaces', async () => {
    expect(testStimuli.length).toBeGreaterThan(1)
    const job = await jcore.jobs.waitFor(
      (await start({ model: decoder, method: 'mosaic', library: 'tiny', seed: 2 })).id
    )
    expect(job.error).toBeNull()
    const ids = (job.result as { clips: number[] }).clips
    expect(ids).toHaveLength(testStimuli.length)
    const clips = await clipsOf(decoder)
    expect(clips.map((c) => c.id).sort()).toEqual([...ids].sort())
    expect(new Set(clips.map((c) => c.stimulusId))).toEqual(new Set(testStimuli))
    for (const c of clips) {
      expect(c).toMatchObject({ method: 'mosaic', audio: true, libraryItemId: null, modelId: decoder })
      expect(c.provenance).toMatchObject({
        model: decoder,
        seed: 2,
        method: 'mosaic',
        library: { name: 'tiny' },
        embeddingDim: 8,
        generator: { method: 'mosaic', space: expect.stringMatching(/^feature-set:\d+:/) }
      })
      expect(c.duration).toBeGreaterThan(1)
    }
    // the predicted embedding of each clip is the one recorded
    const pred = decoderTestPredictions(jcore.workspace, decoder)
    const c0 = clips.find((c) => c.stimulusId === pred.stimulusIds[0])!
    expect(c0.provenance.embeddingSha256).toBe(embeddingSha256(Float32Array.from(pred.pred.subarray(0, pred.dim))))
    const again = await jcore.jobs.waitFor(
      (await start({ model: decoder, method: 'mosaic', library: 'tiny', seed: 2 })).id
    )
    expect(again.state).toBe('succeeded')
    const after = await clipsOf(decoder)
    expect(after).toHaveLength(clips.length)
    expect(readdirSync(join(jdir, 'ws', 'clips', `model-${decoder}`))).toHaveLength(clips.length)
    // the CLI sees them and exports them with their sidecars
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(repo, 'bin', 'b2m.cjs'), '--workspace', join(jdir, 'ws'), ...args], {
        cwd: repo,
        encoding: 'utf8'
      })
    const listed = cli('clips', 'list', '--model', String(decoder), '--json')
    expect(listed.status).toBe(0)
    expect((JSON.parse(listed.stdout) as ClipInfo[]).map((c) => c.id).sort()).toEqual(after.map((c) => c.id).sort())
    const two = after.slice(0, 2).map((c) => c.id)
    const exported = cli(
      'clips',
      'export',
      '--ids',
      two.join(','),
      '--format',
      'wav',
      '--out',
      join(jdir, 'exp'),
      '--json'
    )
    expect(exported.status).toBe(0)
    expect(readdirSync(join(jdir, 'exp')).sort()).toEqual(
      two.flatMap((id) => [`clip-${id}-mosaic.json`, `clip-${id}-mosaic.wav`]).sort()
    )
  }, 120_000)

  it('a cancel or a failure leaves the catalogue and the workspace as they were', async () => {
    const before = {
      counts: jcore.workspace.catalogue.counts(),
      files: readdirSync(join(jdir, 'ws'), { recursive: true }).sort()
    }
    const job = await start({ model: decoder, method: 'spectral', library: 'tiny', seed: 1 })
    let asked = false
    const off = jcore.events.on('job.update', (j) => {
      if (j.id === job.id && j.state === 'running' && !asked) {
        asked = true
        jcore.jobs.cancel(job.id)
      }
    })
    const done = await jcore.jobs.waitFor(job.id)
    off()
    expect(done.state).toBe('cancelled')
    const bad = await jcore.jobs.waitFor(
      (await start({ model: decoder, method: 'mosaic', library: 'tiny', stimuli: [999] })).id
    )
    expect(bad.state).toBe('failed')
    expect(bad.error).toMatch(/stimulus 999 is not a test clip of decoder \d+/)
    const jobsNow = jcore.workspace.catalogue.counts()
    expect({ ...jobsNow, jobs: 0 }).toEqual({ ...before.counts, jobs: 0 })
    expect(jcore.workspace.catalogue.arrays.list().filter((a) => a.role === 'spectral-map')).toEqual([])
    const files = readdirSync(join(jdir, 'ws'), { recursive: true })
      .filter((f) => !String(f).startsWith('catalogue.sqlite'))
      .sort()
    expect(files).toEqual(before.files.filter((f) => !String(f).startsWith('catalogue.sqlite')))
  }, 120_000)

  it('spectral: the map is learnt in the decoder’s space (PCA dimensions) and kept for the next run', async () => {
    const two = testStimuli.slice(0, 2)
    const job = await jcore.jobs.waitFor(
      (await start({ model: decoder, method: 'spectral', library: 'tiny', seed: 4, stimuli: two })).id
    )
    expect(job.error).toBeNull()
    const maps = jcore.workspace.catalogue.arrays.list().filter((a) => a.role === 'spectral-map')
    expect(maps).toHaveLength(2)
    expect(maps.map((a) => a.shape)).toEqual(expect.arrayContaining([[8, expect.any(Number)], [expect.any(Number)]]))
    const clips = (await clipsOf(decoder)).filter((c) => c.method === 'spectral')
    expect(clips.map((c) => c.stimulusId).sort()).toEqual([...two].sort())
    for (const c of clips) {
      expect(c.audio).toBe(true)
      expect(c.provenance).toMatchObject({
        seed: 4,
        generator: { method: 'spectral', map: { learntNow: true }, space: expect.stringMatching(/^feature-set:/) }
      })
      const wav = (await dispatch(jcore, 'clips.audio', { id: c.id })) as { duration: number }
      expect(wav.duration).toBeCloseTo(c.duration!, 6)
    }
    const again = await jcore.jobs.waitFor(
      (await start({ model: decoder, method: 'spectral', library: 'tiny', seed: 4, stimuli: [two[0], two[0]] })).id
    )
    expect(again.error).toBeNull()
    const redone = (await clipsOf(decoder)).filter((c) => c.method === 'spectral')
    expect(redone).toHaveLength(2)
    expect(redone.find((c) => c.stimulusId === two[0])!.provenance).toMatchObject({
      generator: { map: { learntNow: false } }
    })
    expect(jcore.workspace.catalogue.arrays.list().filter((a) => a.role === 'spectral-map')).toHaveLength(2)
  }, 180_000)
})
