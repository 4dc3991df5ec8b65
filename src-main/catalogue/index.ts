/**
 * The catalogue: one SQLite file per workspace holding metadata and provenance (never big arrays).
 * Open it with `Catalogue.open(file)`; repositories hang off it as properties.
 */
import type { CatalogueCounts } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { ArraysRepo } from './arrays'
import { FeatureSetsRepo } from './feature-sets'
import { LibrariesRepo } from './libraries'
import { StimulusAudioRepo } from './stimulus-audio'
import { clipsRepo, type ClipsRepo } from './clips'
import { listeningRepo, type ListeningRepo } from './listening'
import { JobsRepo } from './jobs'
import { MapsRepo } from './maps'
import { LATEST_SCHEMA_VERSION, type Migration, migrations } from './migrations'
import { type Db, openDatabase } from './open'
import { PreprocessingRepo } from './preprocessing'
import { RunsRepo } from './runs'
import { StimuliRepo } from './stimuli'
import { SessionsRepo, SubjectsRepo } from './subjects'

export type { ArrayRecord, NewArray } from './arrays'
export { checkRelPath } from './arrays'
export { INTERRUPTED_MESSAGE, type JobPatch, type LogLevel } from './jobs'
export { LATEST_SCHEMA_VERSION, migrations, type Migration } from './migrations'
export type { MapGrid, MapRecord, NewMap, NewSignificance } from './maps'
export { MapsRepo, mapInfo } from './maps'
export type { NewRun, Run } from './runs'
export type { Session, SubjectGrid } from './subjects'
export type { NewOccurrence, Occurrence, Stimulus } from './stimuli'
export { stimulusKey } from './stimuli'
export type { FeatureSet, FeatureSetRow, NewFeatureSet } from './feature-sets'
export type { KnownItem, Library, LibraryCounts, LibraryItemRecord, NewLibrary, NewLibraryItem } from './libraries'
export { FeatureSetsRepo, LibrariesRepo, StimulusAudioRepo }
export type { NewPreprocessing, Preprocessing } from './preprocessing'
export { ArraysRepo, JobsRepo, PreprocessingRepo, RunsRepo, SessionsRepo, StimuliRepo, SubjectsRepo }

interface CountsRow {
  subjects: number
  sessions: number
  runs: number
  stimuli: number
  feature_sets: number
  models: number
  evaluations: number
  clips: number
  arrays: number
  jobs: number
}

export class Catalogue {
  /** Absolute or caller-given path of the SQLite file. */
  readonly path: string
  /** Schema version of the file after opening (== LATEST_SCHEMA_VERSION). */
  readonly schemaVersion: number
  /** Versions of migrations this open applied (empty when the file was already current). */
  readonly appliedMigrations: number[]
  readonly subjects: SubjectsRepo
  readonly sessions: SessionsRepo
  readonly runs: RunsRepo
  readonly arrays: ArraysRepo
  readonly jobs: JobsRepo
  readonly maps: MapsRepo
  readonly stimuli: StimuliRepo
  readonly preprocessing: PreprocessingRepo
  readonly featureSets: FeatureSetsRepo
  readonly libraries: LibrariesRepo
  readonly stimulusAudio: StimulusAudioRepo

  private _db: Db | null
  private readonly countsStmt

  private constructor(file: string, db: Db, schemaVersion: number, applied: number[]) {
    this.path = file
    this._db = db
    this.schemaVersion = schemaVersion
    this.appliedMigrations = applied
    this.subjects = new SubjectsRepo(db)
    this.sessions = new SessionsRepo(db)
    this.runs = new RunsRepo(db)
    this.arrays = new ArraysRepo(db)
    this.jobs = new JobsRepo(db)
    this.maps = new MapsRepo(db)
    this.stimuli = new StimuliRepo(db)
    this.preprocessing = new PreprocessingRepo(db)
    this.featureSets = new FeatureSetsRepo(db)
    this.libraries = new LibrariesRepo(db)
    this.stimulusAudio = new StimulusAudioRepo(db)
    this.countsStmt = db.prepare<[], CountsRow>(`SELECT
      (SELECT COUNT(*) FROM subjects) AS subjects,
      (SELECT COUNT(*) FROM sessions) AS sessions,
      (SELECT COUNT(*) FROM runs) AS runs,
      (SELECT COUNT(*) FROM stimuli) AS stimuli,
      (SELECT COUNT(*) FROM feature_sets) AS feature_sets,
      (SELECT COUNT(*) FROM models) AS models,
      (SELECT COUNT(*) FROM evaluations) AS evaluations,
      (SELECT COUNT(*) FROM clips) AS clips,
      (SELECT COUNT(*) FROM arrays) AS arrays,
      (SELECT COUNT(*) FROM jobs) AS jobs`)
  }

  /**
   * Opens or creates a catalogue file and migrates it. Refuses (B2mError 'conflict', file untouched)
   * a file whose schema is newer than this app. `list` is for tests of future migrations.
   */
  static open(file: string, list: Migration[] = migrations): Catalogue {
    const { db, schemaVersion, applied } = openDatabase(file, list)
    return new Catalogue(file, db, schemaVersion, applied)
  }

  /** The underlying connection, for repositories added by later rooms. Throws once closed. */
  get db(): Db {
    if (!this._db) throw new B2mError('internal', 'catalogue is closed', this.path)
    return this._db
  }

  /** Clips decoded from predicted embeddings (catalogue/clips.ts; prepared on first use). */
  get clips(): ClipsRepo {
    return clipsRepo(this.db)
  }

  /** Blinded listening tests and their trials (catalogue/listening.ts; prepared on first use). */
  get listening(): ListeningRepo {
    return listeningRepo(this.db)
  }

  get isOpen(): boolean {
    return this._db !== null
  }

  /** Version of the SQLite library behind the catalogue, e.g. "3.50.2". */
  sqliteVersion(): string {
    return (this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v
  }

  /** Runs `fn` in one transaction (nested calls become savepoints); rolls back if it throws. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  counts(): CatalogueCounts {
    if (!this._db) throw new B2mError('internal', 'catalogue is closed', this.path)
    const r = this.countsStmt.get()!
    return {
      subjects: r.subjects,
      sessions: r.sessions,
      runs: r.runs,
      stimuli: r.stimuli,
      featureSets: r.feature_sets,
      models: r.models,
      evaluations: r.evaluations,
      clips: r.clips,
      arrays: r.arrays,
      jobs: r.jobs
    }
  }

  /** Closes the connection (checkpointing the WAL). Safe to call twice. */
  close(): void {
    if (!this._db) return
    this._db.close()
    this._db = null
  }
}

export { LATEST_SCHEMA_VERSION as CATALOGUE_SCHEMA_VERSION }
