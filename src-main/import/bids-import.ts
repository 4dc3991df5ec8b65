/**
 * Importing a BIDS data set: every importable run of the chosen subjects is streamed once (twice for
 * the run whose mean EPI makes the subject's mask), its masked float32 time series and mean volume are
 * written as workspace arrays, and subjects, sessions, runs, stimuli and their occurrences land in the
 * catalogue in one transaction with them. A failure or a cancellation leaves nothing behind.
 */
import { B2mError } from '../common/errors'
import { previewBids, readEvents, type BidsRunPreview } from '../formats/bids'
import { readNifti, readNiftiHeader, type NiftiHeader } from '../formats/nifti'
import { computeEpiMask, maskFromVolume, type Mask } from '../fmri'
import type { Workspace } from '../workspace'
import type { NewOccurrence } from '../catalogue'
import { sha256OfFile } from './hash'
import { streamRun } from './run-stream'

export interface ImportParams {
  path: string
  subjects?: string[]
  mask?: string
}

export interface ImportProgress {
  progress(fraction: number, message: string): void
  log(level: 'debug' | 'info' | 'warn' | 'error', text: string): void
  cancelled(): boolean
}

export interface ImportedRun {
  task: string
  run: number
  session: string | null
  shape: [number, number, number]
  volumes: number
  tr: number
  events: number
  voxels: number
  skipped?: 'unchanged'
}

export interface ImportResult {
  root: string
  subjects: { id: string; maskVoxels: number; runs: ImportedRun[] }[]
  warnings: string[]
}

type Grid = { shape: [number, number, number]; affine: number[][] }

const pad2 = (n: number) => String(n).padStart(2, '0')
const sameGrid = (a: Grid, b: Grid) =>
  a.shape.every((d, i) => d === b.shape[i]) &&
  a.affine.every((row, i) => row.every((v, j) => Math.abs(v - b.affine[i][j]) < 1e-3))

function gridOf(h: NiftiHeader): Grid {
  return { shape: [h.shape[0], h.shape[1], h.shape[2]], affine: h.affine.map((r) => [...r]) }
}

/** Float32 volume (x fastest) as a C-order [Z, Y, X] array. */
function volumeArray(data: Float32Array | Uint8Array, shape: [number, number, number]) {
  const [X, Y, Z] = shape
  return data instanceof Uint8Array
    ? { dtype: 'uint8' as const, shape: [Z, Y, X], data }
    : { dtype: 'float32' as const, shape: [Z, Y, X], data }
}

interface PlannedRun {
  preview: BidsRunPreview
  run: number
  sha256: string
  header: NiftiHeader
}

