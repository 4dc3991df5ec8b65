/**
 * The clips catalogue (migration 6), generated clips stored as FLAC in the workspace, playback of clips
 * and library items through the API, and export with provenance sidecars.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClipInfo, ClipsExportResult, WavAudio } from '../../src-preload/api'
import { Core } from '../../src-main/api/core'
import { clipsRepo } from '../../src-main/catalogue/clips'
import { clipAudio, embeddingSha256, storeGeneratedClips, type GeneratedClip } from '../../src-main/decode/clips'
import { decodeAudio, decodeAudioBytes } from '../../src-main/formats/audio'
import { makeTinyLibrary, TINY_SR, type TinyLibrary } from '../helpers/tiny-library'
import { coreCalls, filesUnder } from '../helpers/core'

let dir: string
let wsDir: string
let core: Core
let lib: TinyLibrary

const { call } = coreCalls(() => core)

/** A deterministic test signal with samples that 16-bit FLAC keeps to within 1/32768. */
function tone(seconds: number, f: number): Float32Array {
  return Float32Array.from(
    { length: Math.round(seconds * TINY_SR) },
    (_, i) => 0.4 * Math.sin((2 * Math.PI * f * i) / TINY_SR)
  )
}

function generated(over: Partial<GeneratedClip> = {}): GeneratedClip {
  return {
    samples: tone(1.5, 440),
    sampleRate: TINY_SR,
    modelId: null,
    stimulusId: null,
    stimulusKey: null,
    libraryId: lib.id,
    method: 'spectral',
    seed: 3,
    embedding: Float32Array.from({ length: 8 }, (_, i) => i / 8),
    provenance: { method: 'spectral', params: { iterations: 32 } },
    ...over
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-clips-'))
  wsDir = join(dir, 'ws')
  core = Core.open(wsDir, { face: 'cli', runJobs: false })
  lib = await makeTinyLibrary(core, join(dir, 'lib'), {
    name: 'tiny',
    genres: ['blues', 'disco'],
    perGenre: 2,
    seconds: 3
  })
}, 120_000)

afterAll(async () => {
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the clips catalogue', () => {
  it('has the migration-6 columns, and lists retrieved clips with their library item', async () => {
    const cols = (core.workspace.catalogue.db.prepare('PRAGMA table_info(clips)').all() as { name: string }[]).map(
      (c) => c.name
    )
    expect(cols).toEqual(expect.arrayContaining(['library_item_id', 'rank', 'score', 'duration']))
    const items = core.workspace.catalogue.libraries.items(lib.id, 0, 100)
    const repo = clipsRepo(core.workspace.catalogue.db)
    const a = repo.add({
      method: 'retrieval',
      libraryId: lib.id,
      libraryItemId: items[1].id,
      rank: 1,
      score: 0.93,
      provenance: { metric: 'cosine' }
    })
    const b = repo.add({
      method: 'retrieval',
      libraryId: lib.id,
      libraryItemId: items[0].id,
      rank: 2,
      score: 0.71,
      provenance: { metric: 'cosine' }
    })
    const list = await call<ClipInfo[]>('clips.list')
    expect(list.map((c) => c.id)).toEqual([a.id, b.id])
    expect(list[0]).toMatchObject({
      method: 'retrieval',
      rank: 1,
      score: expect.closeTo(0.93, 6),
      libraryItemId: items[1].id,
      genre: items[1].genre,
      audio: true,
      duration: 3,
      modelId: null,
      stimulusId: null,
      provenance: { metric: 'cosine' }
    })
    // a retrieved clip plays the head of its library file
    const wav = await call<WavAudio>('clips.audio', { id: a.id })
    const played = (await decodeAudioBytes(Buffer.from(wav.base64, 'base64'))).channels[0]
    const file = (await decodeAudio(join(lib.folder, items[1].path))).channels[0]
    expect(wav).toMatchObject({ mime: 'audio/wav', sampleRate: TINY_SR, channels: 1, duration: 3 })
    expect(Array.from(played.subarray(0, 500))).toEqual(Array.from(file.subarray(0, 500)))
    // library.audio: the first `seconds` of any item
    const head = await call<WavAudio>('library.audio', { itemId: items[0].id, seconds: 1 })
    expect(head).toMatchObject({ id: items[0].id, key: items[0].path, duration: 1 })
    await expect(call('library.audio', { itemId: 999999 })).rejects.toThrow(/no library item 999999/)
    await expect(call('clips.audio', { id: 999999 })).rejects.toThrow(/no clip 999999/)
    expect(repo.deleteWhere({ method: 'retrieval', libraryId: lib.id }).map((c) => c.id)).toEqual([a.id, b.id])
    expect(await call<ClipInfo[]>('clips.list')).toEqual([])
  })
})

