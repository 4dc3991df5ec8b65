/**
 * Numbered schema migrations. Each runs once, in its own transaction, when a catalogue is opened;
 * the version reached is recorded in `PRAGMA user_version` and in `schema_migrations`.
 *
 * Rules: never edit a migration that has shipped; add a new one with the next version number.
 * Timestamps are ISO 8601 UTC strings. JSON columns hold text that `JSON.parse` accepts.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: /* sql */ `
CREATE TABLE subjects (
  id          INTEGER PRIMARY KEY,
  label       TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL
);

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  subject_id  INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  label       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (subject_id, label)
);
CREATE INDEX sessions_subject ON sessions(subject_id);

CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  task           TEXT NOT NULL,
  run            INTEGER NOT NULL,
  shape          TEXT NOT NULL,               -- JSON [x, y, z] or [x, y, z, t]
  affine         TEXT,                        -- JSON 4x4 voxel -> world (mm)
  tr             REAL NOT NULL CHECK (tr > 0),
  volumes        INTEGER NOT NULL CHECK (volumes >= 0),
  source_path    TEXT NOT NULL,
  source_sha256  TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  UNIQUE (session_id, task, run)
);
CREATE INDEX runs_session ON runs(session_id);

CREATE TABLE stimuli (
  id            INTEGER PRIMARY KEY,
  key           TEXT NOT NULL UNIQUE,          -- e.g. "blues.00012@15" (genre.track@start)
  genre         TEXT,
  track         TEXT,
  start_s       REAL,
  end_s         REAL,
  audio_path    TEXT,
  audio_sha256  TEXT,
  created_at    TEXT NOT NULL
);

CREATE TABLE stimulus_occurrences (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  stimulus_id  INTEGER NOT NULL REFERENCES stimuli(id),
  onset        REAL NOT NULL,
  duration     REAL NOT NULL CHECK (duration >= 0),
  genre        TEXT,
  track        TEXT,
  start_s      REAL,
  end_s        REAL
);
CREATE INDEX stimulus_occurrences_run ON stimulus_occurrences(run_id);
CREATE INDEX stimulus_occurrences_stimulus ON stimulus_occurrences(stimulus_id);

CREATE TABLE arrays (
  id          INTEGER PRIMARY KEY,
  rel_path    TEXT NOT NULL UNIQUE,           -- relative to <workspace>/arrays, '/' separated
  sha256      TEXT NOT NULL,
  dtype       TEXT NOT NULL CHECK (dtype IN ('float32', 'float64', 'int16', 'int32', 'uint8', 'bool')),
  shape       TEXT NOT NULL,                  -- JSON
  bytes       INTEGER NOT NULL CHECK (bytes >= 0),
  role        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE preprocessing (
  id                   INTEGER PRIMARY KEY,
  subject_id           INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  params               TEXT NOT NULL,         -- JSON
  responses_array_id   INTEGER REFERENCES arrays(id),
  provenance           TEXT NOT NULL DEFAULT '{}',
  created_at           TEXT NOT NULL
);
CREATE INDEX preprocessing_subject ON preprocessing(subject_id);

CREATE TABLE feature_sets (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  extractor   TEXT NOT NULL,                  -- e.g. "builtin", "clap"
  params      TEXT NOT NULL DEFAULT '{}',
  dims        INTEGER,
  array_id    INTEGER REFERENCES arrays(id),
  provenance  TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL
);

CREATE TABLE models (
  id                 INTEGER PRIMARY KEY,
  subject_id         INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  kind               TEXT NOT NULL CHECK (kind IN ('decoder', 'encoder')),
  name               TEXT NOT NULL DEFAULT '',
  feature_set_id     INTEGER REFERENCES feature_sets(id),
  preprocessing_id   INTEGER REFERENCES preprocessing(id),
  params             TEXT NOT NULL DEFAULT '{}',
  weights_array_id   INTEGER REFERENCES arrays(id),
  alphas_array_id    INTEGER REFERENCES arrays(id),
  provenance         TEXT NOT NULL DEFAULT '{}',
  created_at         TEXT NOT NULL
);
CREATE INDEX models_subject ON models(subject_id);

CREATE TABLE evaluations (
  id               INTEGER PRIMARY KEY,
  model_id         INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  metrics          TEXT NOT NULL DEFAULT '{}',
  scores_array_id  INTEGER REFERENCES arrays(id),
  provenance       TEXT NOT NULL DEFAULT '{}',
  created_at       TEXT NOT NULL
);
CREATE INDEX evaluations_model ON evaluations(model_id);

CREATE TABLE libraries (
  id                    INTEGER PRIMARY KEY,
  name                  TEXT NOT NULL UNIQUE,
  feature_set_id        INTEGER REFERENCES feature_sets(id),
  embeddings_array_id   INTEGER REFERENCES arrays(id),
  items                 TEXT NOT NULL DEFAULT '[]',   -- JSON list of clip descriptions
  provenance            TEXT NOT NULL DEFAULT '{}',
  created_at            TEXT NOT NULL
);

CREATE TABLE clips (
  id              INTEGER PRIMARY KEY,
  model_id        INTEGER REFERENCES models(id) ON DELETE CASCADE,
  stimulus_id     INTEGER REFERENCES stimuli(id),
  library_id      INTEGER REFERENCES libraries(id),
  method          TEXT NOT NULL,              -- "retrieval" | "generation" | ...
  audio_path      TEXT,
  audio_sha256    TEXT,
  array_id        INTEGER REFERENCES arrays(id),
  provenance      TEXT NOT NULL DEFAULT '{}',
  created_at      TEXT NOT NULL
);
CREATE INDEX clips_model ON clips(model_id);

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  params       TEXT NOT NULL DEFAULT '{}',
  state        TEXT NOT NULL DEFAULT 'queued'
               CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  progress     REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  message      TEXT NOT NULL DEFAULT '',
  error        TEXT,
  result       TEXT,                          -- JSON or NULL
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  finished_at  TEXT
);
CREATE INDEX jobs_state ON jobs(state);

CREATE TABLE job_logs (
  id      INTEGER PRIMARY KEY,
  job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq     INTEGER NOT NULL,
  time    TEXT NOT NULL,
  level   TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  text    TEXT NOT NULL,
  UNIQUE (job_id, seq)
);
`
  },
  {
    version: 2,
    name: 'imported runs and cortical maps',
    sql: /* sql */ `
ALTER TABLE subjects ADD COLUMN mask_array_id INTEGER REFERENCES arrays(id);
ALTER TABLE subjects ADD COLUMN grid TEXT;               -- JSON {shape:[X,Y,Z], affine} of the mask's voxel grid
ALTER TABLE subjects ADD COLUMN mask_source TEXT;        -- the mask NIfTI, or "mean-epi:<run source>"

ALTER TABLE runs ADD COLUMN data_array_id INTEGER REFERENCES arrays(id);   -- masked float32 (T x V)
ALTER TABLE runs ADD COLUMN mean_array_id INTEGER REFERENCES arrays(id);   -- mean volume float32 (Z x Y x X)
ALTER TABLE runs ADD COLUMN dataset_root TEXT;
ALTER TABLE runs ADD COLUMN events_path TEXT;
ALTER TABLE runs ADD COLUMN sidecar TEXT NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';

CREATE TABLE maps (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('volume', 'surface')),
  source_path   TEXT,
  array_id      INTEGER REFERENCES arrays(id),
  grid          TEXT,                 -- volumes: JSON {shape:[X,Y,Z], affine}
  surface_set   TEXT,                 -- surface maps: the surface set their vertices belong to
  model_id      INTEGER REFERENCES models(id) ON DELETE CASCADE,
  units         TEXT NOT NULL DEFAULT '',
  provenance    TEXT NOT NULL DEFAULT '{}',
  created_at    TEXT NOT NULL
);
CREATE INDEX maps_model ON maps(model_id);
`
  },
  {
    version: 3,
    name: 'train and test responses of a preprocessing',
    sql: /* sql */ `
-- responses_array_id (migration 1) holds the training responses; the test responses (repeats averaged) go here.
ALTER TABLE preprocessing ADD COLUMN test_array_id INTEGER REFERENCES arrays(id);
ALTER TABLE preprocessing ADD COLUMN train_samples TEXT NOT NULL DEFAULT '[]';   -- JSON: one record per row
ALTER TABLE preprocessing ADD COLUMN test_samples TEXT NOT NULL DEFAULT '[]';
ALTER TABLE preprocessing ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
`
  },
  {
    version: 4,
    name: 'feature set rows, stimulus audio and music libraries',
    sql: /* sql */ `
-- One JSON record per row of a feature set's matrix: which stimulus (or library item) and which window.
ALTER TABLE feature_sets ADD COLUMN rows TEXT NOT NULL DEFAULT '[]';
ALTER TABLE feature_sets ADD COLUMN transform TEXT;         -- JSON of a fitted normalisation/PCA, or NULL

ALTER TABLE libraries ADD COLUMN root TEXT;
ALTER TABLE libraries ADD COLUMN extractor TEXT;
ALTER TABLE libraries ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
ALTER TABLE libraries ADD COLUMN dim INTEGER;

-- One row per audio file of a library; row = its row in the library's embedding matrix.
CREATE TABLE library_items (
  id          INTEGER PRIMARY KEY,
  library_id  INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  row         INTEGER,                 -- NULL while unreadable
  path        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  mtime_ms    REAL NOT NULL,
  duration    REAL,
  title       TEXT,
  artist      TEXT,
  album       TEXT,
  genre       TEXT,
  tags        TEXT NOT NULL DEFAULT '{}',
  error       TEXT,                    -- why the file could not be embedded
  UNIQUE (library_id, path)
);
CREATE INDEX library_items_row ON library_items(library_id, row);
`
  },
  {
    version: 5,
    name: 'trained models: summaries and their arrays',
    sql: /* sql */ `
-- JSON: rows, targets, test scores, CV curve, chosen-alpha counts, grid-edge warning, parts (ROI ensembles).
ALTER TABLE models ADD COLUMN summary TEXT NOT NULL DEFAULT '{}';

-- Every array of a model by name ("part0.weights", "part0.voxels", "test_r", ...): a model is many arrays.
CREATE TABLE model_arrays (
  model_id  INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  name      TEXT NOT NULL,
  array_id  INTEGER NOT NULL REFERENCES arrays(id),
  PRIMARY KEY (model_id, name)
);
CREATE INDEX model_arrays_array ON model_arrays(array_id);

-- The arrays of an evaluation by name ("pred", "true", "matrix", "r", "p", "q").
CREATE TABLE evaluation_arrays (
  evaluation_id  INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  array_id       INTEGER NOT NULL REFERENCES arrays(id),
  PRIMARY KEY (evaluation_id, name)
);
`
  },
  {
    version: 6,
    name: 'clips: library item, rank, score and duration',
    sql: /* sql */ `
-- A retrieved clip is a library item at a rank with its cosine score; a generated clip has a duration.
ALTER TABLE clips ADD COLUMN library_item_id INTEGER REFERENCES library_items(id) ON DELETE SET NULL;
ALTER TABLE clips ADD COLUMN rank INTEGER;
ALTER TABLE clips ADD COLUMN score REAL;
ALTER TABLE clips ADD COLUMN duration REAL;
CREATE INDEX clips_stimulus ON clips(stimulus_id);
`
  },
  {
    version: 7,
    name: 'blinded listening tests',
    sql: /* sql */ `
-- A saved two-alternative listening test and its score; the result outlives its model and clips.
CREATE TABLE listening_tests (
  id          INTEGER PRIMARY KEY,
  model_id    INTEGER REFERENCES models(id) ON DELETE SET NULL,
  n           INTEGER NOT NULL CHECK (n > 0),
  correct     INTEGER NOT NULL CHECK (correct >= 0 AND correct <= n),
  p           REAL NOT NULL CHECK (p >= 0 AND p <= 1),   -- one-sided binomial vs 0.5
  provenance  TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL
);
CREATE INDEX listening_tests_model ON listening_tests(model_id);

-- One row per trial: the stimulus, the two clips in the order played, the right side and the answer.
CREATE TABLE listening_trials (
  id           INTEGER PRIMARY KEY,
  test_id      INTEGER NOT NULL REFERENCES listening_tests(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  stimulus_id  INTEGER NOT NULL REFERENCES stimuli(id),
  clip_a       INTEGER REFERENCES clips(id) ON DELETE SET NULL,
  clip_b       INTEGER REFERENCES clips(id) ON DELETE SET NULL,
  correct      TEXT NOT NULL CHECK (correct IN ('A', 'B')),
  answer       TEXT NOT NULL CHECK (answer IN ('A', 'B')),
  UNIQUE (test_id, seq)
);
`
  },
  {
    version: 8,
    name: 'map significance: p-values and FDR masks',
    sql: /* sql */ `
-- A map may carry p-values (same shape as its values) and the Benjamini-Hochberg mask at level fdr_q
-- (uint8, 1 = significant), with the number of defined p-values (tests) and of significant ones.
ALTER TABLE maps ADD COLUMN pvalues_array_id INTEGER REFERENCES arrays(id);
ALTER TABLE maps ADD COLUMN significance_array_id INTEGER REFERENCES arrays(id);
ALTER TABLE maps ADD COLUMN fdr_q REAL CHECK (fdr_q IS NULL OR (fdr_q > 0 AND fdr_q < 1));
ALTER TABLE maps ADD COLUMN fdr_tests INTEGER CHECK (fdr_tests IS NULL OR fdr_tests >= 0);
ALTER TABLE maps ADD COLUMN fdr_significant INTEGER CHECK (fdr_significant IS NULL OR fdr_significant >= 0);
`
  }
]

/** The schema version this build of the app writes and understands. */
export const LATEST_SCHEMA_VERSION = migrations.reduce((v, m) => Math.max(v, m.version), 0)
