/**
 * Clips (table `clips`, migration 1; library item, rank, score and duration added by migration 6): music
 * decoded from a predicted embedding. A retrieved clip points at a library item (no audio of its own); a
 * generated clip owns a FLAC in the workspace (`clips/...`, hashed here). Provenance says what made it.
 */
import type { Db } from './open'
import { nowIso } from './open'

export interface Clip {
  id: number
  modelId: number | null
  stimulusId: number | null
  stimulusKey: string | null
  libraryId: number | null
  libraryItemId: number | null
  method: string
  rank: number | null
  score: number | null
  /** Workspace-relative FLAC of a generated clip. */
  audioPath: string | null
  audioSha256: string | null
  duration: number | null
  provenance: Record<string, unknown>
  createdAt: string
  /** From the library item, when there is one. */
  item: { path: string; root: string; genre: string | null; title: string | null; duration: number | null } | null
}

/** A new clip: method and provenance required; every other field defaults to null. */
export type NewClip = Pick<Clip, 'method' | 'provenance'> &
  Partial<Omit<Clip, 'id' | 'createdAt' | 'stimulusKey' | 'item' | 'method' | 'provenance'>>

interface ClipRow {
  id: number
  model_id: number | null
  stimulus_id: number | null
  stimulus_key: string | null
  library_id: number | null
  library_item_id: number | null
  method: string
  rank: number | null
  score: number | null
  audio_path: string | null
  audio_sha256: string | null
  duration: number | null
  provenance: string
  created_at: string
  item_path: string | null
  item_root: string | null
  item_genre: string | null
  item_title: string | null
  item_duration: number | null
}

const SELECT = `SELECT c.id, c.model_id, c.stimulus_id, s.key AS stimulus_key, c.library_id, c.library_item_id,
       c.method, c.rank, c.score, c.audio_path, c.audio_sha256, c.duration, c.provenance, c.created_at,
       i.path AS item_path, l.root AS item_root, i.genre AS item_genre, i.title AS item_title,
       i.duration AS item_duration
  FROM clips c
  LEFT JOIN stimuli s ON s.id = c.stimulus_id
  LEFT JOIN library_items i ON i.id = c.library_item_id
  LEFT JOIN libraries l ON l.id = i.library_id`

const toClip = (r: ClipRow): Clip => ({
  id: r.id,
  modelId: r.model_id,
  stimulusId: r.stimulus_id,
  stimulusKey: r.stimulus_key,
  libraryId: r.library_id,
  libraryItemId: r.library_item_id,
  method: r.method,
  rank: r.rank,
  score: r.score,
  audioPath: r.audio_path,
  audioSha256: r.audio_sha256,
  duration: r.duration,
  provenance: JSON.parse(r.provenance) as Record<string, unknown>,
  createdAt: r.created_at,
  item:
    r.item_path !== null
      ? {
          path: r.item_path,
          root: r.item_root ?? '',
          genre: r.item_genre,
          title: r.item_title,
          duration: r.item_duration
        }
      : null
})

export class ClipsRepo {
  private readonly insert
  private readonly byId
  private readonly all
  private readonly del
  private readonly db: Db

  constructor(db: Db) {
    this.db = db
    this.insert = db.prepare(
      `INSERT INTO clips (model_id, stimulus_id, library_id, library_item_id, method, rank, score, audio_path,
                          audio_sha256, duration, provenance, created_at)
       VALUES (@modelId, @stimulusId, @libraryId, @libraryItemId, @method, @rank, @score, @audioPath,
               @audioSha256, @duration, @provenance, @createdAt)`
    )
    this.byId = db.prepare<[number], ClipRow>(`${SELECT} WHERE c.id = ?`)
    // NULL filters match everything: one statement serves every combination.
    this.all = db.prepare<{ model: number | null; stimulus: number | null }, ClipRow>(
      `${SELECT} WHERE (@model IS NULL OR c.model_id = @model) AND (@stimulus IS NULL OR c.stimulus_id = @stimulus)
        ORDER BY c.model_id, c.stimulus_id, c.method, c.rank, c.id`
    )
    this.del = db.prepare<[number]>('DELETE FROM clips WHERE id = ?')
  }

  add(c: NewClip): Clip {
    const info = this.insert.run({
      modelId: c.modelId ?? null,
      stimulusId: c.stimulusId ?? null,
      libraryId: c.libraryId ?? null,
      libraryItemId: c.libraryItemId ?? null,
      method: c.method,
      rank: c.rank ?? null,
      score: c.score ?? null,
      audioPath: c.audioPath ?? null,
      audioSha256: c.audioSha256 ?? null,
      duration: c.duration ?? null,
      provenance: JSON.stringify(c.provenance),
      createdAt: nowIso()
    })
    return this.get(Number(info.lastInsertRowid))!
  }

  /** Same as `add`. */
  create(c: NewClip): Clip {
    return this.add(c)
  }

  /**
   * Deletes the clips matching every given field and returns them (the caller removes their audio files
   * once its transaction commits).
   */
  deleteWhere(w: { modelId?: number | null; method?: string; libraryId?: number; stimulusId?: number }): Clip[] {
    const conds: string[] = []
    const args: Record<string, unknown> = {}
    if (w.modelId !== undefined) {
      conds.push(w.modelId === null ? 'c.model_id IS NULL' : 'c.model_id = @modelId')
      if (w.modelId !== null) args.modelId = w.modelId
    }
    for (const [key, column] of [
      ['method', 'method'],
      ['libraryId', 'library_id'],
      ['stimulusId', 'stimulus_id']
    ] as const) {
      if (w[key] === undefined) continue
      conds.push(`c.${column} = @${key}`)
      args[key] = w[key]
    }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : ''
    const gone = this.db.prepare<Record<string, unknown>, ClipRow>(`${SELECT} ${where}`).all(args).map(toClip)
    for (const c of gone) this.del.run(c.id)
    return gone
  }

  get(id: number): Clip | undefined {
    const r = this.byId.get(id)
    return r ? toClip(r) : undefined
  }

  list(filter: { model?: number; stimulus?: number } = {}): Clip[] {
    return this.all.all({ model: filter.model ?? null, stimulus: filter.stimulus ?? null }).map(toClip)
  }

  remove(id: number): boolean {
    return this.del.run(id).changes === 1
  }
}

const repos = new WeakMap<Db, ClipsRepo>()

/** The clips repository of a catalogue connection (prepared once per connection). */
export function clipsRepo(db: Db): ClipsRepo {
  let r = repos.get(db)
  if (!r) {
    r = new ClipsRepo(db)
    repos.set(db, r)
  }
  return r
}

/** A library item with its library's root, by item id (for playback of any item). */
export function libraryItemById(
  db: Db,
  id: number
):
  | { id: number; libraryId: number; root: string; path: string; title: string | null; duration: number | null }
  | undefined {
  const r = db
    .prepare<
      [number],
      {
        id: number
        library_id: number
        root: string | null
        path: string
        title: string | null
        duration: number | null
      }
    >(
      `SELECT i.id, i.library_id, l.root, i.path, i.title, i.duration
         FROM library_items i JOIN libraries l ON l.id = i.library_id WHERE i.id = ?`
    )
    .get(id)
  return r
    ? { id: r.id, libraryId: r.library_id, root: r.root ?? '', path: r.path, title: r.title, duration: r.duration }
    : undefined
}
