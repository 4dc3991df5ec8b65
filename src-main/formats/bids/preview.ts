/**
 * What an import of a BIDS dataset would bring in, without reading image data beyond headers.
 *
 * Two behaviours:
 * - preview (default): every problem is collected; a run with an error is listed with `importable: false`
 *   and the error is in `run.errors` and in the top-level `errors`; oddities that do not stop an import
 *   go to `warnings`. Never throws for per-run faults (a 0-byte placeholder image, a malformed
 *   events.tsv, a TR mismatch), only when the root itself is unusable.
 * - strict (`{ strict: true }`, what the importer uses): the first error is thrown as a B2mError
 *   naming the file and the fault.
 *
 * Runs: `func/` files `sub-<l>[_ses-<l>]_task-<l>[_acq-..][_run-<n>]..._bold.nii[.gz]`, or a run's own
 * `_bold.json` when its image is absent (ds003720's metadata-only copy: the run is listed, not importable).
 * Derivatives: BOLD files carrying derivative entities (space, desc, res, hemi, ...) or any BOLD file of a
 * dataset whose description says DatasetType "derivative" (fMRIPrep output) are listed under
 * `derivatives`, never as raw runs. A raw dataset's own `derivatives/` folder is not scanned.
 */
import { B2mError } from '../../common/errors'
import { readNiftiHeader } from '../nifti/read'
import { readTsv } from '../tsv'
import { readEvents } from './events'
import { applicableFiles, inheritedSidecar, scanBids, type BidsFile, type BidsLayout } from './layout'
import { BOLD_IMAGE_EXTENSIONS, DERIVATIVE_ENTITIES, runIndex } from './names'

/** Sidecar and header TRs closer than this (seconds) agree. */
const TR_TOLERANCE_S = 1e-3

export interface BidsRunPreview {
  subject: string
  session: string | null
  task: string
  /** The run index (`run-01` -> 1), null when the file has no run entity. */
  run: number | null
  entities: Record<string, string>
  boldPath: string | null
  eventsPath: string | null
  /** The merged (inherited) JSON sidecar. */
  sidecar: Record<string, unknown>
  /** The sidecar files merged, most general first. */
  sidecarFiles: string[]
  /** Seconds: the sidecar's RepetitionTime, else the header's. */
  tr: number | null
  shape?: [number, number, number]
  volumes?: number
  datatype?: string
  /** Number of events (rows of events.tsv); 0 when there is none. */
  events: number
  importable: boolean
  errors: string[]
  warnings: string[]
}

export interface BidsSubjectPreview {
  id: string
  label: string
  sessions: string[]
  /** The subject's participants.tsv row, when there is one. */
  participant?: Record<string, string | null>
  runs: BidsRunPreview[]
}

export interface BidsDerivativePreview {
  subject: string | null
  session: string | null
  task: string | null
  run: number | null
  entities: Record<string, string>
  suffix: string
  path: string
  format: 'nifti' | 'gifti' | 'cifti' | 'other'
  bytes: number
  /** Set when the file cannot be what it claims (e.g. a 0-byte placeholder). */
  error?: string
}

export interface BidsPreview {
  root: string
  name: string | null
  datasetType: 'raw' | 'derivative'
  subjects: BidsSubjectPreview[]
  derivatives: BidsDerivativePreview[]
  /** Problems that stop the affected run from importing (each names its file). */
  errors: string[]
  /** Oddities that do not stop an import (each names its file). */
  warnings: string[]
}

export interface PreviewOptions {
  /** Throw the first error instead of collecting it. */
  strict?: boolean
  /** Read each BOLD header (shape, volumes, TR check). Default true. */
  readHeaders?: boolean
}

const isBoldImage = (f: BidsFile) => BOLD_IMAGE_EXTENSIONS.includes(f.extension)
const isDerivativeBold = (f: BidsFile) => DERIVATIVE_ENTITIES.some((k) => k in f.entities)
const runKey = (e: Record<string, string>) =>
  Object.entries(e)
    .map(([k, v]) => `${k}-${v}`)
    .join('_')

function formatOf(ext: string): BidsDerivativePreview['format'] {
  if (ext === '.nii' || ext === '.nii.gz') return 'nifti'
  if (ext.endsWith('.gii')) return 'gifti'
  if (/\.(dtseries|dscalar|ptseries)\.nii$/.test(ext)) return 'cifti'
  return 'other'
}

