/**
 * Stimulus audio: the excerpts the subjects heard, cut from a GTZAN-like folder the way ds003720 made
 * them (start..end of `genre/genre.000TT.wav|au`, 2 s fades, RMS normalisation), stored in the workspace
 * as FLAC (`stimuli/<genre>.000TT_<start>.flac`) and recorded on the catalogue's stimuli rows.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { StimuliAttachResult, StimulusInfo, StimulusRole } from '../../src-preload/api'
import type { Stimulus } from '../catalogue'
import { B2mError } from '../common/errors'
import {
  type AudioData,
  cutExcerpt,
  decodeAudio,
  decodeAudioBytes,
  encodeFlac,
  encodeWav,
  gtzanName,
  gtzanPath
} from '../formats/audio'
import { isTestTask } from '../import/preprocess'
import type { Workspace } from '../workspace'
import { FileBatch, workspaceFile } from './files'

export interface MusicIo {
  progress(fraction: number, message: string): void
  log(level: 'info' | 'warn', text: string): void
  cancelled(): boolean
}

export const SILENT_IO: MusicIo = { progress: () => {}, log: () => {}, cancelled: () => false }

export interface AttachParams {
  folder: string
  replace?: boolean
}

/** Train when a stimulus occurs in a training run, test when only in test runs, none when never presented. */
export function stimulusRoles(ws: Workspace): Map<number, StimulusRole> {
  const out = new Map<number, StimulusRole>()
  for (const [id, tasks] of ws.catalogue.stimulusAudio.tasksByStimulus())
    out.set(id, tasks.some((t) => !isTestTask(t)) ? 'train' : 'test')
  return out
}

/** Workspace-relative FLAC of a stimulus: `stimuli/blues.00098_6.46.flac`. */
export function stimulusAudioPath(genre: string, track: number, start: number): string {
  return `stimuli/${gtzanName(genre, track)}_${start}.flac`
}

/** The GTZAN track number of a catalogued stimulus (stored as text), or null. */
function trackNumber(s: Stimulus): number | null {
  if (s.track === null || !/^\d{1,5}$/.test(s.track.trim())) return null
  return Number(s.track)
}

/** Bytes of a stimulus's audio, checked against the SHA-256 the catalogue recorded. */
export function readStimulusAudio(ws: Workspace, s: Stimulus): { path: string; bytes: Uint8Array; sha256: string } {
  if (!s.audioPath) throw new B2mError('not_found', `stimulus ${s.key} has no audio (run stimuli.attach)`)
  const path = workspaceFile(ws, s.audioPath)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new B2mError('not_found', `audio of stimulus ${s.key} is in the catalogue but missing on disk`, path)
    throw new B2mError('failed', `cannot read the audio of stimulus ${s.key}: ${(err as Error).message}`, path)
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (s.audioSha256 && sha256 !== s.audioSha256)
    throw new B2mError(
      'failed',
      `audio of stimulus ${s.key} was changed after it was attached: SHA-256 is ${sha256}, the catalogue recorded ${s.audioSha256}`,
      path
    )
  return { path, bytes, sha256 }
}

function audioPresent(ws: Workspace, s: Stimulus): boolean {
  if (!s.audioPath) return false
  try {
    return statSync(workspaceFile(ws, s.audioPath)).isFile()
  } catch {
    return false
  }
}

/**
 * Attaches audio to every catalogued stimulus from a GTZAN-like folder. Tracks that are absent or
 * unreadable are listed as missing (not fatal); everything found lands in one transaction.
 */
