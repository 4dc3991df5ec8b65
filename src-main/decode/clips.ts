/**
 * Clips as the faces see them: listing with stimulus and library details, WAV bytes for playback
 * (a generated clip's FLAC, or the first seconds of a retrieved library file), storing a generated clip
 * (FLAC under clips/ and its catalogue row in one transaction), and export with provenance sidecars.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ClipInfo, ClipsExportResult, WavAudio } from '../../src-preload/api'
import { clipsRepo, libraryItemById, type Clip } from '../catalogue/clips'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { type AudioData, decodeAudio, decodeAudioBytes, encodeFlac, encodeWav, toMono } from '../formats/audio'
import { FileBatch, removeQuietly, slug, workspaceFile } from '../music/files'
import type { Workspace } from '../workspace'

/** Seconds of a library file played or exported for a retrieved clip. */
export const RETRIEVED_SECONDS = 15

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

export function clipInfo(ws: Workspace, c: Clip): ClipInfo {
  const audio = c.audioPath
    ? fileExists(workspaceFile(ws, c.audioPath))
    : c.item
      ? fileExists(join(c.item.root, ...c.item.path.split('/')))
      : false
  const duration = c.duration ?? (c.item?.duration != null ? Math.min(c.item.duration, RETRIEVED_SECONDS) : null)
  return {
    id: c.id,
    modelId: c.modelId,
    stimulusId: c.stimulusId,
    stimulusKey: c.stimulusKey,
    libraryId: c.libraryId,
    libraryItemId: c.libraryItemId,
    method: c.method,
    rank: c.rank,
    score: c.score,
    genre: c.item?.genre ?? null,
    title: c.item?.title ?? null,
    audio,
    duration,
    createdAt: c.createdAt,
    provenance: c.provenance
  }
}

export function listClips(ws: Workspace, filter: { model?: number; stimulus?: number } = {}): ClipInfo[] {
  return clipsRepo(ws.catalogue.db)
    .list(filter)
    .map((c) => clipInfo(ws, c))
}

function getClip(ws: Workspace, id: number): Clip {
  const c = clipsRepo(ws.catalogue.db).get(id)
  if (!c) throw new B2mError('not_found', `no clip ${id}`)
  return c
}

/** The first `seconds` of an audio file (all channels). */
async function headOf(file: string, seconds: number): Promise<AudioData> {
  const a = await decodeAudio(file)
  const n = Math.min(a.channels[0]?.length ?? 0, Math.round(seconds * a.sampleRate))
  return { sampleRate: a.sampleRate, channels: a.channels.map((c) => c.slice(0, n)) }
}

/** A clip's audio: its FLAC (checked against the catalogue's SHA-256), or the head of its library file. */
export async function clipAudio(ws: Workspace, id: number): Promise<{ clip: Clip; audio: AudioData }> {
  const clip = getClip(ws, id)
  if (clip.audioPath) {
    const path = workspaceFile(ws, clip.audioPath)
    let bytes: Uint8Array
    try {
      bytes = readFileSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new B2mError('not_found', `audio of clip ${id} is in the catalogue but missing on disk`, path)
      throw new B2mError('failed', `cannot read the audio of clip ${id}: ${(err as Error).message}`, path)
    }
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (clip.audioSha256 && sha !== clip.audioSha256)
      throw new B2mError(
        'failed',
        `audio of clip ${id} was changed after it was generated: SHA-256 is ${sha}, the catalogue recorded ${clip.audioSha256}`,
        path
      )
    return { clip, audio: await decodeAudioBytes(bytes, path) }
  }
  if (clip.item)
    return { clip, audio: await headOf(join(clip.item.root, ...clip.item.path.split('/')), RETRIEVED_SECONDS) }
  throw new B2mError('not_found', `clip ${id} has no audio (no generated file and no library item)`)
}

function wavResult(id: number, key: string, audio: AudioData): WavAudio {
  const wav = encodeWav(audio)
  const frames = audio.channels[0]?.length ?? 0
  return {
    id,
    key,
    mime: 'audio/wav',
    sampleRate: audio.sampleRate,
    channels: audio.channels.length,
    duration: audio.sampleRate > 0 ? frames / audio.sampleRate : 0,
    base64: Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength).toString('base64')
  }
}

function clipKey(c: Clip): string {
  return `${c.stimulusKey ?? 'clip'}:${c.method}${c.rank !== null ? `#${c.rank}` : ''}`
}

export async function clipWav(ws: Workspace, id: number): Promise<WavAudio> {
  const { clip, audio } = await clipAudio(ws, id)
  return wavResult(clip.id, clipKey(clip), audio)
}

export async function libraryItemWav(ws: Workspace, itemId: number, seconds = RETRIEVED_SECONDS): Promise<WavAudio> {
  const item = libraryItemById(ws.catalogue.db, itemId)
  if (!item) throw new B2mError('not_found', `no library item ${itemId}`)
  const audio = await headOf(join(item.root, ...item.path.split('/')), seconds)
  return wavResult(item.id, item.path, audio)
}

/** SHA-256 of an embedding's float32 bytes (little-endian), for provenance. */
export function embeddingSha256(e: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(e.buffer, e.byteOffset, e.byteLength))
    .digest('hex')
}

export interface GeneratedClip {
  samples: Float32Array
  sampleRate: number
  modelId: number | null
  stimulusId: number | null
  stimulusKey: string | null
  libraryId: number
  method: string
  seed: number
  embedding: Float32Array
  /** The generator's describe() and anything else the caller records. */
  provenance: Record<string, unknown>
}