/** Lists subjects, sessions, runs and derivatives of a BIDS dataset with every error and warning. */
export async function previewBids(root: string, opts: PreviewOptions = {}): Promise<BidsPreview> {
  const layout = scanBids(root)
  const warnings = [...layout.warnings]
  const errors: string[] = []
  const jsonCache = new Map<string, Record<string, unknown>>()
  const strict = !!opts.strict
  const readHeaders = opts.readHeaders ?? true

  const participants = await readParticipants(layout, warnings, strict)

  // --- classify BOLD files
  const derivatives: BidsDerivativePreview[] = []
  const groups = new Map<string, { anchor: BidsFile; images: BidsFile[] }>()
  for (const f of layout.files) {
    if (f.suffix !== 'bold' || !f.entities.sub) continue
    const parts = f.dir.split('/')
    if (layout.datasetType === 'derivative' || isDerivativeBold(f)) {
      if (formatOf(f.extension) === 'other') continue // sidecars, reports, figures
      const d: BidsDerivativePreview = {
        subject: f.entities.sub ? `sub-${f.entities.sub}` : null,
        session: f.entities.ses ?? null,
        task: f.entities.task ?? null,
        run: runIndex(f.entities.run),
        entities: f.entities,
        suffix: f.suffix,
        path: f.path,
        format: formatOf(f.extension),
        bytes: f.bytes
      }
      if (f.bytes === 0) d.error = `${f.path}: empty file (0 bytes): a placeholder, not data`
      derivatives.push(d)
      continue
    }
    if (parts[parts.length - 1] !== 'func') continue // sub- and ses-level sidecars are inherited metadata, not runs
    if (!isBoldImage(f) && f.extension !== '.json') continue
    const key = `${f.dir}|${runKey(f.entities)}`
    const g = groups.get(key) ?? { anchor: f, images: [] }
    if (isBoldImage(f)) g.images.push(f)
    groups.set(key, g)
  }
  if (layout.datasetType === 'derivative') {
    warnings.push(
      `${root}: a BIDS derivative dataset (${String(
        (layout.description?.GeneratedBy as { Name?: string }[] | undefined)?.[0]?.Name ??
          layout.description?.Name ??
          'unknown pipeline'
      )}); its ${derivatives.length} BOLD files are listed as derivatives, not raw runs`
    )
  }

  // --- runs
  const bySubject = new Map<string, BidsRunPreview[]>()
  for (const { anchor, images } of groups.values()) {
    const run = await previewRun(layout, anchor, images, { strict, readHeaders, jsonCache })
    if (!run) {
      warnings.push(`${anchor.path}: a BOLD file without a task entity; skipped`)
      continue
    }
    errors.push(...run.errors)
    warnings.push(...run.warnings)
    const list = bySubject.get(run.subject) ?? []
    list.push(run)
    bySubject.set(run.subject, list)
  }

  const subjects: BidsSubjectPreview[] = layout.subjects.map((s) => {
    const runs = (bySubject.get(s.id) ?? []).sort(
      (a, b) =>
        (a.session ?? '').localeCompare(b.session ?? '') ||
        a.task.localeCompare(b.task) ||
        (a.run ?? 0) - (b.run ?? 0) ||
        runKey(a.entities).localeCompare(runKey(b.entities))
    )
    const p = participants.get(s.id)
    return { id: s.id, label: s.label, sessions: s.sessions, ...(p ? { participant: p } : {}), runs }
  })
  for (const d of derivatives) if (d.error) warnings.push(d.error)
  const name = typeof layout.description?.Name === 'string' ? (layout.description.Name as string) : null
  return { root, name, datasetType: layout.datasetType, subjects, derivatives, errors, warnings }
}

async function readParticipants(
  layout: BidsLayout,
  warnings: string[],
  strict: boolean
): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>()
  const f = layout.files.find((x) => x.dir === '' && x.rel === 'participants.tsv')
  if (!f) return out
  try {
    const t = await readTsv(f.path)
    const k = t.columns.indexOf('participant_id')
    if (k < 0) {
      warnings.push(`${f.path}: no participant_id column; participants not matched`)
      return out
    }
    for (const row of t.rows) {
      const rec: Record<string, string | null> = {}
      t.columns.forEach((c, i) => (rec[c] = row[i]))
      if (row[k]) out.set(row[k]!, rec)
    }
  } catch (err) {
    if (strict) throw err
    warnings.push((err as Error).message)
  }
  return out
}

interface RunContext {
  strict: boolean
  readHeaders: boolean
  jsonCache: Map<string, Record<string, unknown>>
}

