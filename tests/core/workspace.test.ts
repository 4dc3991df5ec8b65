import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix, win32 } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import { type NdArray, readNpy } from '../../src-main/formats/npy'
import { Workspace } from '../../src-main/workspace'
import { defaultWorkspaceDir } from '../../src-main/workspace/paths'

let root: string
const opened: Workspace[] = []

function openWs(options?: Parameters<typeof Workspace.open>[1]): Workspace {
  const ws = Workspace.open(root, options)
  opened.push(ws)
  return ws
}

beforeEach(() => {
  root = join(mkdtempSync(join(tmpdir(), 'b2m-ws-')), 'workspace')
})
afterEach(() => {
  for (const ws of opened.splice(0)) ws.close()
  rmSync(join(root, '..'), { recursive: true, force: true })
})

function caught(fn: () => unknown): B2mError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(B2mError)
    return err as B2mError
  }
  throw new Error('expected an error, none was thrown')
}

const matrix = (rows: number, cols: number): NdArray => ({
  dtype: 'float32',
  shape: [rows, cols],
  data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 100)
})

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

describe('Workspace', () => {
  it('creates its folders and catalogue', () => {
    const ws = openWs()
    expect(ws.root).toBe(root)
    expect(statSync(ws.arraysDir).isDirectory()).toBe(true)
    expect(statSync(ws.tmpDir).isDirectory()).toBe(true)
    expect(existsSync(join(root, 'catalogue.sqlite'))).toBe(true)
    expect(ws.catalogue.path).toBe(join(root, 'catalogue.sqlite'))
    expect(ws.cleanedTmp).toBe(0)
  })

  it('writes arrays atomically, hashed and registered, and reads them back', () => {
    const ws = openWs()
    const arr = matrix(30, 40)
    const rec = ws.writeArray('sub-01/responses.npy', arr, 'responses')
    const file = join(ws.arraysDir, 'sub-01', 'responses.npy')
    const bytes = readFileSync(file)
    expect(rec).toMatchObject({
      relPath: 'sub-01/responses.npy',
      dtype: 'float32',
      shape: [30, 40],
      role: 'responses',
      bytes: bytes.length
    })
    expect(rec.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(readdirSync(ws.tmpDir)).toEqual([])
    expect(ws.catalogue.counts().arrays).toBe(1)

    for (const ref of ['sub-01/responses.npy', rec.id] as const) {
      const back = ws.readArray(ref, { verify: true })
      expect(back.shape).toEqual([30, 40])
      expect(Array.from(back.data)).toEqual(Array.from(arr.data))
    }
    expect(Array.from(readNpy(file).data)).toEqual(Array.from(arr.data))
    // 0-d and empty arrays are arrays too
    ws.writeArray('scalar.npy', { dtype: 'float64', shape: [], data: Float64Array.from([2.5]) }, 'meta')
    ws.writeArray('empty.npy', { dtype: 'int32', shape: [0, 3], data: new Int32Array(0) }, 'meta')
    expect(ws.readArray('scalar.npy').data[0]).toBe(2.5)
    expect(ws.readArray('empty.npy').shape).toEqual([0, 3])
  })

  it('survives a reopen: records and files persist', () => {
    const ws = openWs()
    const rec = ws.writeArray('a/b/c.npy', matrix(2, 2), 'weights')
    ws.close()
    const again = openWs()
    expect(again.catalogue.arrays.byPath('a/b/c.npy')).toEqual(rec)
    expect(again.readArray('a/b/c.npy', { verify: true }).shape).toEqual([2, 2])
  })

  it('refuses bad paths, registered paths and inconsistent arrays without leaving anything', () => {
    const ws = openWs()
    ws.writeArray('x.npy', matrix(2, 3), 'r')
    const before = readFileSync(join(ws.arraysDir, 'x.npy'))
    const conflict = caught(() => ws.writeArray('x.npy', matrix(5, 5), 'r'))
    expect(conflict.code).toBe('conflict')
    expect(readFileSync(join(ws.arraysDir, 'x.npy')).equals(before)).toBe(true)
    for (const p of ['../escape.npy', '/abs.npy', 'noext', 'a/../b.npy']) {
      expect(caught(() => ws.writeArray(p, matrix(1, 1), 'r')).code).toBe('bad_request')
    }
    const bad = caught(() =>
      ws.writeArray('bad.npy', { dtype: 'float32', shape: [3, 3], data: new Float32Array(4) }, 'r')
    )
    expect(bad.code).toBe('bad_request')
    expect(bad.file).toBe(join(ws.arraysDir, 'bad.npy'))
    expect(caught(() => ws.writeArray('norole.npy', matrix(1, 1), '')).code).toBe('bad_request')
    expect(existsSync(join(root, '..', 'escape.npy'))).toBe(false)
    expect(existsSync(join(ws.arraysDir, 'bad.npy'))).toBe(false)
    expect(existsSync(join(ws.arraysDir, 'norole.npy'))).toBe(false)
    expect(readdirSync(ws.tmpDir)).toEqual([])
    expect(ws.catalogue.arrays.list().map((a) => a.relPath)).toEqual(['x.npy'])
  })

  it('removes the temp file and registers nothing when the final rename fails', () => {
    const ws = openWs()
    // A directory sits where the file should go: rename(2) onto a non-empty directory fails.
    mkdirSync(join(ws.arraysDir, 'blocked.npy', 'inside'), { recursive: true })
    const e = caught(() => ws.writeArray('blocked.npy', matrix(10, 10), 'r'))
    expect(e.code).toBe('failed')
    expect(e.file).toBe(join(ws.arraysDir, 'blocked.npy'))
    expect(readdirSync(ws.tmpDir)).toEqual([])
    expect(ws.catalogue.arrays.byPath('blocked.npy')).toBeUndefined()
    expect(ws.catalogue.counts().arrays).toBe(0)
  })

  it('rolls back when registration fails inside the transaction, and unlinks a renamed file if the commit fails', () => {
    const ws = openWs()
    const repo = ws.catalogue.arrays
    const original = repo.register.bind(repo)
    repo.register = () => {
      throw new B2mError('conflict', 'raced by another writer')
    }
    expect(caught(() => ws.writeArray('raced.npy', matrix(2, 2), 'r')).message).toMatch(/raced/)
    repo.register = original
    expect(readdirSync(ws.tmpDir)).toEqual([])
    expect(existsSync(join(ws.arraysDir, 'raced.npy'))).toBe(false)

    const cat = ws.catalogue
    const tx = cat.transaction.bind(cat)
    cat.transaction = <T>(fn: () => T): T =>
      tx(() => {
        fn()
        throw new Error('SQLITE_BUSY: database is locked (simulated at commit)')
      })
    const e = caught(() => ws.writeArray('late.npy', matrix(2, 2), 'r'))
    cat.transaction = tx
    expect(e.code).toBe('failed')
    expect(existsSync(join(ws.arraysDir, 'late.npy'))).toBe(false)
    expect(readdirSync(ws.tmpDir)).toEqual([])
    expect(cat.arrays.byPath('late.npy')).toBeUndefined()
    // and the workspace still works afterwards
    expect(ws.writeArray('late.npy', matrix(2, 2), 'r').relPath).toBe('late.npy')
  })

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)(
    'leaves nothing when the target folder cannot be written',
    () => {
      const ws = openWs()
      mkdirSync(join(ws.arraysDir, 'locked'))
      chmodSync(join(ws.arraysDir, 'locked'), 0o500)
      try {
        const e = caught(() => ws.writeArray('locked/a.npy', matrix(3, 3), 'r'))
        expect(e.code).toBe('failed')
        expect(readdirSync(ws.tmpDir)).toEqual([])
        expect(ws.catalogue.counts().arrays).toBe(0)
      } finally {
        chmodSync(join(ws.arraysDir, 'locked'), 0o700)
      }
    }
  )

  it('detects tampered and missing files (readArray verify and verifyArrays)', () => {
    const ws = openWs()
    ws.writeArray('good.npy', matrix(4, 4), 'r')
    ws.writeArray('tampered.npy', matrix(4, 4), 'r')
    ws.writeArray('gone.npy', matrix(4, 4), 'r')
    const tampered = join(ws.arraysDir, 'tampered.npy')
    const bytes = readFileSync(tampered)
    bytes[bytes.length - 1] ^= 0xff // flip bits of the last element: still a valid .npy
    writeFileSync(tampered, bytes)
    rmSync(join(ws.arraysDir, 'gone.npy'))

    // without verify the tampered file still parses
    expect(ws.readArray('tampered.npy').shape).toEqual([4, 4])
    const e = caught(() => ws.readArray('tampered.npy', { verify: true }))
    expect(e.code).toBe('failed')
    expect(e.file).toBe(tampered)
    expect(e.message).toMatch(/SHA-256/)
    const missing = caught(() => ws.readArray('gone.npy'))
    expect(missing.code).toBe('not_found')
    expect(missing.file).toBe(join(ws.arraysDir, 'gone.npy'))
    expect(caught(() => ws.readArray('never-written.npy')).code).toBe('not_found')
    expect(caught(() => ws.readArray(4242)).code).toBe('not_found')

    const progress: [number, number, string][] = []
    const report = ws.verifyArrays((done, total, relPath) => progress.push([done, total, relPath]))
    expect(report).toEqual({ checked: 3, mismatched: ['tampered.npy'], missing: ['gone.npy'], stopped: false })
    expect(progress).toEqual([
      [1, 3, 'good.npy'],
      [2, 3, 'tampered.npy'],
      [3, 3, 'gone.npy']
    ])

    let asked = 0
    const partial = ws.verifyArrays(undefined, () => ++asked > 1)
    expect(partial).toMatchObject({ checked: 1, stopped: true })
  })

  it('notices a file whose header disagrees with the catalogue', () => {
    const ws = openWs()
    const rec = ws.writeArray('m.npy', matrix(3, 4), 'r')
    ws.catalogue.db.prepare("UPDATE arrays SET shape = '[4, 3]' WHERE id = ?").run(rec.id)
    const e = caught(() => ws.readArray('m.npy'))
    expect(e.code).toBe('failed')
    expect(e.message).toMatch(/catalogue recorded float32 \(4, 3\)/)
  })

  it('sweeps leftovers of killed runs from tmp/ and keeps files of live writers', () => {
    openWs().close()
    const tmp = join(root, 'tmp')
    const dead = deadPid()
    writeFileSync(join(tmp, `${dead}-abcd1234-1.tmp`), 'half an array')
    writeFileSync(join(tmp, 'stray-file'), 'x')
    mkdirSync(join(tmp, 'stray-dir', 'deep'), { recursive: true })
    writeFileSync(join(tmp, 'stray-dir', 'deep', 'f'), 'x')
    // our own pid, but older than this process: a previous process that had the same pid
    const reused = join(tmp, `${process.pid}-00ff00ff-7.tmp`)
    writeFileSync(reused, 'x')
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000)
    utimesSync(reused, old, old)
    // a live writer (this process, now) keeps its file
    const live = `${process.pid}-deadbeef-9.tmp`
    writeFileSync(join(tmp, live), 'being written')

    const kept = openWs({ cleanTmp: false })
    expect(kept.cleanedTmp).toBe(0)
    expect(readdirSync(tmp)).toHaveLength(5)
    kept.close()

    const ws = openWs()
    expect(ws.cleanedTmp).toBe(4)
    expect(readdirSync(tmp)).toEqual([live])
    expect(ws.cleanTmp()).toBe(0)
  })

  it('refuses a newer catalogue with a clear error', () => {
    openWs().close()
    const raw = new Database(join(root, 'catalogue.sqlite'))
    raw.pragma('user_version = 999')
    raw.close()
    const e = caught(() => Workspace.open(root))
    expect(e.code).toBe('conflict')
    expect(e.file).toBe(join(root, 'catalogue.sqlite'))
  })
})

