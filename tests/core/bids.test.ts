import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  GTZAN_GENRES,
  inheritedSidecar,
  parseBidsName,
  previewBids,
  readEvents,
  scanBids
} from '../../src-main/formats/bids'
import { writeNifti } from '../../src-main/formats/nifti'
import { parseTsv, readTsv, tsvNumbers } from '../../src-main/formats/tsv'
import { fixture } from '../fixtures'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-bids-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

async function expectB2m(p: Promise<unknown> | (() => unknown), file: string, pattern: RegExp): Promise<B2mError> {
  let caught: unknown
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    caught = err
  }
  expect(caught, 'expected a B2mError').toBeInstanceOf(B2mError)
  const e = caught as B2mError
  expect(e.file).toBe(file)
  expect(e.message).toContain(file)
  expect(e.message).toMatch(pattern)
  return e
}

describe('tsv', () => {
  it('handles a BOM, CRLF, CR, a missing trailing newline, blank trailing lines and n/a', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = `\ufeffonset\tduration\tkind${eol}0\t1.5\tn/a${eol}2\tn/a\tb`
      for (const tail of ['', eol, eol + eol]) {
        const t = parseTsv(text + tail, 'x.tsv')
        expect(t.columns).toEqual(['onset', 'duration', 'kind'])
        expect(t.rows).toEqual([
          ['0', '1.5', null],
          ['2', null, 'b']
        ])
        expect(t.lines).toEqual([2, 3])
        expect(tsvNumbers(t, 'duration')).toEqual([1.5, null])
      }
    }
  })

  it('faults name the file and the line', async () => {
    await expectB2m(() => parseTsv('a\tb\n1\t2\n3\n', 'f.tsv'), 'f.tsv', /line 3 has 1 fields, the header has 2/)
    await expectB2m(() => parseTsv('\r\n', 'f.tsv'), 'f.tsv', /empty/)
    await expectB2m(() => parseTsv('a\ta\n', 'f.tsv'), 'f.tsv', /column "a" appears twice/)
    await expectB2m(() => tsvNumbers(parseTsv('a\n1\nx1\n', 'f.tsv'), 'a'), 'f.tsv', /line 3 column "a" is "x1"/)
    const missing = join(dir, 'none.tsv')
    expect((await expectB2m(readTsv(missing), missing, /cannot read/)).code).toBe('not_found')
  })
})

describe('BIDS names', () => {
  it('parses entities generically, with the suffix and the full extension', () => {
    expect(parseBidsName('sub-001_ses-a_task-Training_acq-mb4_run-04_bold.nii.gz')).toEqual({
      entities: { sub: '001', ses: 'a', task: 'Training', acq: 'mb4', run: '04' },
      suffix: 'bold',
      extension: '.nii.gz'
    })
    expect(parseBidsName('task-balloonanalogrisktask_bold.json')).toEqual({
      entities: { task: 'balloonanalogrisktask' },
      suffix: 'bold',
      extension: '.json'
    })
    expect(parseBidsName('sub-10_space-fsaverage5_hemi-L_bold.func.gii')?.extension).toBe('.func.gii')
    expect(parseBidsName('README')).toBeNull()
    expect(parseBidsName('sub-01_sub-02_bold.nii')).toBeNull()
    expect(parseBidsName('sub-01_task-a-b_bold.nii')).toBeNull()
  })
})

