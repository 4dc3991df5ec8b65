/**
 * Music in, end to end on real files: stimulus audio cut from a GTZAN-like folder (WAV, Sun .au written by
 * us and by sox) for the stimuli of the mini ds003720 (1 training + 1 test run, real events), feature sets
 * computed through the job runner (shapes, determinism, training-only normalisation, the join with a real
 * preprocessing), a music library scanned in worker threads and re-scanned, and the CLI commands.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import {
  type AudioData,
  cutExcerpt,
  decodeAudio,
  decodeAudioBytes,
  encodeAu,
  encodeFlac,
  encodeWav
} from '../../src-main/formats/audio'
import { encodeNpyParts, readNpy } from '../../src-main/formats/npy'
import { FeatureTransform, OnnxEncoder } from '../../src-main/features'
import { GraphBuilder } from '../../src-main/onnx/graph'
import { SessionManager } from '../../src-main/onnx/sessions'
import {
  SILENT_IO,
  addLibrary,
  attachStimuli,
  computeFeatureSet,
  featureRowsFor,
  gatherFeatures,
  npyFloat32Header
} from '../../src-main/music'
import type {
  FeatureSetDetail,
  FeatureSetInfo,
  FeaturesComputeResult,
  Job,
  LibraryAddResult,
  LibraryInfo,
  LibraryItem,
  StimuliAttachResult,
  StimulusInfo
} from '../../src-preload/api'
import { genreSynth } from '../helpers/decode-seed'
import { writeMiniDs003720 } from '../helpers/mini-bids'
import { coreCalls, filesUnder, runCli } from '../helpers/core'

const SR = 22050
const have = (tool: string) => spawnSync('which', [tool]).status === 0
const SOX = have('sox')
const FFMPEG = have('ffmpeg')

let dir: string
let wsDir: string
let gtzan: string
let libDir: string
let core: Core

const { call, runJob, succeed } = coreCalls(() => core)

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')

/** The genre-styled test signal the decode seed uses, at full amplitude. */
const synth = (genre: string, track: number, seconds: number, sr = SR): Float32Array =>
  genreSynth(genre, track, seconds, 1, sr)

const mono = (x: Float32Array, sr = SR): AudioData => ({ sampleRate: sr, channels: [x] })

let stimuli: StimulusInfo[]
/** Stimuli given a track in the GTZAN-like folder (all test clips and the first training clips). */
let provided: StimulusInfo[]
let corrupt: StimulusInfo

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-music-'))
  wsDir = join(dir, 'ws')
  gtzan = join(dir, 'gtzan')
  libDir = join(dir, 'lib')
  const data = join(dir, 'ds')
  await writeMiniDs003720(data, [
    { task: 'Training', run: 1 },
    { task: 'Test', run: 1 }
  ])
  core = Core.open(wsDir, { face: 'cli', runJobs: true })
  await succeed('import.bids', { path: data })
  stimuli = await call<StimulusInfo[]>('stimuli.list')
  const test = stimuli.filter((s) => s.role === 'test')
  const train = stimuli.filter((s) => s.role === 'train')
  provided = [...test, ...train.slice(0, 6)]
  corrupt = train[6]
  // Tracks as GTZAN has them (22.05 kHz mono, 30 s): WAV from our encoder, some as Sun .au (ours, and
  // sox's when installed), and one file that is not audio at all.
  provided.forEach((s, i) => {
    const track = Number(s.track)
    const x = synth(s.genre!, track, Math.max(30, s.end! + 0.5))
    const stem = join(gtzan, s.genre!, `${s.genre}.${String(track).padStart(5, '0')}`)
    mkdirSync(join(gtzan, s.genre!), { recursive: true })
    if (i % 7 === 3) writeFileSync(`${stem}.au`, encodeAu(mono(x)))
    else if (i % 7 === 5 && SOX) {
      writeFileSync(`${stem}.tmp.wav`, encodeWav(mono(x)))
      expect(spawnSync('sox', [`${stem}.tmp.wav`, '-e', 'signed-integer', '-b', '16', `${stem}.au`]).status).toBe(0)
      unlinkSync(`${stem}.tmp.wav`)
    } else writeFileSync(`${stem}.wav`, encodeWav(mono(x)))
  })
  mkdirSync(join(gtzan, corrupt.genre!), { recursive: true })
  writeFileSync(
    join(gtzan, corrupt.genre!, `${corrupt.genre}.${String(Number(corrupt.track)).padStart(5, '0')}.wav`),
    'not a wav file at all'
  )
}, 60_000)