describe('defaultWorkspaceDir', () => {
  const home = '/home/ada'
  it('prefers B2M_WORKSPACE', () => {
    expect(defaultWorkspaceDir({ B2M_WORKSPACE: '/data/ws' }, 'linux', home)).toBe('/data/ws')
    expect(defaultWorkspaceDir({ B2M_WORKSPACE: '/data/ws', XDG_DATA_HOME: '/x' }, 'darwin', home)).toBe('/data/ws')
  })
  it('follows XDG on Linux', () => {
    expect(defaultWorkspaceDir({}, 'linux', home)).toBe(posix.join(home, '.local/share/brain2music-lab'))
    expect(defaultWorkspaceDir({ XDG_DATA_HOME: '/srv/data' }, 'linux', home)).toBe('/srv/data/brain2music-lab')
    expect(defaultWorkspaceDir({ XDG_DATA_HOME: 'relative/ignored' }, 'linux', home)).toBe(
      '/home/ada/.local/share/brain2music-lab'
    )
    expect(defaultWorkspaceDir({ B2M_WORKSPACE: '  ' }, 'freebsd', home)).toBe('/home/ada/.local/share/brain2music-lab')
  })
  it('uses Application Support on macOS and APPDATA on Windows', () => {
    expect(defaultWorkspaceDir({}, 'darwin', '/Users/ada')).toBe(
      '/Users/ada/Library/Application Support/Brain2Music Lab'
    )
    expect(defaultWorkspaceDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\Brain2Music Lab'
    )
    expect(defaultWorkspaceDir({}, 'win32', 'C:\\Users\\ada')).toBe(
      win32.join('C:\\Users\\ada', 'AppData', 'Roaming', 'Brain2Music Lab')
    )
  })
})

