import { B2mError } from '../../common/errors'
import { previewBids } from '../../formats/bids'
import { getRun, listRuns, preprocessingInfo, readColumn, sliceVolume } from '../../import/queries'
import { toPayload } from '../payload'
import { percentileRange } from '../../import/queries'
import type { AreaHandlers } from './types'

/** Import and preprocessing: preview, runs and what the Subjects & runs view plots. */
export const importHandlers: AreaHandlers<
  'import.preview' | 'runs.list' | 'runs.events' | 'runs.slice' | 'runs.timeseries' | 'preprocessing.list'
> = {
  'import.preview': async (p, core) => {
    const preview = await previewBids(p.path)
    const cat = core.workspace.catalogue
    return {
      root: preview.root,
      name: preview.name,
      derivatives: preview.derivatives.length,
      errors: preview.errors,
      warnings: preview.warnings,
      subjects: preview.subjects.map((s) => {
        const existing = cat.subjects.getByLabel(s.id)
        const runs = existing ? cat.runs.listBySubject(existing.id) : []
        return {
          id: s.id,
          sessions: s.sessions,
          runs: s.runs.map((r) => ({
            subject: r.subject,
            session: r.session,
            task: r.task,
            run: r.run,
            boldPath: r.boldPath,
            eventsPath: r.eventsPath,
            tr: r.tr,
            shape: r.shape ?? null,
            volumes: r.volumes ?? null,
            datatype: r.datatype ?? null,
            events: r.events,
            importable: r.importable,
            alreadyImported: runs.some(
              (e) => e.task === r.task && e.run === (r.run ?? 1) && e.sourcePath === r.boldPath
            ),
            errors: r.errors,
            warnings: r.warnings
          }))
        }
      })
    }
  },
  'runs.list': (p, core) => listRuns(core.workspace, p.subject),
  'runs.events': (p, core) => {
    getRun(core.workspace, p.id)
    return core.workspace.catalogue.stimuli.occurrences(p.id).map((o) => ({
      onset: o.onset,
      duration: o.duration,
      genre: o.genre,
      track: o.track,
      start: o.start,
      end: o.end
    }))
  },
  'runs.slice': (p, core) => {
    const ws = core.workspace
    const run = getRun(ws, p.id)
    if (run.meanArrayId === null) throw new B2mError('not_found', `run ${p.id} has no mean image`)
    const shape: [number, number, number] = [run.shape[0], run.shape[1], run.shape[2]]
    const mean = ws.readArray(run.meanArrayId).data as Float32Array
    const s = sliceVolume(mean, shape, p.axis, p.index)
    // One grey scale for the whole volume (1st-99th percentile), so slices compare with each other.
    const { low: min, high: max } = percentileRange(mean, 0.01, 0.99)
    const grid = ws.catalogue.subjects.grid(run.subjectId)
    const mask = grid ? sliceVolume(ws.readArray(grid.maskArrayId).data as Uint8Array, shape, p.axis, s.index) : null
    return {
      axis: p.axis,
      index: s.index,
      count: s.count,
      image: toPayload(s.data, [s.rows, s.cols]),
      mask: mask ? toPayload(mask.data, [mask.rows, mask.cols]) : null,
      min,
      max
    }
  },
  'runs.timeseries': (p, core) => {
    const ws = core.workspace
    const run = getRun(ws, p.id)
    const [X, Y, Z] = run.shape
    const [x, y, z] = p.voxel
    if (x < 0 || y < 0 || z < 0 || x >= X || y >= Y || z >= Z)
      throw new B2mError('bad_request', `voxel (${x}, ${y}, ${z}) is outside the ${X} x ${Y} x ${Z} grid`)
    const grid = ws.catalogue.subjects.grid(run.subjectId)
    if (!grid || run.dataArrayId === null) throw new B2mError('not_found', `run ${p.id} has no masked data`)
    const maskVol = ws.readArray(grid.maskArrayId).data as Uint8Array
    const flat = x + X * (y + Y * z)
    if (!maskVol[flat]) return { voxel: p.voxel, inMask: false, tr: run.tr, values: toPayload(new Float32Array(0)) }
    let column = 0
    for (let i = 0; i < flat; i++) column += maskVol[i]
    const values = readColumn(ws.arrayPath(ws.arrayRecord(run.dataArrayId).relPath), column)
    return { voxel: p.voxel, inMask: true, tr: run.tr, values: toPayload(values) }
  },
  'preprocessing.list': (p, core) => preprocessingInfo(core.workspace, p.subject)
}
