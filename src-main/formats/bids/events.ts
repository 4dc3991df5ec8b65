/**
 * `*_events.tsv` with typed columns: onset and duration (BIDS-required), and the music columns of the
 * Music Genre fMRI Dataset (ds003720): genre, track, start, end. Every other column is kept as text.
 *
 * ds003720 quirks handled: CRLF, no trailing newline (tsv.ts), genre values wrapped in single quotes
 * ('pop' -> pop, silently: that is the data set's convention) and rows missing one of the quotes
 * (classical' -> classical, with a warning naming file and line).
 */
import { B2mError } from '../../common/errors'
import { readTsv, tsvColumn, tsvNumbers, type TsvTable } from '../tsv'
import { GTZAN_GENRES } from '../../common/genres'

export { GTZAN_GENRES }

export interface BidsEvent {
  onset: number
  /** null when the file says n/a. */
  duration: number | null
  genre?: string | null
  /** GTZAN index within the genre (stimulus `genre.000TT.wav`). */
  track?: number | null
  /** Excerpt position in the original track, seconds. */
  start?: number | null
  end?: number | null
  trialType?: string | null
  /** 1-based line in the file. */
  line: number
  /** Every column as written (n/a -> null). */
  cells: Record<string, string | null>
}

export interface EventsTable {
  file: string
  columns: string[]
  events: BidsEvent[]
  warnings: string[]
}

/** Strips matched quotes; fixes a one-sided quote with a warning. */
export function normaliseGenre(raw: string, file: string, line: number, warnings: string[]): string {
  const s = raw.trim()
  const open = /^['"]/.test(s)
  const close = /['"]$/.test(s)
  if (open && close && s.length >= 2 && s[0] === s[s.length - 1]) return s.slice(1, -1).trim()
  if (open || close) {
    const fixed = s.replace(/^['"]+|['"]+$/g, '').trim()
    warnings.push(
      `${file}: line ${line}: genre ${JSON.stringify(raw)} lacks its ${open ? 'closing' : 'opening'} quote; read as "${fixed}"`
    )
    return fixed
  }
  return s
}

export function parseEvents(table: TsvTable): EventsTable {
  const file = table.file
  const warnings: string[] = []
  for (const required of ['onset', 'duration']) {
    if (!table.columns.includes(required)) {
      throw new B2mError(
        'bad_request',
        `malformed events.tsv: no "${required}" column (has ${table.columns.join(', ')})`,
        file
      )
    }
  }
  const onset = tsvNumbers(table, 'onset')
  const duration = tsvNumbers(table, 'duration')
  const has = (c: string) => table.columns.includes(c)
  const track = has('track') ? tsvNumbers(table, 'track') : null
  const start = has('start') ? tsvNumbers(table, 'start') : null
  const end = has('end') ? tsvNumbers(table, 'end') : null
  const genre = has('genre') ? tsvColumn(table, 'genre') : null
  const trialType = has('trial_type') ? tsvColumn(table, 'trial_type') : null
  const known = new Set<string>(GTZAN_GENRES)
  const events: BidsEvent[] = table.rows.map((row, i) => {
    const line = table.lines[i]
    if (onset[i] === null) {
      throw new B2mError('bad_request', `malformed events.tsv: line ${line} has no onset (n/a)`, file)
    }
    const cells: Record<string, string | null> = {}
    table.columns.forEach((c, k) => (cells[c] = row[k]))
    const ev: BidsEvent = { onset: onset[i]!, duration: duration[i], line, cells }
    if (genre) {
      const g = genre[i] === null ? null : normaliseGenre(genre[i]!, file, line, warnings)
      if (g !== null && !known.has(g)) {
        warnings.push(`${file}: line ${line}: genre "${g}" is not one of the 10 GTZAN genres`)
      }
      ev.genre = g
    }
    if (track) {
      if (track[i] !== null && !Number.isInteger(track[i])) {
        throw new B2mError(
          'bad_request',
          `malformed events.tsv: line ${line} track ${track[i]} is not an integer`,
          file
        )
      }
      ev.track = track[i]
    }
    if (start) ev.start = start[i]
    if (end) ev.end = end[i]
    if (trialType) ev.trialType = trialType[i]
    return ev
  })
  return { file, columns: table.columns, events, warnings }
}

/** Reads and types an events.tsv; malformed files are B2mErrors naming the file (and the line). */
export async function readEvents(path: string): Promise<EventsTable> {
  return parseEvents(await readTsv(path))
}