describe('generated clips', () => {
  it('are FLAC files in the workspace with their SHA-256 and provenance; the round trip keeps the samples', async () => {
    const g = generated()
    const [clip] = storeGeneratedClips(core.workspace, [g], lib.name)
    expect(clip.audioPath).toMatch(/^clips\/adhoc\/embedding-spectral-s3-[0-9a-f]{12}\.flac$/)
    const path = join(wsDir, ...clip.audioPath!.split('/'))
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(clip.audioSha256)
    expect(clip.duration).toBeCloseTo(1.5, 9)
    expect(clip.provenance).toMatchObject({
      method: 'spectral',
      seed: 3,
      model: null,
      library: { id: lib.id, name: 'tiny' },
      embeddingSha256: embeddingSha256(g.embedding),
      embeddingDim: 8,
      sampleRate: TINY_SR,
      generator: { method: 'spectral', params: { iterations: 32 } }
    })
    const { audio } = await clipAudio(core.workspace, clip.id)
    expect(audio.sampleRate).toBe(TINY_SR)
    let worst = 0
    for (let i = 0; i < g.samples.length; i++) worst = Math.max(worst, Math.abs(audio.channels[0][i] - g.samples[i]))
    expect(audio.channels[0].length).toBe(g.samples.length)
    expect(worst).toBeLessThanOrEqual(1 / 32768 + 1e-7)
    const wav = await call<WavAudio>('clips.audio', { id: clip.id })
    expect(wav).toMatchObject({ sampleRate: TINY_SR, channels: 1, duration: 1.5 })
    // a changed file is refused, naming it
    const info = (await call<ClipInfo[]>('clips.list')).find((c) => c.id === clip.id)!
    expect(info).toMatchObject({ audio: true, method: 'spectral', duration: 1.5 })
    clipsRepo(core.workspace.catalogue.db).remove(clip.id)
    rmSync(path)
  })

  it('a model’s clip replaces the one of the same stimulus, method, library and seed (its old file removed)', () => {
    // a model and a stimulus for the foreign keys
    const db = core.workspace.catalogue.db
    const now = new Date().toISOString()
    const subject = Number(
      db.prepare("INSERT INTO subjects (label, created_at) VALUES ('sub-x', ?)").run(now).lastInsertRowid
    )
    const model = Number(
      db.prepare("INSERT INTO models (subject_id, kind, created_at) VALUES (?, 'decoder', ?)").run(subject, now)
        .lastInsertRowid
    )
    const stim = Number(
      db.prepare("INSERT INTO stimuli (key, genre, created_at) VALUES ('blues.00001@0', 'blues', ?)").run(now)
        .lastInsertRowid
    )
    const base = { modelId: model, stimulusId: stim, stimulusKey: 'blues.00001@0' }
    const [first] = storeGeneratedClips(core.workspace, [generated(base)], lib.name)
    const [otherSeed] = storeGeneratedClips(core.workspace, [generated({ ...base, seed: 4 })], lib.name)
    const e2 = Float32Array.from({ length: 8 }, (_, i) => 1 - i / 8)
    const [second] = storeGeneratedClips(
      core.workspace,
      [generated({ ...base, embedding: e2, samples: tone(1, 220) })],
      lib.name
    )
    const ids = clipsRepo(db)
      .list({ model })
      .map((c) => c.id)
    expect(ids.sort()).toEqual([otherSeed.id, second.id].sort())
    expect(existsSync(join(wsDir, ...first.audioPath!.split('/')))).toBe(false)
    expect(existsSync(join(wsDir, ...second.audioPath!.split('/')))).toBe(true)
    expect(first.audioPath).toMatch(/^clips\/model-\d+\/blues.00001-0-spectral-s3-/)
    expect(
      clipsRepo(db)
        .list({ stimulus: stim })
        .every((c) => c.stimulusKey === 'blues.00001@0')
    ).toBe(true)
    expect(filesUnder(join(wsDir, 'tmp'))).toEqual([])
  })
})

describe('clips.export', () => {
  it('writes each clip as WAV or FLAC with a JSON provenance sidecar beside it', async () => {
    const [g] = storeGeneratedClips(core.workspace, [generated({ method: 'mosaic', seed: 9 })], lib.name)
    const item = core.workspace.catalogue.libraries.items(lib.id, 0, 1)[0]
    const r = clipsRepo(core.workspace.catalogue.db).add({
      method: 'retrieval',
      libraryId: lib.id,
      libraryItemId: item.id,
      rank: 1,
      score: 0.5,
      provenance: { metric: 'cosine' }
    })
    for (const format of ['wav', 'flac'] as const) {
      const out = join(dir, `export-${format}`)
      const res = await call<ClipsExportResult>('clips.export', { ids: [g.id, r.id], format, folder: out })
      expect(res.files.map((f) => f.clipId)).toEqual([g.id, r.id])
      expect(res.files[0].path).toBe(join(out, `clip-${g.id}-mosaic.${format}`))
      expect(res.files[1].sidecar).toBe(join(out, `clip-${r.id}-retrieval.json`))
      for (const f of res.files) {
        const bytes = readFileSync(f.path)
        const side = JSON.parse(readFileSync(f.sidecar, 'utf8'))
        expect(side.audio).toMatchObject({ format, sha256: createHash('sha256').update(bytes).digest('hex') })
        expect(side.clip.id).toBe(f.clipId)
        expect(side.codeVersion).toEqual(expect.any(String))
      }
      const side0 = JSON.parse(readFileSync(res.files[0].sidecar, 'utf8'))
      expect(side0.clip.provenance).toMatchObject({ method: 'mosaic', seed: 9, library: { name: 'tiny' } })
      const back = await decodeAudio(res.files[0].path)
      expect(back.channels[0].length).toBe(g.duration! * TINY_SR)
      expect(readdirSync(out).sort()).toHaveLength(4)
    }
    // an unknown clip: nothing written at all
    const none = join(dir, 'export-none')
    await expect(call('clips.export', { ids: [g.id, 424242], format: 'wav', folder: none })).rejects.toThrow(
      /no clip 424242/
    )
    expect(existsSync(none)).toBe(false)
  })
})
