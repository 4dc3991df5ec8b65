/** Stimuli (one row per distinct clip) and their occurrences in runs (one row per event). */
import { type Db, nowIso } from './open'

export interface Stimulus {
  id: number
  key: string
  genre: string | null
  track: string | null
  start: number | null
  end: number | null
  audioPath: string | null
  audioSha256: string | null
}

export interface Occurrence {
  id: number
  runId: number
  stimulusId: number
  onset: number
  duration: number
  genre: string | null
  track: string | null
  start: number | null
  end: number | null
}

export interface NewOccurrence {
  onset: number
  duration: number
  genre: string | null
  track: string | null
  start: number | null
  end: number | null
}

interface StimulusRow {
  id: number
  key: string
  genre: string | null
  track: string | null
  start_s: number | null
  end_s: number | null
  audio_path: string | null
  audio_sha256: string | null
}

interface OccurrenceRow {
  id: number
  run_id: number
  stimulus_id: number
  onset: number
  duration: number
  genre: string | null
  track: string | null
  start_s: number | null
  end_s: number | null
}

/** The identity of a clip: genre, track and excerpt start (the same clip repeats across runs). */
export function stimulusKey(e: Pick<NewOccurrence, 'genre' | 'track' | 'start' | 'onset'>): string {
  if (e.genre === null && e.track === null) return `onset@${e.onset}`
  return `${e.genre ?? '?'}.${e.track ?? '?'}@${e.start ?? '?'}`
}

const toStimulus = (r: StimulusRow): Stimulus => ({
  id: r.id,
  key: r.key,
  genre: r.genre,
  track: r.track,
  start: r.start_s,
  end: r.end_s,
  audioPath: r.audio_path,
  audioSha256: r.audio_sha256
})

const toOccurrence = (r: OccurrenceRow): Occurrence => ({
  id: r.id,
  runId: r.run_id,
  stimulusId: r.stimulus_id,
  onset: r.onset,
  duration: r.duration,
  genre: r.genre,
  track: r.track,
  start: r.start_s,
  end: r.end_s
})

export class StimuliRepo {
  private readonly insertStimulus
  private readonly byKey
  private readonly all
  private readonly insertOccurrence
  private readonly occurrencesOfRun

  constructor(db: Db) {
    this.insertStimulus = db.prepare(
      `INSERT INTO stimuli (key, genre, track, start_s, end_s, created_at) VALUES (@key, @genre, @track, @start, @end, @createdAt)`
    )
    this.byKey = db.prepare<[string], StimulusRow>('SELECT * FROM stimuli WHERE key = ?')
    this.all = db.prepare<[], StimulusRow>('SELECT * FROM stimuli ORDER BY genre, track, start_s, id')
    this.insertOccurrence = db.prepare(
      `INSERT INTO stimulus_occurrences (run_id, stimulus_id, onset, duration, genre, track, start_s, end_s)
       VALUES (@runId, @stimulusId, @onset, @duration, @genre, @track, @start, @end)`
    )
    this.occurrencesOfRun = db.prepare<[number], OccurrenceRow>(
      'SELECT * FROM stimulus_occurrences WHERE run_id = ? ORDER BY onset, id'
    )
  }

  /** The stimulus with this clip identity, created on first sight. */
  ensure(e: NewOccurrence): Stimulus {
    const key = stimulusKey(e)
    const found = this.byKey.get(key)
    if (found) return toStimulus(found)
    this.insertStimulus.run({ key, genre: e.genre, track: e.track, start: e.start, end: e.end, createdAt: nowIso() })
    return toStimulus(this.byKey.get(key)!)
  }

  list(): Stimulus[] {
    return this.all.all().map(toStimulus)
  }

  /** Records a run's events in order; each becomes an occurrence of its (possibly new) stimulus. */
  addOccurrences(runId: number, events: NewOccurrence[]): Occurrence[] {
    for (const e of events) {
      const stimulus = this.ensure(e)
      this.insertOccurrence.run({ runId, stimulusId: stimulus.id, ...e })
    }
    return this.occurrences(runId)
  }

  occurrences(runId: number): Occurrence[] {
    return this.occurrencesOfRun.all(runId).map(toOccurrence)
  }
}
