import { B2mError } from '../common/errors'
import type { ClipEvent } from './types'

/**
 * The genre without the quotes ds003720 wraps it in: `'pop'` -> `pop`, and the three malformed rows of
 * task-Training_run-04 (`classical'`, `jazz'`, `metal'`) -> `classical`, `jazz`, `metal`.
 */
export function normalizeGenre(genre: string): string {
  return genre
    .trim()
    .replace(/^['"]+/, '')
    .replace(/['"]+$/, '')
    .trim()
}

/** A stimulus's identity: (genre, track, start). Two presentations with the same key are repeats. */
export function clipKey(e: Pick<ClipEvent, 'genre' | 'track' | 'start'>): string {
  return `${normalizeGenre(e.genre)}|${e.track}|${e.start}`
}

/** Throws a clear error for an event list that cannot be aligned. `what` names the run. */
export function checkEvents(events: readonly ClipEvent[], what = 'run'): void {
  if (events.length === 0) throw new B2mError('bad_request', `${what}: no events`)
  events.forEach((e, i) => {
    const bad = (field: string, value: unknown) =>
      new B2mError('bad_request', `${what}: event row ${i} has an invalid ${field}: ${String(value)}`)
    if (!Number.isFinite(e.onset) || e.onset < 0) throw bad('onset', e.onset)
    if (!Number.isFinite(e.duration) || e.duration <= 0) throw bad('duration', e.duration)
    if (typeof e.genre !== 'string' || normalizeGenre(e.genre) === '') throw bad('genre', e.genre)
    if (!Number.isFinite(e.track)) throw bad('track', e.track)
    if (!Number.isFinite(e.start) || !Number.isFinite(e.end)) throw bad('start/end', `${e.start}/${e.end}`)
  })
}

export type RunRole = 'train' | 'test'

/**
 * Checks the ds003720 design's repeat of clip 1 and returns warnings (never throws): in a Test run clip 1
 * repeats the run's last clip; in a Training run it repeats the last clip of the previous Training run
 * (`previousLast`, when known).
 */
export function checkFirstClipRepeat(
  role: RunRole,
  events: readonly ClipEvent[],
  what: string,
  previousLast?: ClipEvent
): string[] {
  const first = events[0]
  if (role === 'test') {
    const last = events[events.length - 1]
    return clipKey(first) === clipKey(last)
      ? []
      : [`${what}: clip 1 (${clipKey(first)}) does not repeat the run's last clip (${clipKey(last)})`]
  }
  if (previousLast && clipKey(first) !== clipKey(previousLast)) {
    return [
      `${what}: clip 1 (${clipKey(first)}) does not repeat the previous run's last clip (${clipKey(previousLast)})`
    ]
  }
  return []
}

/** A row as a BIDS events reader may give it (nullable cells, n/a -> null). Structural: no import needed. */
export interface LooseEventRow {
  onset: number
  duration: number | null
  genre?: string | null
  track?: number | null
  start?: number | null
  end?: number | null
}

/** Turns reader rows into ClipEvents, naming the run and row of the first missing field. */
export function toClipEvents(rows: readonly LooseEventRow[], what = 'run'): ClipEvent[] {
  return rows.map((r, i) => {
    const need = <K extends keyof LooseEventRow>(k: K): NonNullable<LooseEventRow[K]> => {
      const value = r[k]
      if (value === null || value === undefined) {
        throw new B2mError('bad_request', `${what}: event row ${i} has no ${k} (needed for clip alignment)`)
      }
      return value as NonNullable<LooseEventRow[K]>
    }
    return {
      onset: r.onset,
      duration: need('duration'),
      genre: need('genre'),
      track: need('track'),
      start: need('start'),
      end: need('end')
    }
  })
}