/** Workspace-relative FLAC of a generated clip (unique per model, stimulus, method, seed and embedding). */
export function generatedClipPath(g: Omit<GeneratedClip, 'samples' | 'provenance'>): string {
  const owner = g.modelId !== null ? `model-${g.modelId}` : 'adhoc'
  const what = slug(g.stimulusKey ?? 'embedding')
  return `clips/${owner}/${what}-${slug(g.method.replace(':', '-'))}-s${g.seed}-${embeddingSha256(g.embedding).slice(0, 12)}.flac`
}

/** The provenance record of a generated clip. */
export function generatedProvenance(g: GeneratedClip, libraryName: string): Record<string, unknown> {
  return {
    model: g.modelId,
    stimulus: g.stimulusId !== null ? { id: g.stimulusId, key: g.stimulusKey } : null,
    method: g.method,
    seed: g.seed,
    library: { id: g.libraryId, name: libraryName },
    embeddingSha256: embeddingSha256(g.embedding),
    embeddingDim: g.embedding.length,
    sampleRate: g.sampleRate,
    seconds: g.samples.length / g.sampleRate,
    codeVersion: APP_VERSION,
    generator: g.provenance
  }
}

/**
 * Stores generated clips: FLACs under clips/ and their rows in one transaction; clips of the same model,
 * stimulus, method, library and seed are replaced (their files removed after the commit).
 */
export function storeGeneratedClips(ws: Workspace, clips: GeneratedClip[], libraryName: string): Clip[] {
  const repo = clipsRepo(ws.catalogue.db)
  const files = new FileBatch(ws)
  const staged = clips.map((g) => {
    const relPath = generatedClipPath(g)
    const bytes = encodeFlac({ sampleRate: g.sampleRate, channels: [g.samples] })
    return { g, relPath, sha256: files.addBytes(relPath, bytes).sha256 }
  })
  const oldFiles: string[] = []
  const created = files.commit(() => {
    const out: Clip[] = []
    for (const { g, relPath, sha256 } of staged) {
      // the same model, stimulus, method, library and seed: the new clip replaces the old
      if (g.modelId !== null)
        for (const old of repo.list({ model: g.modelId, ...(g.stimulusId !== null ? { stimulus: g.stimulusId } : {}) }))
          if (
            old.method === g.method &&
            old.libraryId === g.libraryId &&
            old.stimulusId === g.stimulusId &&
            old.provenance.seed === g.seed
          ) {
            repo.remove(old.id)
            if (old.audioPath && old.audioPath !== relPath) oldFiles.push(old.audioPath)
          }
      out.push(
        repo.add({
          modelId: g.modelId,
          stimulusId: g.stimulusId,
          libraryId: g.libraryId,
          method: g.method,
          audioPath: relPath,
          audioSha256: sha256,
          duration: g.samples.length / g.sampleRate,
          provenance: generatedProvenance(g, libraryName)
        })
      )
    }
    return out
  })
  for (const p of oldFiles) removeQuietly(workspaceFile(ws, p))
  return created
}

/**
 * Writes each clip as <folder>/clip-<id>-<method>.<format> plus <same>.json (the clip's record and
 * provenance). Files are written under temporary names and renamed at the end; a failure leaves none.
 */
export async function exportClips(
  ws: Workspace,
  ids: number[],
  format: 'wav' | 'flac',
  folder: string
): Promise<ClipsExportResult> {
  const dir = resolve(folder)
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new B2mError('bad_request', 'not a folder', dir)
  // every clip is read (and checked) before anything is written
  const prepared: { clipId: number; path: string; sidecar: string; bytes: Uint8Array; json: string }[] = []
  for (const id of ids) {
    const { clip, audio } = await clipAudio(ws, id)
    const base = join(dir, `clip-${clip.id}-${slug(clip.method.replace(':', '-'))}`)
    const mono: AudioData =
      audio.channels.length > 2 ? { sampleRate: audio.sampleRate, channels: [toMono(audio)] } : audio
    const bytes = format === 'wav' ? encodeWav(mono) : encodeFlac(mono)
    const info = clipInfo(ws, clip)
    const sidecar = {
      clip: info,
      audio: {
        file: `${base.split(/[\\/]/).pop()}.${format}`,
        format,
        sampleRate: mono.sampleRate,
        channels: mono.channels.length,
        seconds: (mono.channels[0]?.length ?? 0) / mono.sampleRate,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        source: clip.audioPath ?? (clip.item ? join(clip.item.root, clip.item.path) : null)
      },
      exportedAt: new Date().toISOString(),
      codeVersion: APP_VERSION
    }
    prepared.push({
      clipId: clip.id,
      path: `${base}.${format}`,
      sidecar: `${base}.json`,
      bytes,
      json: JSON.stringify(sidecar, null, 2) + '\n'
    })
  }
  mkdirSync(dir, { recursive: true })
  const tmp: string[] = []
  try {
    for (const p of prepared) {
      writeFileSync(`${p.path}.part`, p.bytes)
      tmp.push(`${p.path}.part`)
      writeFileSync(`${p.sidecar}.part`, p.json)
      tmp.push(`${p.sidecar}.part`)
    }
    for (const p of prepared) {
      renameSync(`${p.path}.part`, p.path)
      renameSync(`${p.sidecar}.part`, p.sidecar)
    }
  } catch (err) {
    for (const t of tmp) removeQuietly(t)
    throw new B2mError('failed', `cannot write the export: ${(err as Error).message}`, dir)
  }
  return { files: prepared.map((p) => ({ clipId: p.clipId, path: p.path, sidecar: p.sidecar })) }
}
