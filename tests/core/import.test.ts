import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import { fromPayload } from '../../src-main/api/payload'
import type { Job, RunInfo } from '../../src-preload/api'
import { AFFINE, GRID, VOLUMES, inBrain, voxelValue, writeMiniDs003720 } from '../helpers/mini-bids'
import { coreCalls, filesUnder } from '../helpers/core'

const repo = resolve(__dirname, '..', '..')
let dir: string
let data: string
let core: Core

const { call, runJob } = coreCalls(() => core)

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-import-'))
  data = join(dir, 'ds')
  await writeMiniDs003720(data)
  core = Core.open(join(dir, 'ws'), { face: 'cli', runJobs: true })
})

afterEach(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('BIDS import through the core', () => {
  it('previews the runs with shapes, TR, events and the malformed-quote warnings', async () => {
    const preview = await call<{
      subjects: {
        id: string
        runs: { importable: boolean; tr: number; shape: number[]; volumes: number; events: number }[]
      }[]
    }>('import.preview', { path: data })
    expect(preview.subjects.map((s) => s.id)).toEqual(['sub-001'])
    const runs = preview.subjects[0].runs
    expect(runs).toHaveLength(3)
    for (const r of runs) {
      expect(r.importable).toBe(true)
      expect(r.tr).toBe(1.5)
      expect(r.shape).toEqual(GRID)
      expect(r.volumes).toBe(VOLUMES)
      expect(r.events).toBe(41)
    }
  })

  it('imports every run in one job: masked data, mean images, stimuli; re-import skips unchanged runs', async () => {
    const job = await runJob('import.bids', { path: data })
    expect(job.error).toBeNull()
    expect(job.state).toBe('succeeded')
    const runs = await call<RunInfo[]>('runs.list', {})
    expect(runs.map((r) => `${r.task}-${r.run}`)).toEqual(['Test-1', 'Training-1', 'Training-2'])
    const brain = [...Array(GRID[0] * GRID[1] * GRID[2]).keys()].filter((i) => {
      const x = i % GRID[0]
      const y = Math.floor(i / GRID[0]) % GRID[1]
      const z = Math.floor(i / (GRID[0] * GRID[1]))
      return inBrain(x, y, z)
    }).length
    for (const r of runs) {
      expect(r.shape).toEqual(GRID)
      expect(r.volumes).toBe(VOLUMES)
      expect(r.tr).toBe(1.5)
      expect(r.events).toBe(41)
      // the mask from the mean EPI finds the synthetic brain (bright), trimmed at its edge by the opening,
      // and leaves the dim background out (checked voxel by voxel below)
      expect(r.voxels).toBeLessThanOrEqual(brain)
      expect(r.voxels).toBeGreaterThan(0.85 * brain)
    }
    const counts = await call<{ subjects: number; runs: number; stimuli: number }>('catalogue.counts')
    expect(counts).toMatchObject({ subjects: 1, runs: 3 })
    // 41 events per run, the first of each training run repeating an earlier clip, test clips 4 times
    expect(counts.stimuli).toBeGreaterThan(60)
    const events = await call<{ genre: string }[]>('runs.events', { id: runs[1].id })
    expect(new Set(events.map((e) => e.genre)).size).toBe(10)
    expect(events.every((e) => !e.genre.includes("'"))).toBe(true)

    const again = await runJob('import.bids', { path: data })
    expect(again.state).toBe('succeeded')
    const result = again.result as { subjects: { runs: { skipped?: string }[] }[] }
    expect(result.subjects[0].runs.every((r) => r.skipped === 'unchanged')).toBe(true)
    expect((await call<RunInfo[]>('runs.list', {})).length).toBe(3)
  })

  it('serves a slice of the mean image and a voxel time series equal to the source data', async () => {
    await runJob('import.bids', { path: data })
    const run = (await call<RunInfo[]>('runs.list', {})).find((r) => r.task === 'Training' && r.run === 2)!
    const slice = await call<{ image: never; mask: never; count: number; index: number }>('runs.slice', {
      id: run.id,
      axis: 'axial',
      index: 3
    })
    expect(slice.count).toBe(GRID[2])
    const img = fromPayload(slice.image) as Float32Array
    expect(img.length).toBe(GRID[0] * GRID[1])
    // row 0 is the top of an axial slice: y = Y - 1
    let expected = 0
    for (let t = 0; t < VOLUMES; t++) expected += Math.round(voxelValue(4, GRID[1] - 1, 3, t, 2))
    expect(img[4]).toBeCloseTo(expected / VOLUMES, 3)
    const series = await call<{ inMask: boolean; values: never }>('runs.timeseries', { id: run.id, voxel: [8, 9, 6] })
    expect(series.inMask).toBe(true)
    const values = fromPayload(series.values) as Float32Array
    expect(values.length).toBe(VOLUMES)
    for (const t of [0, 1, 200, 409]) expect(values[t]).toBe(Math.round(voxelValue(8, 9, 6, t, 2)))
    const outside = await call<{ inMask: boolean }>('runs.timeseries', { id: run.id, voxel: [0, 0, 0] })
    expect(outside.inMask).toBe(false)
    await expect(call('runs.timeseries', { id: run.id, voxel: [99, 0, 0] })).rejects.toThrow(
      /outside the 16 x 18 x 12 grid/
    )
  })

  it('preprocesses into train rows (40 clips per training run) and averaged test rows (10 clips)', async () => {
    await runJob('import.bids', { path: data })
    const job = await runJob('preprocess', { subject: 'sub-001' })
    expect(job.error).toBeNull()
    const r = job.result as { train: number[]; test: number[] }
    const voxels = (await call<RunInfo[]>('runs.list', {}))[0].voxels!
    expect(r.train).toEqual([80, voxels])
    expect(r.test).toEqual([10, voxels])
    const list = await call<{ train: { rows: number }; params: { shift: number; detrend: string } }[]>(
      'preprocessing.list',
      {
        subject: 'sub-001'
      }
    )
    expect(list[0].train.rows).toBe(80)
    expect(list[0].params).toMatchObject({ shift: 3, detrend: 'median:240' })
  })

  async function expectFailsCleanly(mutate: () => void, message: RegExp) {
    mutate()
    const job = await runJob('import.bids', { path: data })
    expect(job.state).toBe('failed')
    expect(job.error).toMatch(message)
    expect(await call('catalogue.counts')).toMatchObject({ subjects: 0, runs: 0, stimuli: 0, arrays: 0 })
    expect(filesUnder(join(dir, 'ws', 'arrays'))).toEqual([])
    expect(filesUnder(join(dir, 'ws', 'tmp'))).toEqual([])
  }

  it('a TR mismatch between sidecar and header fails naming both files, leaving nothing', async () => {
    const sidecar = join(data, 'sub-001', 'func', 'sub-001_task-Training_run-02_bold.json')
    await expectFailsCleanly(() => {
      const j = JSON.parse(readFileSync(sidecar, 'utf8'))
      writeFileSync(sidecar, JSON.stringify({ ...j, RepetitionTime: 2.0 }))
    }, /TR mismatch: .*run-02_bold\.json has RepetitionTime 2 s but the NIfTI header of .*run-02_bold\.nii\.gz says 1\.5 s/)
  })

  it('a truncated image fails naming the file, leaving nothing', async () => {
    const bold = join(data, 'sub-001', 'func', 'sub-001_task-Test_run-01_bold.nii.gz')
    await expectFailsCleanly(() => truncateSync(bold, 2000), /sub-001_task-Test_run-01_bold\.nii\.gz/)
  })

  it('malformed events fail naming the file, leaving nothing', async () => {
    const events = join(data, 'sub-001', 'func', 'sub-001_task-Training_run-01_events.tsv')
    await expectFailsCleanly(() => writeFileSync(events, 'onset\tduration\r\nabc\t15'), /run-01_events\.tsv/)
  })

  it('a cancelled import leaves nothing behind', async () => {
    rmSync(data, { recursive: true, force: true })
    await writeMiniDs003720(
      data,
      // many runs, cancelled early: the commit is far away however fast the machine
      Array.from({ length: 12 }, (_, i) => ({ task: 'Training' as const, run: i + 1 }))
    )
    const job = await call<Job>('jobs.start', { kind: 'import.bids', params: { path: data } })
    await new Promise<void>((done) => {
      const off = core.events.on('job.update', (j) => {
        if (j.id === job.id && j.progress > 0) {
          off()
          done()
        }
      })
    })
    await call('jobs.cancel', { id: job.id })
    const end = await core.jobs.waitFor(job.id)
    expect(end.state).toBe('cancelled')
    expect(await call('catalogue.counts')).toMatchObject({ subjects: 0, runs: 0, arrays: 0 })
    expect(filesUnder(join(dir, 'ws', 'arrays'))).toEqual([])
  })
})

describe('import from the CLI', () => {
  const b2m = (...args: string[]) =>
    spawnSync(process.execPath, [join(repo, 'bin', 'b2m.cjs'), '--workspace', join(dir, 'cli-ws'), ...args], {
      cwd: repo,
      encoding: 'utf8'
    })

  it('import --json, runs --json, export run, preprocess and export responses', () => {
    const imp = b2m('import', data, '--json')
    expect(imp.status, imp.stderr).toBe(0)
    const out = JSON.parse(imp.stdout)
    expect(out.subjects[0].id).toBe('sub-001')
    expect(
      out.subjects[0].runs.find((r: { task: string; run: number }) => r.task === 'Training' && r.run === 1)
    ).toMatchObject({
      task: 'Training',
      run: 1,
      shape: GRID,
      volumes: VOLUMES,
      tr: 1.5,
      events: 41
    })

    const runs = JSON.parse(b2m('runs', '--json').stdout)
    expect(runs.subjects[0].runs).toHaveLength(3)

    const npy = join(dir, 'run.npy')
    const exp = b2m('export', 'run', '--subject', 'sub-001', '--task', 'Training', '--run', '2', '--out', npy)
    expect(exp.status).toBe(0)
    const check = spawnSync(
      'python3',
      [
        '-c',
        `import numpy as np, json; a = np.load(${JSON.stringify(npy)}); print(json.dumps([list(a.shape), str(a.dtype), float(a[8,9,6,200]), float(a[0,0,0,0])]))`
      ],
      { encoding: 'utf8' }
    )
    expect(check.status).toBe(0)
    const [shape, dtype, v, bg] = JSON.parse(check.stdout)
    expect(shape).toEqual([...GRID, VOLUMES])
    expect(dtype).toBe('float32')
    expect(v).toBe(Math.round(voxelValue(8, 9, 6, 200, 2)))
    expect(bg).toBe(Math.round(voxelValue(0, 0, 0, 0, 2)))

    const pre = b2m('preprocess', '--subject', 'sub-001', '--shift', '3', '--detrend', 'median:240', '--json')
    expect(pre.status).toBe(0)
    expect(JSON.parse(pre.stdout).train[0]).toBe(80)
    const respDir = join(dir, 'resp')
    expect(b2m('export', 'responses', '--subject', 'sub-001', '--out', respDir).status).toBe(0)
    const shapes = spawnSync(
      'python3',
      [
        '-c',
        `import numpy as np; print(np.load('${respDir}/train.npy').shape[0], np.load('${respDir}/test.npy').shape[0])`
      ],
      { encoding: 'utf8' }
    )
    expect(shapes.stdout.trim()).toBe('80 10')
    expect(AFFINE[0][0]).toBe(-2)
  })

  it('bad input: non-zero exit and a message naming the file', () => {
    const bold = join(data, 'sub-001', 'func', 'sub-001_task-Training_run-01_bold.nii.gz')
    writeFileSync(bold, 'not a nifti at all')
    const r = b2m('import', data, '--json')
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('sub-001_task-Training_run-01_bold.nii.gz')
    expect(JSON.parse(b2m('runs', '--json').stdout).subjects).toEqual([])
  })
})

describe('derivatives: preprocessed response arrays with their mask', () => {
  async function writeDerivatives(nVoxelsOff = 0) {
    const { writeNifti } = await import('../../src-main/formats/nifti')
    const [X, Y, Z] = GRID
    const mask = new Uint8Array(X * Y * Z)
    let n = 0
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++)
          if (inBrain(x, y, z)) {
            mask[x + X * (y + Y * z)] = 1
            n++
          }
    await writeNifti(join(dir, 'mask.nii.gz'), { dims: [X, Y, Z], data: mask, affine: AFFINE })
    // numpy writes the arrays, voxels x TRs as the circulating Resp_*.npy files are (float64 here)
    const py = spawnSync(
      'python3',
      [
        '-c',
        `import numpy as np
v = ${n + nVoxelsOff}
np.save('${dir}/Resp_Training.npy', np.arange(v * 40, dtype=np.float64).reshape(v, 40) / 7)
np.save('${dir}/Resp_Test_Mean.npy', -np.arange(v * 10, dtype=np.float64).reshape(v, 10))`
      ],
      { encoding: 'utf8' }
    )
    expect(py.status, py.stderr).toBe(0)
    return n
  }

  it('imports voxels x TRs arrays as a TR-grid preprocessing, transposed to TRs x voxels', async () => {
    const n = await writeDerivatives()
    const job = await runJob('import.responses', {
      subject: 'sub-resp',
      train: join(dir, 'Resp_Training.npy'),
      test: join(dir, 'Resp_Test_Mean.npy'),
      mask: join(dir, 'mask.nii.gz')
    })
    expect(job.error).toBeNull()
    expect(job.result).toMatchObject({ train: [40, n], test: [10, n] })
    const pre = core.workspace.catalogue.preprocessing.list()[0]
    const train = core.workspace.readArray(pre.trainArrayId!, { verify: true })
    // element (TR t, voxel v) = original (v, t) = (v * 40 + t) / 7
    expect(train.data[3 * n + 5]).toBeCloseTo((5 * 40 + 3) / 7, 4)
    expect(
      core.workspace.catalogue.subjects.grid(core.workspace.catalogue.subjects.getByLabel('sub-resp')!.id)
    ).not.toBeNull()
  })

  it('a voxel-count mismatch with the mask fails naming the file, leaving nothing', async () => {
    const n = await writeDerivatives(3)
    const job = await runJob('import.responses', {
      subject: 'sub-resp',
      train: join(dir, 'Resp_Training.npy'),
      test: join(dir, 'Resp_Test_Mean.npy'),
      mask: join(dir, 'mask.nii.gz')
    })
    expect(job.state).toBe('failed')
    expect(job.error).toContain(`Resp_Training.npy: holds ${n + 3} voxels`)
    expect(job.error).toContain(`the mask has ${n}`)
    expect(await call('catalogue.counts')).toMatchObject({ subjects: 0, arrays: 0 })
  })
})