describe('ds003720 (the Music Genre fMRI Dataset): events as the data set writes them', () => {
  const func = () => fixture('bids', 'ds003720', 'sub-001', 'func')
  const eventFiles = () =>
    readdirSync(func())
      .filter((f) => f.endsWith('_events.tsv'))
      .map((f) => join(func(), f))

  it('the fixture really has the quirks (CRLF, no trailing newline, quoted genres)', () => {
    const text = readFileSync(join(func(), 'sub-001_task-Training_run-04_events.tsv'), 'latin1')
    expect(text.split('\r\n')).toHaveLength(42)
    expect(text.endsWith('\n')).toBe(false)
    expect(text).toContain("\t'reggae'\t")
    expect(text).toContain("\tclassical'\t")
  })

  it('every events.tsv: 41 typed events of 15 s on a 15 s grid, plain GTZAN genre names', async () => {
    const files = eventFiles()
    expect(files).toHaveLength(18)
    for (const f of files) {
      const ev = await readEvents(f)
      expect(ev.columns).toEqual(['onset', 'duration', 'genre', 'track', 'start', 'end'])
      expect(ev.events).toHaveLength(41)
      ev.events.forEach((e, i) => {
        expect(e.onset).toBe(15 * i)
        expect(e.duration).toBe(15)
        expect(GTZAN_GENRES).toContain(e.genre)
        expect(Number.isInteger(e.track)).toBe(true)
        expect(e.track).toBeGreaterThanOrEqual(0)
        expect(e.track).toBeLessThan(100)
        // excerpts are 15 s; the data set rounds start/end to 10 ms (a few differ by 0.01 s)
        expect(Math.abs(e.end! - e.start! - 15)).toBeLessThan(0.0101)
        expect(e.line).toBe(i + 2)
      })
      if (!f.includes('Training_run-04')) expect(ev.warnings).toEqual([])
    }
  })

  it('Training run-04: the three rows lacking the opening quote are fixed, each with a warning naming file and line', async () => {
    const f = join(func(), 'sub-001_task-Training_run-04_events.tsv')
    const ev = await readEvents(f)
    expect(ev.events.slice(38).map((e) => [e.line, e.genre, e.track])).toEqual([
      [40, 'classical', 37],
      [41, 'jazz', 58],
      [42, 'metal', 97]
    ])
    expect(ev.events[0]).toMatchObject({ genre: 'reggae', track: 88, start: 7.42, end: 22.42 })
    expect(ev.warnings).toEqual([
      `${f}: line 40: genre "classical'" lacks its opening quote; read as "classical"`,
      `${f}: line 41: genre "jazz'" lacks its opening quote; read as "jazz"`,
      `${f}: line 42: genre "metal'" lacks its opening quote; read as "metal"`
    ])
  })

  it('Test runs: 10 unique clips, each played 4 times, clip 1 repeating the last clip', async () => {
    for (const f of eventFiles().filter((x) => x.includes('task-Test'))) {
      const ev = (await readEvents(f)).events
      const key = (e: (typeof ev)[number]) => `${e.genre}.${e.track}@${e.start}`
      const counts = new Map<string, number>()
      for (const e of ev.slice(1)) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1)
      expect(counts.size).toBe(10)
      expect([...counts.values()].every((c) => c === 4)).toBe(true)
      expect(key(ev[0])).toBe(key(ev[40]))
    }
  })

  it('preview: 18 runs of sub-001 (12 Training, 6 Test), TR 1.5 s from the sidecars, 41 events each, the 3 fixes warned', async () => {
    const root = fixture('bids', 'ds003720')
    const p = await previewBids(root)
    expect(p.name).toBe('Music Genre fMRI Dataset')
    expect(p.datasetType).toBe('raw')
    expect(p.subjects.map((s) => s.id)).toEqual(['sub-001'])
    const runs = p.subjects[0].runs
    expect(runs).toHaveLength(18)
    expect(runs.map((r) => `${r.task}-${r.run}`)).toEqual([
      ...[1, 2, 3, 4, 5, 6].map((n) => `Test-${n}`),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => `Training-${n}`)
    ])
    for (const r of runs) {
      expect(r.tr).toBe(1.5)
      expect(r.events).toBe(41)
      expect(r.session).toBeNull()
      expect(r.sidecar.TaskName).toBe(r.task)
      expect(r.sidecarFiles).toHaveLength(1)
      expect(r.eventsPath).toMatch(/_events\.tsv$/)
      // the BOLD images are not in the fixture: listed, reported, not importable
      expect(r.boldPath).toBeNull()
      expect(r.importable).toBe(false)
      expect(r.errors).toHaveLength(1)
      expect(r.errors[0]).toMatch(/_bold\.json: no BOLD image/)
    }
    expect(p.errors).toHaveLength(18)
    const quoteFixes = p.warnings.filter((w) => /lacks its opening quote/.test(w))
    expect(quoteFixes).toHaveLength(3)
    expect(quoteFixes.every((w) => w.includes('sub-001_task-Training_run-04_events.tsv: line 4'))).toBe(true)
    expect(p.warnings).toHaveLength(3)
  })

  it('strict: the first error is thrown, naming the file', async () => {
    const root = fixture('bids', 'ds003720')
    let caught: unknown
    try {
      await previewBids(root, { strict: true })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(B2mError)
    expect((caught as B2mError).file).toMatch(/sub-001_task-\w+_run-\d\d_bold\.json$/)
    expect((caught as B2mError).message).toMatch(/no BOLD image/)
  })
})