async function previewRun(
  layout: BidsLayout,
  anchor: BidsFile,
  images: BidsFile[],
  ctx: RunContext
): Promise<BidsRunPreview | null> {
  const e = anchor.entities
  if (!e.task) return null
  const errors: string[] = []
  const warnings: string[] = []
  const fail = (message: string, file: string) => {
    if (ctx.strict) throw new B2mError('bad_request', message, file)
    errors.push(`${file}: ${message}`)
  }
  const caught = (err: unknown) => {
    if (ctx.strict || !(err instanceof B2mError)) throw err
    errors.push(err.message)
  }

  const sorted = [...images].sort((a, b) => a.extension.localeCompare(b.extension)) // .nii before .nii.gz
  const bold = sorted[0] ?? null
  if (sorted.length > 1) {
    warnings.push(
      `${bold!.path}: the run also has ${sorted
        .slice(1)
        .map((f) => f.path)
        .join(', ')}; using ${bold!.path}`
    )
  }
  const run: BidsRunPreview = {
    subject: `sub-${e.sub}`,
    session: e.ses ?? null,
    task: e.task,
    run: runIndex(e.run),
    entities: e,
    boldPath: bold?.path ?? null,
    eventsPath: null,
    sidecar: {},
    sidecarFiles: [],
    tr: null,
    events: 0,
    importable: false,
    errors,
    warnings
  }
  const target = { dir: anchor.dir, entities: e, suffix: 'bold' }

  // sidecars (BIDS inheritance)
  try {
    const { sidecar, files } = inheritedSidecar(layout, target, warnings, ctx.jsonCache)
    run.sidecar = sidecar
    run.sidecarFiles = files
  } catch (err) {
    caught(err)
  }
  let sidecarTr: number | null = null
  let trFile: string | null = null
  if (run.sidecar.RepetitionTime !== undefined) {
    trFile = [...run.sidecarFiles].reverse().find((f) => ctx.jsonCache.get(f)?.RepetitionTime !== undefined) ?? null
    const v = run.sidecar.RepetitionTime
    if (typeof v === 'number' && v > 0 && Number.isFinite(v)) sidecarTr = v
    else fail(`RepetitionTime is ${JSON.stringify(v)}, not a positive number of seconds`, trFile ?? anchor.path)
  }

  // image header
  if (!bold) {
    fail('no BOLD image (.nii / .nii.gz) for this run: only its metadata is present', anchor.path)
  } else if (ctx.readHeaders) {
    try {
      const h = await readNiftiHeader(bold.path)
      run.shape = h.shape
      run.volumes = h.volumes
      run.datatype = h.datatypeName
      warnings.push(...h.warnings)
      if (h.dims.length < 4) warnings.push(`${bold.path}: a 3D image (${h.dims.join('x')}): a single volume`)
      if (sidecarTr !== null && h.tr !== null && Math.abs(sidecarTr - h.tr) > TR_TOLERANCE_S) {
        fail(
          `TR mismatch: ${trFile} has RepetitionTime ${sidecarTr} s but the NIfTI header of ${bold.path} says ${h.tr} s ` +
            `(pixdim[4] = ${h.pixdim[4]}, units ${h.temporalUnit})`,
          bold.path
        )
      }
      if (sidecarTr === null && h.tr !== null) {
        warnings.push(`${bold.path}: no RepetitionTime in any sidecar; using the header's TR ${h.tr} s`)
        run.tr = h.tr
      }
    } catch (err) {
      caught(err)
    }
  }
  if (sidecarTr !== null) run.tr = sidecarTr
  if (run.tr === null && (!bold || ctx.readHeaders)) {
    fail('no RepetitionTime: none in the JSON sidecars and none usable in the NIfTI header', bold?.path ?? anchor.path)
  }

  // events (nearest applicable events.tsv)
  const evFiles = applicableFiles(layout, { dir: anchor.dir, entities: e, suffix: 'events' }, '.tsv', warnings)
  const evFile = evFiles[evFiles.length - 1]
  if (!evFile) {
    warnings.push(`${anchor.path}: no events.tsv for this run`)
  } else {
    run.eventsPath = evFile.path
    try {
      const ev = await readEvents(evFile.path)
      run.events = ev.events.length
      warnings.push(...ev.warnings)
      if (run.tr !== null && run.volumes !== undefined) {
        const span = run.tr * run.volumes
        const last = Math.max(...ev.events.map((x) => x.onset + (x.duration ?? 0)))
        if (last > span + run.tr) {
          warnings.push(
            `${evFile.path}: events run to ${last} s but the run lasts ${span} s (${run.volumes} x ${run.tr} s)`
          )
        }
      }
    } catch (err) {
      caught(err)
    }
  }
  run.importable = errors.length === 0
  return run
}