describe('an import killed midway', () => {
  it('leaves the catalogue consistent; the next start cleans its temporary files and marks the job interrupted', async () => {
    rmSync(data, { recursive: true, force: true })
    await writeMiniDs003720(
      data,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((run) => ({ task: 'Training' as const, run }))
    )
    const { spawn } = await import('node:child_process')
    const ws = join(dir, 'killed-ws')
    const child = spawn(process.execPath, [join(repo, 'bin', 'b2m.cjs'), '--workspace', ws, 'import', data], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe']
    })
    // Kill it (SIGKILL: no cleanup of any kind) once it has staged part of the import under tmp/.
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const exited = new Promise((r) => child.once('exit', r))
    await new Promise<void>((done, fail) => {
      const poll = setInterval(() => {
        if (filesUnder(join(ws, 'tmp')).length >= 2) {
          clearInterval(poll)
          child.kill('SIGKILL')
          done()
        }
      }, 10)
      child.once('exit', () => {
        clearInterval(poll)
        fail(new Error(`import ended before it could be killed:\n${stderr}`))
      })
    })
    await exited
    expect(filesUnder(join(ws, 'tmp')).length).toBeGreaterThan(0)

    const next = Core.open(ws, { face: 'cli', runJobs: true })
    try {
      expect(filesUnder(join(ws, 'tmp'))).toEqual([])
      expect(filesUnder(join(ws, 'arrays'))).toEqual([])
      expect(next.workspace.catalogue.counts()).toMatchObject({ subjects: 0, runs: 0, stimuli: 0, arrays: 0 })
      const [job] = next.workspace.catalogue.jobs.list(1)
      expect(job.kind).toBe('import.bids')
      expect(job.state).toBe('interrupted')
    } finally {
      await next.close()
    }
  })
})
