/** A music library as the generators see it: its embedding matrix, its items in row order, their audio. */
import { join } from 'node:path'
import type { Library, LibraryItemRecord } from '../../catalogue'
import { B2mError } from '../../common/errors'
import { decodeAudio, resampleChannel, toMono } from '../../formats/audio'
import type { Workspace } from '../../workspace'

export interface LibraryMatrix {
  lib: Library
  /** rows x dim, float32, row-major (row r = items[r]). */
  data: Float32Array
  rows: number
  dim: number
  items: LibraryItemRecord[]
  /** SHA-256 of the embedding file, as the catalogue recorded it. */
  sha256: string
  /** Seconds of each file the embeddings describe (the library's scan setting). */
  seconds: number
}

export function loadLibraryMatrix(ws: Workspace, lib: Library): LibraryMatrix {
  if (lib.arrayId === null || lib.dim === null)
    throw new B2mError('bad_request', `library "${lib.name}" has no embeddings yet (run library.add)`, lib.root)
  const rec = ws.arrayRecord(lib.arrayId)
  const arr = ws.readArray(lib.arrayId)
  if (arr.dtype !== 'float32' || arr.shape.length !== 2 || arr.shape[1] !== lib.dim)
    throw new B2mError(
      'failed',
      `library "${lib.name}": embeddings are ${arr.dtype} (${arr.shape.join(', ')}), not float32 (rows x ${lib.dim})`,
      ws.arrayPath(rec.relPath)
    )
  const rows = arr.shape[0]
  const items = [...ws.catalogue.libraries.iterateRows(lib.id)]
  if (items.length !== rows || items.some((it, r) => it.row !== r))
    throw new B2mError(
      'failed',
      `library "${lib.name}": ${items.length} items in row order do not match the ${rows} rows of its embeddings`,
      ws.arrayPath(rec.relPath)
    )
  const seconds = Number(lib.params.seconds)
  return {
    lib,
    data: arr.data as Float32Array,
    rows,
    dim: lib.dim,
    items,
    sha256: rec.sha256,
    seconds: seconds > 0 ? seconds : 15
  }
}

/** Absolute path of a library item's file. */
export function libraryItemPath(lib: Library, item: { path: string }): string {
  return join(lib.root, ...item.path.split('/'))
}

/**
 * The first `seconds` of a library item, mono at `sampleRate` (shorter when the file is). Cut before
 * resampling, so a long file costs only what is used.
 */
export async function readItemAudio(
  lib: Library,
  item: { path: string },
  seconds: number,
  sampleRate: number
): Promise<Float32Array> {
  const file = libraryItemPath(lib, item)
  const audio = await decodeAudio(file)
  const mono = toMono(audio)
  const cut = mono.subarray(0, Math.min(mono.length, Math.round(seconds * audio.sampleRate)))
  if (cut.length === 0) throw new B2mError('bad_request', 'the library file holds no samples', file)
  return resampleChannel(cut, audio.sampleRate, sampleRate, 'medium')
}

/** A deterministic uniform [0, 1) stream (mulberry32), seeded per use so generators never share state. */
export function uniform(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Scales x in place so its peak is at most `ceiling` (never louder). */
export function limitPeak(x: Float32Array, ceiling = 0.99): void {
  let peak = 0
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]))
  if (peak > ceiling) {
    const g = ceiling / peak
    for (let i = 0; i < x.length; i++) x[i] *= g
  }
}

export function checkEmbedding(what: string, e: Float32Array, dim: number): void {
  if (e.length !== dim)
    throw new B2mError('bad_request', `${what}: the embedding has ${e.length} dimensions, the generator expects ${dim}`)
  for (let i = 0; i < e.length; i++)
    if (!Number.isFinite(e[i])) throw new B2mError('bad_request', `${what}: embedding value ${i} is not finite`)
}

export function checkOptions(o: { seed: number; seconds: number; sampleRate: number }): void {
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 2 ** 31 - 1)
    throw new B2mError('bad_request', `seed must be an integer in 0..2^31-1, got ${o.seed}`)
  if (!(o.seconds > 0 && o.seconds <= 600))
    throw new B2mError('bad_request', `seconds must be in (0, 600], got ${o.seconds}`)
  if (!Number.isInteger(o.sampleRate) || o.sampleRate < 4000 || o.sampleRate > 192000)
    throw new B2mError('bad_request', `sampleRate must be an integer in 4000..192000 Hz, got ${o.sampleRate}`)
}