afterAll(async () => {
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('stimulus audio', () => {
  it('attaches every provided excerpt as FLAC (2 s fades, RMS 0.1), lists the missing, and skips them on re-attach', async () => {
    expect(stimuli.length).toBeGreaterThan(40)
    expect(provided.filter((s) => s.role === 'test').length).toBe(10)
    const r = await succeed<StimuliAttachResult>('stimuli.attach', { folder: gtzan })
    expect(r.attached).toBe(provided.length)
    expect(r.skipped).toBe(0)
    expect(r.missing.length).toBe(stimuli.length - provided.length)
    const bad = r.missing.find((m) => m.stimulusId === corrupt.id)!
    expect(bad.reason).toMatch(/not a recognised audio file/)
    const absent = r.missing.find((m) => m.stimulusId !== corrupt.id)!
    expect(absent.reason).toMatch(/no such track/)
    expect(absent.expected).toMatch(/\.000\d\d\.wav\|au$/)

    const list = await call<StimulusInfo[]>('stimuli.list')
    const withAudio = list.filter((s) => s.audio)
    expect(withAudio.map((s) => s.id).sort()).toEqual(provided.map((s) => s.id).sort())
    const s = withAudio.find((x) => x.role === 'test')!
    expect(s.occurrences).toBeGreaterThanOrEqual(4)
    expect(s.audioPath).toBe(`stimuli/${s.genre}.${String(Number(s.track)).padStart(5, '0')}_${s.start}.flac`)
    const flac = join(wsDir, ...s.audioPath!.split('/'))
    expect(sha(flac)).toBe(s.audioSha256)
    const audio = await decodeAudio(flac)
    expect(audio.sampleRate).toBe(SR)
    expect(audio.channels[0].length).toBe(Math.round((s.end! - s.start!) * SR))
    // the excerpt of the source track, faded and normalised, to 16-bit precision
    const ref = cutExcerpt(mono(synth(s.genre!, Number(s.track), Math.max(30, s.end! + 0.5))), s.start!, s.end!)
    let rms = 0
    let maxErr = 0
    for (let i = 0; i < ref.channels[0].length; i++) {
      rms += audio.channels[0][i] ** 2
      maxErr = Math.max(maxErr, Math.abs(audio.channels[0][i] - ref.channels[0][i]))
    }
    expect(Math.sqrt(rms / ref.channels[0].length)).toBeCloseTo(0.1, 3)
    expect(maxErr).toBeLessThan(1 / 32768 + 1e-6)
    expect(Math.abs(audio.channels[0][10])).toBeLessThan(0.01)

    // playback: the excerpt as WAV bytes
    const wav = await call<{ base64: string; sampleRate: number; duration: number; mime: string }>('stimuli.audio', {
      id: s.id
    })
    expect(wav.mime).toBe('audio/wav')
    const back = await decodeAudioBytes(Buffer.from(wav.base64, 'base64'))
    expect(back.sampleRate).toBe(SR)
    expect(wav.duration).toBeCloseTo(s.end! - s.start!, 6)
    expect(Array.from(back.channels[0].subarray(5000, 5010))).toEqual(
      Array.from(audio.channels[0].subarray(5000, 5010))
    )
    await expect(call('stimuli.audio', { id: corrupt.id })).rejects.toThrow(/has no audio/)

    const again = await succeed<StimuliAttachResult>('stimuli.attach', { folder: gtzan })
    expect(again).toMatchObject({ attached: 0, skipped: provided.length })
    expect(sha(flac)).toBe(s.audioSha256)
    await expect(attachStimuli(core.workspace, { folder: join(dir, 'nowhere') }, SILENT_IO)).rejects.toThrow(
      /nowhere: the GTZAN folder does not exist/
    )
  })
})

describe('feature sets', () => {
  let a: FeaturesComputeResult

  it('embeds 4 windows (10 s every 1.5 s) per 15 s clip, normalised on the training stimuli, deterministically', async () => {
    a = await succeed<FeaturesComputeResult>('features.compute', {
      name: 'paper',
      extractor: 'builtin',
      window: 10,
      step: 1.5,
      pca: 16
    })
    expect(a).toMatchObject({ rows: provided.length * 4, dim: 16, stimuli: provided.length })
    expect(a.withoutAudio).toBe(stimuli.length - provided.length)
    const b = await succeed<FeaturesComputeResult>('features.compute', {
      name: 'paper-again',
      window: 10,
      step: 1.5,
      pca: 16
    })
    const arrays = core.workspace.catalogue.arrays.list('features')
    expect(arrays).toHaveLength(2)
    expect(arrays[0].sha256).toBe(arrays[1].sha256)
    const A = core.workspace.readArray(arrays[0].id, { verify: true })
    expect(A.shape).toEqual([provided.length * 4, 16])

    const detail = await call<FeatureSetDetail>('features.get', { id: a.id })
    expect(detail.summary).toMatchObject({ windowStarts: [0, 1.5, 3, 4.5], windowsPerStimulus: 4 })
    expect(detail.summary.test).toBe(40)
    expect(detail.summary.train).toBe((provided.length - 10) * 4)
    expect(detail).toMatchObject({ extractor: 'builtin', dim: 16, pca: 16, normalised: true })
    expect(detail.params).toMatchObject({ window: 10, step: 1.5, pca: 16, normalise: true })
    expect((detail.provenance.extractor as { dim: number }).dim).toBe(296)
    expect(Object.keys(detail.provenance.audio as object)).toHaveLength(provided.length)
    expect(detail.provenance.codeVersion).toMatch(/^\d+\.\d+\.\d+/)
    // the transform was fitted on the training rows only: their PCA scores have mean 0, the test rows' not
    const transform = detail.transform as { path: string; fittedOn: { rows: number }; outDim: number }
    expect(transform.fittedOn.rows).toBe(detail.summary.train)
    const loaded = FeatureTransform.load(join(wsDir, ...transform.path.split('/')))
    expect(loaded.outDim).toBe(16)
    const rows = core.workspace.catalogue.featureSets.rows(a.id)
    const data = A.data as Float32Array
    for (const role of ['train', 'test'] as const) {
      const idx = rows.flatMap((r, i) => (r.role === role ? [i] : []))
      const mean = Array.from({ length: 16 }, (_, j) => idx.reduce((s, i) => s + data[i * 16 + j], 0) / idx.length)
      if (role === 'train') for (const m of mean) expect(Math.abs(m)).toBeLessThan(1e-3)
      else expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(0.01)
    }
    expect(rows[1]).toMatchObject({ windowIndex: 1, windowStart: 1.5, windowEnd: 11.5 })
    const listed = await call<FeatureSetInfo[]>('features.list')
    expect(listed.map((s) => s.name)).toEqual(['paper', 'paper-again'])
    expect(b.id).toBe(listed[1].id)
  })

  it('joins feature rows with the samples of a real windowed preprocessing', async () => {
    await succeed('preprocess', { subject: 'sub-001', grid: 'windows', window: 10, step: 1.5 })
    const prep = core.workspace.catalogue.preprocessing.list()[0]
    const samples = [...prep.trainSamples, ...prep.testSamples] as unknown as {
      genre: string
      track: number
      start: number
      windowStart: number
      windowEnd: number
    }[]
    expect(samples.length).toBe(prep.trainSamples.length + 40)
    const rows = core.workspace.catalogue.featureSets.rows(a.id)
    const { index, missing } = featureRowsFor(rows, samples)
    const withAudio = new Set(provided.map((s) => s.key))
    let matched = 0
    samples.forEach((s, i) => {
      const key = `${s.genre}.${s.track}@${s.start}`
      if (withAudio.has(key)) {
        expect(index[i]).toBeGreaterThanOrEqual(0)
        expect(rows[index[i]].key).toBe(key)
        expect(rows[index[i]].windowStart).toBeCloseTo(s.windowStart, 6)
        matched++
      } else expect(index[i]).toBe(-1)
    })
    expect(matched).toBe(samples.length - missing.length)
    expect(matched).toBe((provided.length - 10) * 4 + 40)
    const test = prep.testSamples as unknown as typeof samples
    const got = gatherFeatures(core.workspace, 'paper', test)
    expect(got.dim).toBe(16)
    const A = core.workspace.readArray(core.workspace.catalogue.featureSets.get(a.id)!.arrayId!).data as Float32Array
    const r0 = got.index[0]
    expect(Array.from(got.data.subarray(0, 16))).toEqual(Array.from(A.subarray(r0 * 16, r0 * 16 + 16)))
    expect(() => gatherFeatures(core.workspace, 'paper', samples)).toThrow(/has no row for \d+ of \d+ samples/)
    // a whole-clip sample does not silently take the first 10 s window
    const clip = { ...test[0], windowStart: 0, windowEnd: 15 }
    expect(featureRowsFor(rows, [clip]).missing).toEqual([0])
  })

  it('refuses a taken name, PCA beyond the training rows and an absent model, leaving nothing', async () => {
    const before = core.workspace.catalogue.counts()
    const filesBefore = filesUnder(wsDir).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm')).length
    const job = await runJob('features.compute', { name: 'paper' })
    expect(job.state).toBe('failed')
    expect(job.error).toMatch(/feature set named "paper" exists already/)
    // the rest in this process (a job each would only add a worker's start-up)
    const base = { name: 'x', extractor: 'builtin', window: 10, step: 1.5, normalise: true }
    const cases: [Partial<typeof base> & { pca?: number }, RegExp][] = [
      [{ pca: 500 }, /pca 500 is more than the 296 dimensions of builtin/],
      [{ extractor: 'onnx:absent' }, /no model folder "absent": put model\.onnx and manifest\.json in/],
      [{ extractor: 'clap' }, /clap-htsat-unfused/],
      [{ pca: 4, normalise: false }, /pca needs normalise/]
    ]
    for (const [params, message] of cases)
      await expect(computeFeatureSet(core.workspace, { ...base, ...params }, SILENT_IO)).rejects.toThrow(message)
    // the contract checks the extractor's name, and no face can start a library pool worker as a job
    await expect(
      call('jobs.start', { kind: 'features.compute', params: { name: 'z', extractor: 'nope' } })
    ).rejects.toThrow(/extractor is builtin, clap or onnx:/)
    await expect(
      call('jobs.start', { kind: 'library.add', params: { folder: libDir, poolWorker: { extractor: 'builtin' } } })
    ).rejects.toThrow(/poolWorker/)
    const after = core.workspace.catalogue.counts()
    expect({ ...after, jobs: 0 }).toEqual({ ...before, jobs: 0 })
    expect(filesUnder(wsDir).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm')).length).toBe(filesBefore)
    expect(filesUnder(join(wsDir, 'tmp'))).toEqual([])
  })

  it('writes the numpy header the array writer writes', () => {
    for (const shape of [
      [0, 296],
      [7, 3],
      [123456, 512]
    ]) {
      const n = shape[0] * shape[1]
      const { header } = encodeNpyParts({ dtype: 'float32', shape, data: new Float32Array(n) })
      expect(Buffer.from(npyFloat32Header(shape)).equals(Buffer.from(header))).toBe(true)
    }
  })
})

describe('music library', () => {
  const files: string[] = []
  const write = (rel: string, bytes: Uint8Array | string) => {
    const p = join(libDir, ...rel.split('/'))
    mkdirSync(join(p, '..'), { recursive: true })
    writeFileSync(p, bytes)
    files.push(rel)
  }

  beforeAll(() => {
    const genres = ['rock', 'jazz', 'blues']
    for (let i = 0; i < 24; i++) {
      const g = genres[i % 3]
      const x = synth(g, i, 3 + (i % 4))
      write(
        `${g}/${g}-${String(i).padStart(2, '0')}.${i % 5 === 4 ? 'flac' : 'wav'}`,
        i % 5 === 4 ? encodeFlac(mono(x)) : encodeWav(mono(x))
      )
    }
    write('classical/hi-rate.wav', encodeWav(mono(synth('classical', 1, 4, 44100), 44100), { encoding: 'float32' }))
    write('classical/gtzan-style.au', encodeAu(mono(synth('classical', 2, 4))))
    write('classical/no-extension', encodeWav(mono(synth('classical', 3, 3))))
    write('loose.wav', encodeWav(mono(synth('pop', 9, 20))))
    write('broken.wav', 'RIFF....WAVEfmt garbage')
    // not audio, or hidden: never listed
    writeFileSync(join(libDir, 'notes.txt'), 'hello')
    writeFileSync(join(libDir, '.hidden.wav'), encodeWav(mono(synth('pop', 1, 1))))
    if (FFMPEG) {
      const src = join(dir, 'src.wav')
      writeFileSync(src, encodeWav(mono(synth('disco', 4, 5))))
      const mp3 = join(libDir, 'tagged', 'song.mp3')
      mkdirSync(join(libDir, 'tagged'), { recursive: true })
      const r = spawnSync('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-i',
        src,
        '-metadata',
        'title=Night Drive',
        '-metadata',
        'artist=The Synths',
        '-metadata',
        'genre=Disco',
        '-b:a',
        '96k',
        mp3
      ])
      expect(r.status).toBe(0)
      files.push('tagged/song.mp3')
      const ogg = join(libDir, 'tagged', 'tone.ogg')
      expect(spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', src, '-c:a', 'libvorbis', ogg]).status).toBe(0)
      files.push('tagged/tone.ogg')
    }
  })

  it('a cancelled scan leaves no library, array or temp file', async () => {
    const job = await call<Job>('jobs.start', { kind: 'library.add', params: { folder: libDir } })
    await new Promise<void>((done) => {
      const off = core.events.on('job.update', (j) => {
        if (j.id === job.id && /files/.test(j.message)) {
          off()
          done()
        }
      })
    })
    await call('jobs.cancel', { id: job.id })
    const end = await core.jobs.waitFor(job.id)
    expect(end.state, end.error ?? '').toBe('cancelled')
    expect(await call('library.list')).toEqual([])
    expect(core.workspace.catalogue.arrays.list('library-embeddings')).toEqual([])
    expect(filesUnder(join(wsDir, 'tmp'))).toEqual([])
  })

  it('scans, embeds in worker threads, lists the unreadable, and re-scans only what changed', async () => {
    const r = await succeed<LibraryAddResult>('library.add', { folder: libDir })
    expect(r.files).toBe(files.length)
    expect(r.embedded).toBe(files.length - 1)
    expect(r).toMatchObject({ name: 'lib', dim: 296, unchanged: 0, removed: 0, unreadableTotal: 1 })
    expect(r.unreadable[0].path).toBe('broken.wav')
    expect(r.unreadable[0].error).toMatch(/broken\.wav/)

    const [lib] = await call<LibraryInfo[]>('library.list')
    expect(lib).toMatchObject({ name: 'lib', items: files.length, embedded: files.length - 1, unreadable: 1, dim: 296 })
    const page1 = await call<{ total: number; items: LibraryItem[] }>('library.items', { id: lib.id, limit: 10 })
    const page2 = await call<{ total: number; items: LibraryItem[] }>('library.items', {
      id: lib.id,
      offset: 10,
      limit: 1000
    })
    const items = [...page1.items, ...page2.items]
    expect(page1.total).toBe(files.length)
    expect(items.map((i) => i.row)).toEqual([...Array(files.length - 1).keys(), null])
    expect(new Set(items.map((i) => i.path))).toEqual(new Set(files))
    const byPath = new Map(items.map((i) => [i.path, i]))
    expect(byPath.get('jazz/jazz-01.wav')).toMatchObject({ genre: 'jazz', duration: 4 })
    expect(byPath.get('loose.wav')!.genre).toBeNull()
    expect(byPath.get('classical/no-extension')!.row).not.toBeNull()
    expect(byPath.get('classical/hi-rate.wav')!.duration).toBeCloseTo(4, 6)
    if (FFMPEG)
      expect(byPath.get('tagged/song.mp3')).toMatchObject({
        title: 'Night Drive',
        artist: 'The Synths',
        genre: 'Disco'
      })
    const unreadable = await call<{ total: number; items: LibraryItem[] }>('library.items', {
      id: lib.id,
      unreadable: true
    })
    expect(unreadable.items.map((i) => i.path)).toEqual(['broken.wav'])

    const arr1 = core.workspace.readArray(core.workspace.catalogue.libraries.get(lib.id)!.arrayId!, { verify: true })
    expect(arr1.shape).toEqual([files.length - 1, 296])

    // nothing changed: no file decoded, the same matrix in a new version
    const again = await succeed<LibraryAddResult>('library.add', { folder: libDir })
    expect(again).toMatchObject({ id: lib.id, embedded: 0, unchanged: files.length, removed: 0, unreadableTotal: 1 })
    const libRec = core.workspace.catalogue.libraries.get(lib.id)!
    const arr2 = core.workspace.readArray(libRec.arrayId!, { verify: true })
    expect(
      Buffer.from((arr2.data as Float32Array).buffer).equals(Buffer.from((arr1.data as Float32Array).buffer))
    ).toBe(true)
    expect(core.workspace.catalogue.arrays.list('library-embeddings')).toHaveLength(1)

    // one file changed, one gone, one new
    const changed = 'rock/rock-03.wav'
    const changedId = byPath.get(changed)!.id
    writeFileSync(join(libDir, 'rock', 'rock-03.wav'), encodeWav(mono(synth('metal', 77, 5))))
    utimesSync(join(libDir, 'rock', 'rock-03.wav'), new Date(), new Date(Date.now() + 5000))
    unlinkSync(join(libDir, 'jazz', 'jazz-01.wav'))
    writeFileSync(join(libDir, 'jazz', 'jazz-99.wav'), encodeWav(mono(synth('jazz', 99, 3))))
    const third = await succeed<LibraryAddResult>('library.add', { folder: libDir, name: 'lib' })
    expect(third).toMatchObject({ embedded: 2, unchanged: files.length - 2, removed: 1, files: files.length })
    const items3 = (await call<{ items: LibraryItem[] }>('library.items', { id: lib.id, limit: 1000 })).items
    const by3 = new Map(items3.map((i) => [i.path, i]))
    expect(by3.has('jazz/jazz-01.wav')).toBe(false)
    expect(by3.get('jazz/jazz-99.wav')!.row).not.toBeNull()
    expect(by3.get(changed)).toMatchObject({ id: changedId, duration: 5 })
    const arr3 = core.workspace.readArray(core.workspace.catalogue.libraries.get(lib.id)!.arrayId!).data as Float32Array
    const rowOf = (items: LibraryItem[], p: string) => items.find((i) => i.path === p)!.row!
    const vec = (a: Float32Array, row: number) => Array.from(a.subarray(row * 296, row * 296 + 296))
    const d1 = arr1.data as Float32Array
    expect(vec(arr3, rowOf(items3, 'blues/blues-02.wav'))).toEqual(vec(d1, rowOf(items, 'blues/blues-02.wav')))
    expect(vec(arr3, rowOf(items3, changed))).not.toEqual(vec(d1, rowOf(items, changed)))
    // the old matrices are gone from the catalogue and the disk
    expect(filesUnder(join(wsDir, 'arrays', 'libraries')).map((f) => f.split(/[\\/]/).pop())).toEqual([
      'embeddings-v3.npy'
    ])
    expect(filesUnder(join(wsDir, 'tmp'))).toEqual([])

    const other = { folder: join(libDir, 'rock'), name: 'lib', extractor: 'builtin', seconds: 15 }
    await expect(addLibrary(core.workspace, other, SILENT_IO)).rejects.toThrow(
      /library "lib" is the folder .*lib; choose another name/
    )
  })
})

describe('an ONNX encoder from the workspace models/ folder', () => {
  it('embeds a library in the pool workers exactly as the encoder does in-process', async () => {
    // a toy waveform encoder: 1 s at 8 kHz -> 50 frame energies -> 8 dimensions
    const w = Float32Array.from({ length: 50 * 8 }, (_, i) => Math.sin(i * 0.37))
    const g = new GraphBuilder('toy')
    const x = g.input('waveform', 'float32', ['batch', 8000])
    const frames = g.node('Reshape', [x, g.constant(BigInt64Array.from([-1n, 50n, 160n]), [3])])
    const l2 = g.node('ReduceL2', [frames], { axes: [2], keepdims: 0 })
    const y = g.node('MatMul', [l2, g.initializer('W', w, [50, 8])])
    g.output(g.node('Identity', [y], {}, { outputs: ['embedding'] }), 'float32', ['batch', 8])
    const model = join(wsDir, 'models', 'toy')
    mkdirSync(model, { recursive: true })
    writeFileSync(join(model, 'model.onnx'), g.toModel())
    const manifest = {
      name: 'toy',
      sampleRate: 8000,
      windowSeconds: 1,
      input: { name: 'waveform', layout: 'waveform' },
      output: { name: 'embedding', dim: 8 },
      batch: 4
    }
    writeFileSync(join(model, 'manifest.json'), JSON.stringify(manifest))
    const folder = join(dir, 'toylib')
    mkdirSync(folder)
    const signals = [1, 2, 3].map((k) => synth('rock', k, 2 + k / 3, 8000))
    signals.forEach((sig, k) => writeFileSync(join(folder, `t${k}.wav`), encodeWav(mono(sig, 8000))))
    const r = await addLibrary(core.workspace, { folder, extractor: 'onnx:toy', seconds: 15 }, SILENT_IO)
    expect(r).toMatchObject({ name: 'toylib', dim: 8, embedded: 3, unreadableTotal: 0 })
    const lib = core.workspace.catalogue.libraries.get(r.id)!
    expect(lib.extractor).toBe('onnx:toy')
    const m = core.workspace.readArray(lib.arrayId!).data as Float32Array
    const sessions = new SessionManager({ preferred: ['cpu'], intraOpNumThreads: 1 })
    try {
      const enc = await OnnxEncoder.load(model, sessions)
      for (const k of signals.keys()) {
        const e = await enc.embedWindows((await decodeAudio(join(folder, `t${k}.wav`))).channels[0])
        for (let j = 0; j < 8; j++) expect(m[k * 8 + j]).toBeCloseTo(e.data[j], 5)
      }
    } finally {
      await sessions.dispose()
    }
  })
})

describe('music from the CLI', () => {
  const b2m = (...args: string[]) => runCli(wsDir, args)

  beforeAll(async () => {
    // the CLI runs its own jobs: give the workspace's job lock back
    await core.close()
  })

  it('embeds a file, lists stimuli, feature sets and libraries, exports a set', async () => {
    const s = provided[0]
    const flac = join(wsDir, 'stimuli', `${s.genre}.${String(Number(s.track)).padStart(5, '0')}_${s.start}.flac`)
    const out = join(dir, 'export', 'paper.npy')
    const [embed, ls, fl, ll, exp] = await Promise.all([
      b2m('embed', flac, '--extractor', 'builtin', '--window', '10', '--step', '1.5', '--json'),
      b2m('stimuli', 'ls', '--json'),
      b2m('features', 'ls', '--json'),
      b2m('library', 'ls', '--json'),
      b2m('features', 'export', '--set', 'paper', '--out', out)
    ])
    expect(embed.code).toBe(0)
    const e = JSON.parse(embed.stdout)
    expect(e.dim).toBe(296)
    expect(e.windows).toHaveLength(4)
    expect(e.windows[0]).toHaveLength(296)
    expect(e.windows.flat().every(Number.isFinite)).toBe(true)
    expect(JSON.parse(ls.stdout)).toHaveLength(stimuli.length)
    expect(JSON.parse(fl.stdout).map((f: FeatureSetInfo) => f.name)).toEqual(['paper', 'paper-again'])
    expect(JSON.parse(ll.stdout)[0]).toMatchObject({ name: 'lib', unreadable: 1 })
    expect(exp.code).toBe(0)
    expect(readNpy(out).shape).toEqual([provided.length * 4, 16])
    expect(JSON.parse(readFileSync(join(dir, 'export', 'paper.rows.json'), 'utf8')).rows).toHaveLength(
      provided.length * 4
    )
  })

  it('attaches, computes whole-clip features and re-scans a library as jobs', async () => {
    const attach = await b2m('stimuli', 'attach', gtzan, '--json')
    expect(attach.code).toBe(0)
    expect(JSON.parse(attach.stdout)).toMatchObject({ attached: 0, skipped: provided.length })
    const fc = await b2m(
      'features',
      'compute',
      '--set',
      'clips',
      '--extractor',
      'builtin',
      '--window',
      '15',
      '--step',
      '15',
      '--pca',
      '4',
      '--json'
    )
    expect(fc.code, fc.stderr).toBe(0)
    expect(JSON.parse(fc.stdout)).toMatchObject({ name: 'clips', rows: provided.length, dim: 4 })
    expect(fc.stderr).toMatch(/features\.compute: 100%/)
    const lib = await b2m('library', 'add', libDir, '--json')
    expect(lib.code).toBe(0)
    expect(JSON.parse(lib.stdout)).toMatchObject({ name: 'lib', embedded: 0, removed: 0 })
  })
})