export async function importBids(ws: Workspace, params: ImportParams, io: ImportProgress): Promise<ImportResult> {
  const cat = ws.catalogue
  const stop = () => {
    if (io.cancelled()) throw new B2mError('failed', 'import cancelled')
  }
  io.progress(0, 'reading the data set')
  const preview = await previewBids(params.path)
  const warnings = [...preview.warnings]
  const wanted = params.subjects ? new Set(params.subjects.map((s) => (s.startsWith('sub-') ? s : `sub-${s}`))) : null
  const subjects = preview.subjects.filter((s) => !wanted || wanted.has(s.id))
  if (wanted) {
    const missing = [...wanted].filter((w) => !preview.subjects.some((s) => s.id === w))
    if (missing.length) throw new B2mError('not_found', `no subject ${missing.join(', ')} in the data set`, params.path)
  }
  const runs = subjects.flatMap((s) => s.runs)
  const problems = runs.flatMap((r) => r.errors)
  if (problems.length)
    throw new B2mError(
      'bad_request',
      `${problems.length} problem(s) stop this import (nothing was imported):\n  ${problems.slice(0, 20).join('\n  ')}` +
        (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '')
    )
  if (runs.length === 0) throw new B2mError('bad_request', 'no functional runs to import', params.path)
  for (const r of runs) warnings.push(...r.warnings)

  // Plan: hash sources, skip runs already imported unchanged, refuse changed ones.
  const plan = new Map<string, PlannedRun[]>()
  const totalVolumes = runs.reduce((n, r) => n + (r.volumes ?? 0), 0)
  let doneVolumes = 0
  const result: ImportResult = { root: preview.root, subjects: [], warnings }
  for (const subject of subjects) {
    const planned: PlannedRun[] = []
    const existing = cat.subjects.getByLabel(subject.id)
    const existingRuns = existing ? cat.runs.listBySubject(existing.id) : []
    const imported: ImportedRun[] = []
    for (const r of subject.runs) {
      stop()
      io.progress(0.02, `hashing ${r.boldPath}`)
      const sha256 = await sha256OfFile(r.boldPath!, io.cancelled)
      const runNo = r.run ?? 1
      const same = existingRuns.find((e) => e.task === r.task && e.run === runNo)
      if (same) {
        if (same.sourceSha256 !== sha256)
          throw new B2mError(
            'conflict',
            `${subject.id} task ${r.task} run ${runNo} is already imported from a different file (${same.sourcePath}); nothing was imported`,
            r.boldPath!
          )
        imported.push({
          task: r.task,
          run: runNo,
          session: r.session,
          shape: [same.shape[0], same.shape[1], same.shape[2]],
          volumes: same.volumes,
          tr: same.tr,
          events: cat.stimuli.occurrences(same.id).length,
          voxels: 0,
          skipped: 'unchanged'
        })
        doneVolumes += same.volumes
        continue
      }
      planned.push({ preview: r, run: runNo, sha256, header: await readNiftiHeader(r.boldPath!) })
    }
    plan.set(subject.id, planned)
    result.subjects.push({ id: subject.id, maskVoxels: 0, runs: imported })
  }

  const batch = ws.batch()
  try {
    const rows: (() => void)[] = []
    for (const subject of subjects) {
      const planned = plan.get(subject.id)!
      const out = result.subjects.find((s) => s.id === subject.id)!
      if (planned.length === 0) continue
      const existing = cat.subjects.getByLabel(subject.id)
      const known = existing ? cat.subjects.grid(existing.id) : null
      let grid: Grid = known?.grid ?? gridOf(planned[0].header)
      let mask: Mask
      let maskSource: string
      let newMask: Uint8Array | null = null
      if (known) {
        const vol = ws.readArray(known.maskArrayId).data as Uint8Array
        mask = maskFromVolume(vol, grid.shape)
        maskSource = known.source
      } else if (params.mask) {
        const m = await readNifti(params.mask)
        const mg = gridOf(m.header)
        if (!sameGrid(mg, grid))
          throw new B2mError(
            'bad_request',
            `mask grid ${mg.shape.join('x')} does not match the runs' grid ${grid.shape.join('x')} (or their affines differ)`,
            params.mask
          )
        mask = maskFromVolume(m.data as Float32Array, grid.shape)
        newMask = new Uint8Array(m.data.length)
        for (const i of mask.indices) newMask[i] = 1
        maskSource = params.mask
      } else {
        const first = planned[0]
        io.log('info', `${subject.id}: computing a brain mask from the mean EPI of ${first.preview.boldPath}`)
        const { mean } = await streamRun(first.preview.boldPath!, null, (t, n) =>
          io.progress(
            Math.min(0.99, (doneVolumes + t / 2) / Math.max(1, totalVolumes)),
            `${subject.id}: mean EPI ${t}/${n}`
          )
        )
        const epi = computeEpiMask(mean, grid.shape)
        mask = epi.mask
        newMask = epi.volume
        maskSource = `mean-epi:${first.preview.boldPath}`
        io.log('info', `${subject.id}: mask of ${mask.nVoxels} voxels (threshold ${epi.threshold.toFixed(1)})`)
      }
      out.maskVoxels = mask.nVoxels
      const maskRel = newMask ? `subjects/${subject.id}/mask.npy` : null
      if (newMask && maskRel) batch.add(maskRel, volumeArray(newMask, grid.shape), 'mask')

      const runRows: {
        p: PlannedRun
        dataRel: string
        meanRel: string
        events: NewOccurrence[]
        warnings: string[]
      }[] = []
      for (const p of planned) {
        stop()
        const g = gridOf(p.header)
        if (!sameGrid(g, grid))
          throw new B2mError(
            'bad_request',
            `voxel grid ${g.shape.join('x')} differs from ${subject.id}'s other runs (${grid.shape.join('x')}) or their affine does; ` +
              'resample into one space first',
            p.preview.boldPath!
          )
        const label = `${p.preview.session ? `ses-${p.preview.session}_` : ''}task-${p.preview.task}_run-${pad2(p.run)}`
        const { masked, mean } = await streamRun(p.preview.boldPath!, mask, (t, n) => {
          if (t % 16 === 0 || t === n) {
            stop()
            io.progress(
              Math.min(0.99, (doneVolumes + t) / Math.max(1, totalVolumes)),
              `${subject.id} ${label}: volume ${t}/${n}`
            )
          }
        })
        doneVolumes += p.header.volumes
        const dataRel = `runs/${subject.id}/${label}.npy`
        const meanRel = `runs/${subject.id}/${label}_mean.npy`
        batch.add(dataRel, { dtype: 'float32', shape: [p.header.volumes, mask.nVoxels], data: masked! }, 'run-data')
        batch.add(meanRel, volumeArray(mean, grid.shape), 'run-mean')
        const events: NewOccurrence[] = []
        const runWarnings = [...p.preview.warnings, ...p.header.warnings]
        if (p.preview.eventsPath) {
          const table = await readEvents(p.preview.eventsPath)
          runWarnings.push(...table.warnings)
          for (const e of table.events)
            events.push({
              onset: e.onset,
              duration: e.duration ?? 0,
              genre: e.genre ?? null,
              track: e.track === undefined || e.track === null ? null : String(e.track),
              start: e.start ?? null,
              end: e.end ?? null
            })
        } else runWarnings.push(`${p.preview.boldPath}: no events.tsv; the run has no stimuli`)
        runRows.push({ p, dataRel, meanRel, events, warnings: runWarnings })
        out.runs.push({
          task: p.preview.task,
          run: p.run,
          session: p.preview.session,
          shape: grid.shape,
          volumes: p.header.volumes,
          tr: p.preview.tr ?? p.header.tr ?? 0,
          events: events.length,
          voxels: mask.nVoxels
        })
      }

      const subjectGrid = grid
      rows.push(() => {
        const subj = cat.subjects.getByLabel(subject.id) ?? cat.subjects.create(subject.id)
        if (maskRel) {
          const rec = cat.arrays.byPath(maskRel)!
          cat.subjects.setGrid(subj.id, { maskArrayId: rec.id, grid: subjectGrid, source: maskSource })
        }
        for (const r of runRows) {
          const session = cat.sessions.ensure(subj.id, r.p.preview.session ?? '')
          const tr = r.p.preview.tr ?? r.p.header.tr
          if (tr === null)
            throw new B2mError('bad_request', 'no repetition time in sidecar or header', r.p.preview.boldPath!)
          const run = cat.runs.create({
            sessionId: session.id,
            task: r.p.preview.task,
            run: r.p.run,
            shape: [...subjectGrid.shape, r.p.header.volumes],
            affine: subjectGrid.affine,
            tr,
            volumes: r.p.header.volumes,
            sourcePath: r.p.preview.boldPath!,
            sourceSha256: r.p.sha256,
            dataArrayId: cat.arrays.byPath(r.dataRel)!.id,
            meanArrayId: cat.arrays.byPath(r.meanRel)!.id,
            datasetRoot: preview.root,
            eventsPath: r.p.preview.eventsPath,
            sidecar: r.p.preview.sidecar,
            warnings: r.warnings
          })
          cat.stimuli.addOccurrences(run.id, r.events)
        }
      })
      grid = subjectGrid
    }
    stop()
    io.progress(0.995, 'writing the catalogue')
    batch.commit(() => {
      for (const row of rows) row()
    })
  } catch (err) {
    batch.discard()
    throw err
  }
  io.progress(1, 'imported')
  return result
}