describe('ds001: layout discovery on 0-byte placeholder images', () => {
  it('16 subjects, 3 runs each, TR from the dataset-level sidecar, each placeholder reported, nothing thrown', async () => {
    const root = fixture('bids', 'ds001')
    const p = await previewBids(root)
    expect(p.subjects.map((s) => s.id)).toEqual(
      Array.from({ length: 16 }, (_, i) => `sub-${String(i + 1).padStart(2, '0')}`)
    )
    expect(p.subjects[0].participant).toEqual({ participant_id: 'sub-01', sex: 'F', age: '26' })
    for (const s of p.subjects) {
      expect(s.sessions).toEqual([])
      expect(s.runs.map((r) => r.run)).toEqual([1, 2, 3])
      for (const r of s.runs) {
        expect(r.task).toBe('balloonanalogrisktask')
        expect(r.tr).toBe(2)
        expect(r.sidecarFiles).toEqual([join(root, 'task-balloonanalogrisktask_bold.json')])
        expect(r.sidecar).toEqual({ RepetitionTime: 2.0, TaskName: 'balloon analog risk task' })
        expect(r.boldPath).toMatch(/_bold\.nii\.gz$/)
        expect(r.events).toBeGreaterThan(0)
        expect(r.shape).toBeUndefined()
        expect(r.importable).toBe(false)
        expect(r.errors).toEqual([`${r.boldPath}: empty file (0 bytes): not a NIfTI image`])
      }
    }
    expect(p.errors).toHaveLength(48)
    expect(p.derivatives).toEqual([])
  })

  it('event counts match the files', async () => {
    const root = fixture('bids', 'ds001')
    const p = await previewBids(root)
    const r = p.subjects[0].runs[0]
    const rows = readFileSync(r.eventsPath!, 'utf8').trim().split('\n').length - 1
    expect(r.events).toBe(rows)
    const ev = await readEvents(r.eventsPath!)
    expect(ev.events[0]).toMatchObject({ onset: 0.061, duration: 0.772, trialType: 'pumps_demean' })
    expect(ev.events[0].cells.cash_demean).toBeNull()
  })

  it('strict: the placeholder is an error naming the image', async () => {
    const root = fixture('bids', 'ds001')
    await expectB2m(
      previewBids(root, { strict: true }),
      join(root, 'sub-01', 'func', 'sub-01_task-balloonanalogrisktask_run-01_bold.nii.gz'),
      /empty file \(0 bytes\)/
    )
  })
})

describe('ds000001-fmriprep: derivatives are listed as derivatives, never as raw runs', () => {
  it('fMRIPrep outputs of sub-10', async () => {
    const root = fixture('bids', 'ds000001-fmriprep')
    const p = await previewBids(root)
    expect(p.datasetType).toBe('derivative')
    expect(p.subjects.map((s) => [s.id, s.runs.length])).toEqual([['sub-10', 0]])
    expect(p.derivatives).toHaveLength(18)
    const byFormat = (f: string) => p.derivatives.filter((d) => d.format === f).length
    expect([byFormat('nifti'), byFormat('gifti')]).toEqual([6, 12])
    const preproc = p.derivatives.find((d) => d.entities.desc === 'preproc' && d.run === 1)!
    expect(preproc).toMatchObject({ subject: 'sub-10', task: 'balloonanalogrisktask', format: 'nifti', bytes: 0 })
    expect(preproc.entities.space).toBe('MNI152NLin2009cAsym')
    expect(preproc.error).toMatch(/empty file \(0 bytes\)/)
    expect(p.warnings[0]).toMatch(/BIDS derivative dataset \(fMRIPrep\); its 18 BOLD files are listed as derivatives/)
    expect(p.errors).toEqual([])
  })
})