describe('array batches: one user action, one transaction', () => {
  it('commits several arrays with the rows that refer to them', () => {
    const ws = openWs()
    const subject = ws.batch()
    subject.add('s/a.npy', matrix(2, 3), 'test')
    subject.add('s/b.npy', matrix(4, 1), 'test')
    const ids = subject.commit((records) => {
      ws.catalogue.subjects.create('sub-01')
      return records.map((r) => r.id)
    })
    expect(ids).toHaveLength(2)
    expect(readNpy(ws.arrayPath('s/a.npy')).shape).toEqual([2, 3])
    expect(ws.catalogue.subjects.getByLabel('sub-01')).toBeDefined()
    expect(readdirSync(ws.tmpDir)).toEqual([])
  })

  it('leaves no file, record or row when the rows fail', () => {
    const ws = openWs()
    ws.catalogue.subjects.create('sub-01')
    const batch = ws.batch()
    batch.add('s/a.npy', matrix(2, 3), 'test')
    batch.add('s/b.npy', matrix(4, 1), 'test')
    const err = caught(() =>
      batch.commit(() => {
        ws.catalogue.subjects.create('sub-02')
        ws.catalogue.subjects.create('sub-01') // duplicate: the whole action rolls back
      })
    )
    expect(err.code).toBe('conflict')
    expect(existsSync(ws.arrayPath('s/a.npy'))).toBe(false)
    expect(existsSync(ws.arrayPath('s/b.npy'))).toBe(false)
    expect(ws.catalogue.arrays.list()).toEqual([])
    expect(ws.catalogue.subjects.getByLabel('sub-02')).toBeUndefined()
    expect(readdirSync(ws.tmpDir)).toEqual([])
  })

  it('discard drops what was staged', () => {
    const ws = openWs()
    const batch = ws.batch()
    batch.add('s/a.npy', matrix(2, 3), 'test')
    expect(readdirSync(ws.tmpDir)).toHaveLength(1)
    batch.discard()
    expect(readdirSync(ws.tmpDir)).toEqual([])
    expect(() => batch.add('s/c.npy', matrix(1, 1), 'test')).toThrow(/already finished/)
  })
})

describe('orphan array files', () => {
  it('sweeps files under arrays/ that the catalogue does not list, and keeps the listed ones', () => {
    const ws = openWs()
    ws.writeArray('keep/a.npy', matrix(2, 2), 'test')
    mkdirSync(join(ws.arraysDir, 'runs', 'sub-01'), { recursive: true })
    writeFileSync(join(ws.arraysDir, 'runs', 'sub-01', 'orphan.npy'), 'left by a killed commit')
    expect(ws.sweepOrphanArrays()).toEqual(['runs/sub-01/orphan.npy'])
    expect(existsSync(ws.arrayPath('keep/a.npy'))).toBe(true)
    expect(existsSync(join(ws.arraysDir, 'runs', 'sub-01', 'orphan.npy'))).toBe(false)
    expect(ws.sweepOrphanArrays()).toEqual([])
  })
})
