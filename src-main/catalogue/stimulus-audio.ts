/**
 * The audio side of stimuli (columns audio_path/audio_sha256 of `stimuli`, migration 1) and what the
 * music room asks about them: one stimulus by id, presentation counts, and the tasks of the runs each
 * stimulus occurs in (training vs test). The rows themselves are created by StimuliRepo on import.
 */
import type { Stimulus } from './stimuli'
import type { Db } from './open'

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

export class StimulusAudioRepo {
  private readonly byId
  private readonly setStmt
  private readonly counts
  private readonly tasks

  constructor(db: Db) {
    this.byId = db.prepare<[number], StimulusRow>('SELECT * FROM stimuli WHERE id = ?')
    this.setStmt = db.prepare<{ id: number; path: string | null; sha256: string | null }>(
      'UPDATE stimuli SET audio_path = @path, audio_sha256 = @sha256 WHERE id = @id'
    )
    this.counts = db.prepare<[], { id: number; n: number }>(
      'SELECT stimulus_id AS id, COUNT(*) AS n FROM stimulus_occurrences GROUP BY stimulus_id'
    )
    this.tasks = db.prepare<[], { id: number; task: string }>(
      `SELECT DISTINCT o.stimulus_id AS id, r.task AS task
         FROM stimulus_occurrences o JOIN runs r ON r.id = o.run_id ORDER BY o.stimulus_id, r.task`
    )
  }

  get(id: number): Stimulus | undefined {
    const r = this.byId.get(id)
    return r ? toStimulus(r) : undefined
  }

  /** Records (or clears, with nulls) a stimulus's audio file, workspace-relative, and its SHA-256. */
  setAudio(id: number, path: string | null, sha256: string | null): void {
    this.setStmt.run({ id, path, sha256 })
  }

  /** Presentations per stimulus id (stimuli never presented are absent). */
  occurrenceCounts(): Map<number, number> {
    return new Map(this.counts.all().map((r) => [r.id, r.n]))
  }

  /** The distinct task labels of the runs each stimulus occurs in. */
  tasksByStimulus(): Map<number, string[]> {
    const out = new Map<number, string[]>()
    for (const r of this.tasks.all()) {
      const list = out.get(r.id)
      if (list) list.push(r.task)
      else out.set(r.id, [r.task])
    }
    return out
  }
}