/** A small synthetic BIDS dataset with real NIfTI images, for inheritance, TR checks and faults. */
async function makeDataset(root: string) {
  const put = (rel: string, text: string) => {
    const p = join(root, rel)
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, text)
    return p
  }
  const json = (o: unknown) => JSON.stringify(o)
  put('dataset_description.json', json({ Name: 'synthetic', BIDSVersion: '1.8.0' }))
  put('task-music_bold.json', json({ RepetitionTime: 2, Level: 'dataset', TaskName: 'music', Kept: 'root' }))
  put('task-music_events.tsv', 'onset\tduration\tgenre\n0\t15\tpop\n15\t15\tjazz\n')
  put('sub-01/sub-01_task-music_bold.json', json({ Level: 'subject', SubjectOnly: true }))
  put('sub-01/ses-1/sub-01_ses-1_task-music_bold.json', json({ Level: 'session' }))
  put('sub-01/ses-1/func/sub-01_ses-1_task-music_run-1_bold.json', json({ Level: 'file' }))
  put('sub-01/ses-1/func/sub-01_ses-1_task-music_run-1_events.tsv', 'onset\tduration\n0\t2\n2\t2\n4\t2\n')
  // run 2 of session 2: no sidecar of its own, malformed events
  put('sub-01/ses-2/func/sub-01_ses-2_task-music_run-2_events.tsv', 'onset\tduration\nsoon\t2\n')
  // sub-02: the header says TR 1.5 while the sidecars say 2 -> mismatch; run 2: header TR stored in ms (quirk)
  put('sub-02/func/sub-02_task-music_run-2_bold.json', json({ RepetitionTime: 1.5 }))
  const img = (rel: string, tr?: number, pixdim4?: number) => {
    const p = join(root, rel)
    mkdirSync(dirname(p), { recursive: true })
    return writeNifti(p, {
      dims: [4, 4, 3, 5],
      data: new Int16Array(4 * 4 * 3 * 5),
      tr,
      pixdim: pixdim4 === undefined ? undefined : [1, 1, 1, pixdim4]
    })
  }
  await img('sub-01/ses-1/func/sub-01_ses-1_task-music_run-1_bold.nii.gz', 2)
  await img('sub-01/ses-2/func/sub-01_ses-2_task-music_run-2_bold.nii', 2)
  await img('sub-02/func/sub-02_task-music_run-1_bold.nii.gz', 1.5)
  await img('sub-02/func/sub-02_task-music_run-2_bold.nii.gz', undefined, 1500)
  // a derivative-looking file inside a raw dataset and a derivatives/ folder: not raw runs
  await img('sub-02/func/sub-02_task-music_run-1_space-MNI_desc-preproc_bold.nii.gz', 1.5)
  mkdirSync(join(root, 'derivatives', 'fmriprep'), { recursive: true })
}

