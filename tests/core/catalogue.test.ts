import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CatalogueCounts, Job, JobLogLine, Subject } from '../../src-preload/api'
import { Catalogue, INTERRUPTED_MESSAGE, LATEST_SCHEMA_VERSION, migrations } from '../../src-main/catalogue'
import { B2mError } from '../../src-main/common/errors'

let dir: string
let file: string
const open: Catalogue[] = []

function openCat(f = file, list = migrations): Catalogue {
  const c = Catalogue.open(f, list)
  open.push(c)
  return c
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-cat-'))
  file = join(dir, 'catalogue.sqlite')
})
afterEach(() => {
  for (const c of open.splice(0)) c.close()
  rmSync(dir, { recursive: true, force: true })
})

function sha(f: string): string {
  return createHash('sha256').update(readFileSync(f)).digest('hex')
}

function caught(fn: () => unknown): B2mError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(B2mError)
    return err as B2mError
  }
  throw new Error('expected an error, none was thrown')
}

const HEX = 'a'.repeat(64)

describe('opening and migrations', () => {
  it('creates the schema once, records it, and does nothing on reopen', () => {
    const c = openCat()
    expect(c.schemaVersion).toBe(LATEST_SCHEMA_VERSION)
    expect(c.appliedMigrations).toEqual(migrations.map((m) => m.version))
    expect(c.path).toBe(file)
    c.close()
    expect(c.isOpen).toBe(false)
    c.close() // twice is fine

    const again = openCat()
    expect(again.appliedMigrations).toEqual([])
    expect(again.schemaVersion).toBe(LATEST_SCHEMA_VERSION)
    const rows = again.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as {
      version: number
      name: string
      applied_at: string
    }[]
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version))
    expect(rows[0].name).toBe(migrations[0].name)
    expect(new Date(rows[0].applied_at).toISOString()).toBe(rows[0].applied_at)
    expect(again.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
  })

  it('uses WAL, enforces foreign keys and waits on locks', () => {
    const c = openCat()
    expect(c.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(c.db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(c.db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000)
    expect(() =>
      c.db.prepare("INSERT INTO sessions (subject_id, label, created_at) VALUES (999, 'x', 'now')").run()
    ).toThrow(/FOREIGN KEY/)
    expect(c.sqliteVersion()).toMatch(/^3\.\d+\.\d+$/)
  })

  it('applies a later migration in its own transaction, and rolls a failing one back', () => {
    openCat().close()
    const L = LATEST_SCHEMA_VERSION
    const v2 = { version: L + 1, name: 'add notes', sql: 'ALTER TABLE subjects ADD COLUMN notes TEXT' }
    const c = openCat(file, [...migrations, v2])
    expect(c.appliedMigrations).toEqual([L + 1])
    expect(c.schemaVersion).toBe(L + 1)
    c.db.prepare("INSERT INTO subjects (label, created_at, notes) VALUES ('s', 'now', 'n')").run()
    c.close()

    const bad = {
      version: L + 2,
      name: 'broken',
      sql: 'CREATE TABLE t3 (x INTEGER); INSERT INTO no_such_table VALUES (1);'
    }
    const e = caught(() => Catalogue.open(file, [...migrations, v2, bad]))
    expect(e.code).toBe('failed')
    expect(e.message).toContain(`migration ${L + 2} (broken) failed and was rolled back`)
    expect(e.file).toBe(file)
    const raw = new Database(file)
    expect(raw.pragma('user_version', { simple: true })).toBe(L + 1)
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 't3'").get()).toBeUndefined()
    expect(raw.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: L + 1 })
    raw.close()
  })

  it('refuses a catalogue from a newer app and leaves the file untouched', () => {
    const c = openCat()
    c.subjects.create('sub-01')
    c.close()
    const raw = new Database(file)
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`)
    raw.pragma('journal_mode = DELETE') // fold the WAL back so the main file is the whole truth
    raw.close()
    const before = sha(file)
    const e = caught(() => Catalogue.open(file))
    expect(e.code).toBe('conflict')
    expect(e.file).toBe(file)
    expect(e.message).toContain(`version ${LATEST_SCHEMA_VERSION + 5}`)
    expect(e.message).toContain(`version ${LATEST_SCHEMA_VERSION})`)
    expect(e.message).toContain(file)
    expect(sha(file)).toBe(before)
    expect(existsSync(`${file}-wal`)).toBe(false)
    // still refused the second time, still untouched
    expect(() => Catalogue.open(file)).toThrow(B2mError)
    expect(sha(file)).toBe(before)
  })

  it('refuses a file that is not SQLite', () => {
    writeFileSync(file, 'this is not a database, just some text that is long enough to have a header'.repeat(10))
    const before = sha(file)
    const e = caught(() => Catalogue.open(file))
    expect(e.code).toBe('bad_request')
    expect(e.file).toBe(file)
    expect(e.message).toMatch(/not a Brain2Music catalogue/)
    expect(sha(file)).toBe(before)
  })

  it('checks migration numbering', () => {
    const e = caught(() => Catalogue.open(file, [migrations[0], { version: 3, name: 'gap', sql: '' }]))
    expect(e.code).toBe('internal')
  })

  it('counts everything, and transaction() rolls back on throw', () => {
    const c = openCat()
    const zero = c.counts()
    expect(CatalogueCounts.parse(zero)).toEqual(zero)
    expect(Object.values(zero).every((v) => v === 0)).toBe(true)
    expect(() =>
      c.transaction(() => {
        c.subjects.create('sub-01')
        c.jobs.create('compute.benchmark', {})
        throw new Error('boom')
      })
    ).toThrow('boom')
    expect(c.counts().subjects).toBe(0)
    expect(c.counts().jobs).toBe(0)
    const s = c.transaction(() => c.subjects.create('sub-01'))
    c.sessions.create(s.id, 'ses-1')
    c.jobs.create('x')
    c.arrays.register({ relPath: 'a.npy', sha256: HEX, dtype: 'float32', shape: [1], bytes: 132, role: 'test' })
    expect(c.counts()).toMatchObject({ subjects: 1, sessions: 1, runs: 0, jobs: 1, arrays: 1, models: 0 })
  })
})

describe('subjects, sessions, runs', () => {
  const run = (sessionId: number, task: string, n: number) => ({
    sessionId,
    task,
    run: n,
    shape: [64, 64, 30, 100],
    affine: [
      [3, 0, 0, -96],
      [0, 3, 0, -96],
      [0, 0, 3, -45],
      [0, 0, 0, 1]
    ],
    tr: 1.5,
    volumes: 100,
    sourcePath: `/bids/sub/func/task-${task}_run-${n}_bold.nii.gz`,
    sourceSha256: HEX
  })

  it('lists subjects with session and run counts', () => {
    const c = openCat()
    const a = c.subjects.create('sub-02')
    const b = c.subjects.create('sub-01')
    expect(Subject.parse(a)).toEqual(a)
    expect(a).toMatchObject({ label: 'sub-02', sessions: 0, runs: 0 })
    expect(new Date(a.createdAt).toISOString()).toBe(a.createdAt)

    const s1 = c.sessions.create(a.id, 'ses-1')
    const s2 = c.sessions.create(a.id, 'ses-2')
    c.sessions.create(b.id, '')
    c.runs.create(run(s1.id, 'music', 1))
    c.runs.create(run(s1.id, 'music', 2))
    c.runs.create(run(s2.id, 'music', 1))

    const list = c.subjects.list()
    expect(list.map((s) => s.label)).toEqual(['sub-01', 'sub-02'])
    expect(list.map((s) => [s.sessions, s.runs])).toEqual([
      [1, 0],
      [2, 3]
    ])
    for (const s of list) expect(Subject.parse(s)).toEqual(s)
    expect(c.subjects.getByLabel('sub-02')?.runs).toBe(3)
    expect(c.subjects.getByLabel('nobody')).toBeUndefined()
    expect(c.subjects.ensure('sub-01').id).toBe(b.id)
    expect(c.sessions.ensure(a.id, 'ses-1').id).toBe(s1.id)
    expect(c.sessions.listBySubject(a.id).map((s) => s.label)).toEqual(['ses-1', 'ses-2'])
  })

  it('refuses duplicates and dangling references clearly', () => {
    const c = openCat()
    const a = c.subjects.create('sub-01')
    expect(caught(() => c.subjects.create('sub-01')).code).toBe('conflict')
    expect(caught(() => c.subjects.create('')).code).toBe('bad_request')
    expect(caught(() => c.sessions.create(12345, 'ses-1')).code).toBe('not_found')
    const s = c.sessions.create(a.id, 'ses-1')
    expect(caught(() => c.sessions.create(a.id, 'ses-1')).code).toBe('conflict')
    c.runs.create(run(s.id, 'music', 1))
    expect(caught(() => c.runs.create(run(s.id, 'music', 1))).code).toBe('conflict')
    expect(caught(() => c.runs.create(run(999, 'music', 1))).code).toBe('not_found')
    const badTr = caught(() => c.runs.create({ ...run(s.id, 'music', 2), tr: 0 }))
    expect(badTr.code).toBe('bad_request')
    expect(badTr.message).toMatch(/TR must be a positive/)
    expect(badTr.file).toContain('run-2_bold.nii.gz')
  })

  it('stores runs with their geometry and provenance', () => {
    const c = openCat()
    const a = c.subjects.create('sub-01')
    const s1 = c.sessions.create(a.id, 'ses-b')
    const s0 = c.sessions.create(a.id, 'ses-a')
    c.runs.create(run(s1.id, 'music', 1))
    const r = c.runs.create({ ...run(s0.id, 'music', 2), affine: null })
    expect(r).toMatchObject({
      sessionId: s0.id,
      subjectId: a.id,
      task: 'music',
      run: 2,
      tr: 1.5,
      volumes: 100,
      affine: null
    })
    expect(r.shape).toEqual([64, 64, 30, 100])
    const list = c.runs.listBySubject(a.id)
    expect(list.map((x) => [x.sessionId, x.run])).toEqual([
      [s0.id, 2],
      [s1.id, 1]
    ])
    expect(list[1].affine?.[0]).toEqual([3, 0, 0, -96])
    expect(c.runs.listBySession(s1.id)).toHaveLength(1)
    // deleting a subject cascades to its sessions and runs
    c.db.prepare('DELETE FROM subjects WHERE id = ?').run(a.id)
    expect(c.counts()).toMatchObject({ subjects: 0, sessions: 0, runs: 0 })
  })
})

describe('arrays', () => {
  it('registers, finds, lists and removes', () => {
    const c = openCat()
    const rec = c.arrays.register({
      relPath: 'sub-01/resp.npy',
      sha256: HEX,
      dtype: 'float32',
      shape: [10, 20],
      bytes: 928,
      role: 'responses'
    })
    expect(rec).toMatchObject({
      relPath: 'sub-01/resp.npy',
      dtype: 'float32',
      shape: [10, 20],
      bytes: 928,
      role: 'responses'
    })
    expect(c.arrays.get(rec.id)).toEqual(rec)
    expect(c.arrays.byPath('sub-01/resp.npy')).toEqual(rec)
    c.arrays.register({ relPath: 'f.npy', sha256: HEX, dtype: 'float64', shape: [], bytes: 136, role: 'features' })
    expect(c.arrays.list().map((a) => a.relPath)).toEqual(['sub-01/resp.npy', 'f.npy'])
    expect(c.arrays.list('features').map((a) => a.relPath)).toEqual(['f.npy'])
    expect(caught(() => c.arrays.register({ ...rec })).code).toBe('conflict')
    for (const relPath of ['../x.npy', '/abs.npy', 'a//b.npy', 'x.txt', 'a\\b.npy', './a.npy']) {
      expect(
        caught(() => c.arrays.register({ relPath, sha256: HEX, dtype: 'uint8', shape: [1], bytes: 1, role: 'r' })).code
      ).toBe('bad_request')
    }
    expect(
      caught(() =>
        c.arrays.register({ relPath: 'y.npy', sha256: 'zz', dtype: 'uint8', shape: [1], bytes: 1, role: 'r' })
      ).code
    ).toBe('bad_request')

    // an array used by another record cannot be removed
    const subj = c.subjects.create('sub-01')
    c.db
      .prepare(
        "INSERT INTO preprocessing (subject_id, params, responses_array_id, created_at) VALUES (?, '{}', ?, 'now')"
      )
      .run(subj.id, rec.id)
    expect(caught(() => c.arrays.remove(rec.id)).code).toBe('conflict')
    c.db.prepare('DELETE FROM preprocessing').run()
    expect(c.arrays.remove(rec.id)).toBe(true)
    expect(c.arrays.remove(rec.id)).toBe(false)
    expect(c.arrays.get(rec.id)).toBeUndefined()
  })
})

describe('jobs', () => {
  it('creates, reads, lists newest first and updates', () => {
    const c = openCat()
    const j1 = c.jobs.create('compute.benchmark', { size: 64, repeats: 2 })
    expect(Job.parse(j1)).toEqual(j1)
    expect(j1).toMatchObject({
      kind: 'compute.benchmark',
      params: { size: 64, repeats: 2 },
      state: 'queued',
      progress: 0,
      message: '',
      error: null,
      result: null,
      startedAt: null,
      finishedAt: null
    })
    const j2 = c.jobs.create('workspace.verify')
    expect(j2.params).toEqual({})
    expect(c.jobs.list(10).map((j) => j.id)).toEqual([j2.id, j1.id])
    expect(c.jobs.list(1).map((j) => j.id)).toEqual([j2.id])
    expect(c.jobs.get(99999)).toBeUndefined()

    const started = new Date().toISOString()
    const running = c.jobs.update(j1.id, {
      state: 'running',
      startedAt: started,
      progress: 0.25,
      message: 'warming up'
    })
    expect(running).toMatchObject({ state: 'running', startedAt: started, progress: 0.25, message: 'warming up' })
    const done = c.jobs.update(j1.id, {
      state: 'succeeded',
      progress: 1,
      result: { gflops: 12.5, rows: [1, 2] },
      finishedAt: started
    })
    expect(done.result).toEqual({ gflops: 12.5, rows: [1, 2] })
    expect(done.message).toBe('warming up') // untouched fields stay
    expect(Job.parse(done)).toEqual(done)
    expect(c.jobs.get(j1.id)).toEqual(done)
    const failed = c.jobs.update(j2.id, { state: 'failed', error: 'disk full', result: undefined })
    expect(failed).toMatchObject({ state: 'failed', error: 'disk full', result: null })
    expect(c.jobs.update(j2.id, {})).toEqual(failed)
    expect(c.jobs.update(j2.id, { progress: 7 }).progress).toBe(1)

    expect(caught(() => c.jobs.update(424242, { state: 'running' })).code).toBe('not_found')
    expect(caught(() => c.jobs.update(j2.id, { state: 'paused' as never })).code).toBe('bad_request')
    expect(caught(() => c.jobs.update(j2.id, { progress: Number.NaN })).code).toBe('bad_request')
    expect(caught(() => c.jobs.create('x', { big: 10n } as never)).code).toBe('bad_request')
  })

  it('numbers log lines per job and pages them', () => {
    const c = openCat()
    const a = c.jobs.create('a')
    const b = c.jobs.create('b')
    const l1 = c.jobs.appendLog(a.id, 'info', 'one')
    const l2 = c.jobs.appendLog(a.id, 'warn', 'two')
    const m1 = c.jobs.appendLog(b.id, 'error', 'other job')
    const l3 = c.jobs.appendLog(a.id, 'debug', 'three')
    expect([l1.seq, l2.seq, l3.seq, m1.seq]).toEqual([1, 2, 3, 1])
    expect(JobLogLine.parse(l2)).toEqual(l2)
    expect(c.jobs.logs(a.id, 0)).toEqual([l1, l2, l3])
    expect(c.jobs.logs(a.id, 1).map((l) => l.text)).toEqual(['two', 'three'])
    expect(c.jobs.logs(a.id, 3)).toEqual([])
    expect(c.jobs.logs(b.id)).toEqual([m1])
    expect(caught(() => c.jobs.appendLog(999, 'info', 'x')).code).toBe('not_found')
    expect(caught(() => c.jobs.appendLog(a.id, 'loud' as never, 'x')).code).toBe('bad_request')
    // seq survives a reopen, and logs go with their job
    c.close()
    const again = openCat()
    expect(again.jobs.appendLog(a.id, 'info', 'four').seq).toBe(4)
    expect(again.jobs.remove(a.id)).toBe(true)
    expect(again.jobs.logs(a.id)).toEqual([])
    expect(again.db.prepare('SELECT COUNT(*) AS n FROM job_logs').get()).toEqual({ n: 1 })
  })

  it('marks running and queued jobs interrupted after a restart', () => {
    const c = openCat()
    const queued = c.jobs.create('q')
    const running = c.jobs.create('r')
    const done = c.jobs.create('d')
    const cancelled = c.jobs.create('c')
    c.jobs.update(running.id, { state: 'running', startedAt: new Date().toISOString() })
    c.jobs.update(done.id, { state: 'succeeded', finishedAt: '2024-01-01T00:00:00.000Z' })
    c.jobs.update(cancelled.id, { state: 'cancelled' })
    c.close()

    const again = openCat()
    expect(again.jobs.markInterrupted()).toBe(2)
    for (const id of [queued.id, running.id]) {
      const j = again.jobs.get(id)!
      expect(j.state).toBe('interrupted')
      expect(j.message).toBe(INTERRUPTED_MESSAGE)
      expect(j.message).toBe('interrupted: the app stopped while this job ran')
      expect(j.finishedAt).not.toBeNull()
      expect(new Date(j.finishedAt!).toISOString()).toBe(j.finishedAt)
    }
    expect(again.jobs.get(done.id)).toMatchObject({ state: 'succeeded', finishedAt: '2024-01-01T00:00:00.000Z' })
    expect(again.jobs.get(cancelled.id)?.state).toBe('cancelled')
    expect(again.jobs.markInterrupted()).toBe(0)
  })

  it('the state CHECK constraint guards the table itself', () => {
    const c = openCat()
    const j = c.jobs.create('x')
    expect(() => c.db.prepare("UPDATE jobs SET state = 'bogus' WHERE id = ?").run(j.id)).toThrow(/CHECK/)
  })
})