export async function attachStimuli(ws: Workspace, params: AttachParams, io: MusicIo): Promise<StimuliAttachResult> {
  const folder = resolve(params.folder)
  let isDir = false
  try {
    isDir = statSync(folder).isDirectory()
  } catch {
    // reported below
  }
  if (!isDir) throw new B2mError('not_found', 'the GTZAN folder does not exist or is not a folder', folder)
  const cat = ws.catalogue
  const stimuli = cat.stimuli.list()
  if (stimuli.length === 0)
    throw new B2mError('bad_request', 'the catalogue has no stimuli yet: import a data set with events first')

  const result: StimuliAttachResult = { folder, attached: 0, skipped: 0, missing: [], warnings: [] }
  // Several excerpts may come from one track: decode each track once.
  const byTrack = new Map<string, { s: Stimulus; track: number }[]>()
  for (const s of stimuli) {
    if (!params.replace && audioPresent(ws, s)) {
      result.skipped++
      continue
    }
    const track = trackNumber(s)
    if (s.genre === null || track === null || s.start === null) {
      result.missing.push({
        stimulusId: s.id,
        key: s.key,
        expected: null,
        reason: 'the events give no genre, track number and start for this stimulus'
      })
      continue
    }
    const path = gtzanPath(folder, s.genre, track)
    if (!path) {
      result.missing.push({
        stimulusId: s.id,
        key: s.key,
        expected: join(folder, s.genre, `${gtzanName(s.genre, track)}.wav|au`),
        reason: 'no such track in the folder'
      })
      continue
    }
    const list = byTrack.get(path)
    if (list) list.push({ s, track })
    else byTrack.set(path, [{ s, track }])
  }

  const total = [...byTrack.values()].reduce((n, l) => n + l.length, 0)
  const files = new FileBatch(ws)
  const updates: { id: number; relPath: string; sha256: string }[] = []
  let done = 0
  try {
    for (const [path, list] of byTrack) {
      if (io.cancelled()) throw new B2mError('failed', 'stimuli.attach cancelled')
      let audio: AudioData
      try {
        audio = await decodeAudio(path)
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        for (const { s } of list) result.missing.push({ stimulusId: s.id, key: s.key, expected: path, reason: why })
        io.log('warn', why)
        done += list.length
        continue
      }
      for (const { s, track } of list) {
        const end = s.end !== null && s.end > s.start! ? s.end : s.start! + 15
        let excerpt
        try {
          excerpt = cutExcerpt(audio, s.start!, end, { file: path })
        } catch (err) {
          result.missing.push({ stimulusId: s.id, key: s.key, expected: path, reason: (err as Error).message })
          continue
        }
        if (excerpt.paddedSeconds > 0)
          result.warnings.push(
            `${s.key}: the track ends ${excerpt.paddedSeconds.toFixed(2)} s before the excerpt does; padded with silence (${path})`
          )
        if (excerpt.peak > 1)
          result.warnings.push(
            `${s.key}: peak ${excerpt.peak.toFixed(2)} after RMS normalisation; clipped in the 16-bit FLAC (${path})`
          )
        const relPath = stimulusAudioPath(s.genre!, track, s.start!)
        const staged = files.addBytes(relPath, encodeFlac(excerpt))
        updates.push({ id: s.id, relPath, sha256: staged.sha256 })
        done++
        io.progress((0.98 * done) / Math.max(1, total), `${s.key}`)
      }
    }
    if (io.cancelled()) throw new B2mError('failed', 'stimuli.attach cancelled')
    io.progress(0.99, 'writing the catalogue')
    files.commit(() => {
      for (const u of updates) cat.stimulusAudio.setAudio(u.id, u.relPath, u.sha256)
    })
  } catch (err) {
    files.undo()
    throw err
  }
  result.attached = updates.length
  for (const w of result.warnings.slice(0, 5)) io.log('warn', w)
  io.progress(1, `${result.attached} attached, ${result.missing.length} missing`)
  return result
}

/** Every catalogued stimulus with its audio state, presentation count and role. */
export function listStimuli(ws: Workspace): StimulusInfo[] {
  const counts = ws.catalogue.stimulusAudio.occurrenceCounts()
  const roles = stimulusRoles(ws)
  return ws.catalogue.stimuli.list().map((s) => ({
    id: s.id,
    key: s.key,
    genre: s.genre,
    track: s.track,
    start: s.start,
    end: s.end,
    audio: audioPresent(ws, s),
    audioPath: s.audioPath,
    audioSha256: s.audioSha256,
    occurrences: counts.get(s.id) ?? 0,
    role: roles.get(s.id) ?? 'none'
  }))
}

/** A stimulus's excerpt as 16-bit PCM WAV bytes (for playback in any face). */
export async function stimulusWav(
  ws: Workspace,
  id: number
): Promise<{ stimulus: Stimulus; audio: AudioData; wav: Uint8Array }> {
  const s = ws.catalogue.stimulusAudio.get(id)
  if (!s) throw new B2mError('not_found', `no stimulus ${id}`)
  const { path, bytes } = readStimulusAudio(ws, s)
  const audio = await decodeAudioBytes(bytes, path)
  return { stimulus: s, audio, wav: encodeWav(audio) }
}