describe('synthetic dataset: inheritance, sessions, TR checks, faults', () => {
  let root: string
  beforeAll(async () => {
    root = join(dir, 'synthetic')
    await makeDataset(root)
  })

  it('sidecars merge from dataset to subject to session to file level, nearer overriding', async () => {
    const layout = scanBids(root)
    const warnings: string[] = []
    const { sidecar, files } = inheritedSidecar(
      layout,
      { dir: 'sub-01/ses-1/func', entities: { sub: '01', ses: '1', task: 'music', run: '1' }, suffix: 'bold' },
      warnings
    )
    expect(files.map((f) => f.slice(root.length + 1))).toEqual([
      'task-music_bold.json',
      'sub-01/sub-01_task-music_bold.json',
      'sub-01/ses-1/sub-01_ses-1_task-music_bold.json',
      'sub-01/ses-1/func/sub-01_ses-1_task-music_run-1_bold.json'
    ])
    expect(sidecar).toEqual({
      RepetitionTime: 2,
      Level: 'file',
      TaskName: 'music',
      Kept: 'root',
      SubjectOnly: true
    })
    expect(warnings).toEqual([])
  })

  it('preview: sessions, runs, inherited events, TR mismatch and the ms quirk', async () => {
    const p = await previewBids(root)
    const [s1, s2] = p.subjects
    expect(s1.sessions).toEqual(['1', '2'])
    expect(s1.runs.map((r) => [r.session, r.run])).toEqual([
      ['1', 1],
      ['2', 2]
    ])
    const [r1, r2] = s1.runs
    expect(r1).toMatchObject({ tr: 2, shape: [4, 4, 3], volumes: 5, datatype: 'int16', events: 3, importable: true })
    expect(r1.sidecar.Level).toBe('file')
    expect(r2.sidecar.Level).toBe('subject') // no ses-2 sidecar: the subject-level one is nearest
    expect(r2.importable).toBe(false)
    expect(r2.errors[0]).toMatch(/_run-2_events\.tsv: malformed TSV: line 2 column "onset" is "soon"/)

    // sub-02 run-1: header 1.5 s vs sidecar 2 s -> error naming both files and values
    const [m1, m2] = s2.runs
    expect(m1.importable).toBe(false)
    expect(m1.errors).toHaveLength(1)
    expect(m1.errors[0]).toContain(join(root, 'task-music_bold.json'))
    expect(m1.errors[0]).toContain(m1.boldPath!)
    expect(m1.errors[0]).toMatch(/TR mismatch: .* RepetitionTime 2 s but the NIfTI header of .* says 1\.5 s/)
    // the dataset-level events file applies where there is no nearer one
    expect(m1.eventsPath).toBe(join(root, 'task-music_events.tsv'))
    expect(m1.events).toBe(2)

    // sub-02 run-2: pixdim[4] = 1500 with units of seconds -> read as 1.5 s, matches the sidecar, warned
    expect(m2.importable).toBe(true)
    expect(m2.tr).toBe(1.5)
    expect(m2.warnings.some((w) => /says seconds but pixdim\[4\] is 1500.*1\.5 s/.test(w))).toBe(true)

    // derivatives: the desc/space file is not a raw run; derivatives/ not scanned
    expect(s2.runs).toHaveLength(2)
    expect(p.derivatives.map((d) => d.entities.desc)).toEqual(['preproc'])
    expect(p.warnings.some((w) => /derivative pipelines \(fmriprep\) are not scanned/.test(w))).toBe(true)
    expect(p.errors).toHaveLength(2)
  })

  it('strict: the TR mismatch is thrown naming the image and both values', async () => {
    const only = join(dir, 'mismatch-only')
    await makeDataset(only)
    rmSync(join(only, 'sub-01'), { recursive: true })
    rmSync(join(only, 'sub-02', 'func', 'sub-02_task-music_run-2_bold.nii.gz'))
    const bold = join(only, 'sub-02', 'func', 'sub-02_task-music_run-1_bold.nii.gz')
    await expectB2m(
      previewBids(only, { strict: true }),
      bold,
      /TR mismatch: .*task-music_bold\.json has RepetitionTime 2 s/
    )
  })

  it('a root that is not there, or a file', async () => {
    const missing = join(dir, 'no-dataset')
    await expectB2m(previewBids(missing), missing, /not found/)
    const file = join(root, 'dataset_description.json')
    await expectB2m(previewBids(file), file, /not a folder/)
  })

  it('a malformed sidecar JSON is an error naming it', async () => {
    const bad = join(dir, 'bad-json')
    await makeDataset(bad)
    const f = join(bad, 'sub-01', 'sub-01_task-music_bold.json')
    writeFileSync(f, '{"RepetitionTime": 2,')
    const p = await previewBids(bad)
    expect(p.errors.some((e) => e.startsWith(`${f}: malformed JSON`))).toBe(true)
  })
})
