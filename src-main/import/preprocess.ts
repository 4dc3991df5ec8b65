/**
 * Preprocessing a subject's imported runs into response matrices: detrend and z-score each run, align
 * volumes to clips (or feature windows) after the hemodynamic shift, drop each run's repeated first
 * clip, average the test repeats. Train and test matrices are written as arrays with the preprocessing
 * record, in one transaction.
 */
import { B2mError } from '../common/errors'
import { buildResponses, type DetrendSpec, type RunInput, type SampleGrid } from '../fmri'
import type { Workspace } from '../workspace'
import type { Preprocessing } from '../catalogue'

export interface PreprocessParams {
  subject: string
  shift: number
  delays?: number[]
  detrend: string
  grid: 'clip' | 'windows'
  window: number
  step: number
}

export function parseDetrend(spec: string): DetrendSpec {
  if (spec === 'none') return { method: 'none' }
  const [kind, value] = spec.split(':')
  if (kind === 'median') return { method: 'median', windowSeconds: Number(value) }
  if (kind === 'poly') return { method: 'polynomial', order: Number(value) }
  throw new B2mError('bad_request', `detrend "${spec}": use median:<seconds>, poly:<order> or none`)
}

/** Test runs are those whose task says so (ds003720: task-Test); every other run trains. */
export const isTestTask = (task: string) => /test/i.test(task)

export async function preprocessSubject(
  ws: Workspace,
  params: PreprocessParams,
  io: { progress(f: number, m: string): void; log(level: 'info' | 'warn', text: string): void; cancelled(): boolean }
): Promise<Preprocessing> {
  const cat = ws.catalogue
  const subject = cat.subjects.getByLabel(params.subject)
  if (!subject) throw new B2mError('not_found', `no subject ${params.subject} in the catalogue (import it first)`)
  const runs = cat.runs.listBySubject(subject.id)
  if (runs.length === 0) throw new B2mError('bad_request', `${params.subject} has no imported runs`)
  const inputs: RunInput[] = []
  for (const [i, run] of runs.entries()) {
    if (io.cancelled()) throw new B2mError('failed', 'preprocessing cancelled')
    if (run.dataArrayId === null)
      throw new B2mError('bad_request', `run ${run.task} #${run.run} has no imported data`, run.sourcePath)
    io.progress((0.2 * i) / runs.length, `loading ${run.task} run ${run.run}`)
    const arr = ws.readArray(run.dataArrayId)
    const [T, V] = arr.shape
    const events = cat.stimuli.occurrences(run.id).map((o, row) => {
      if (o.genre === null || o.track === null || o.start === null || o.end === null)
        throw new B2mError(
          'bad_request',
          `events row ${row}: genre, track, start and end are needed to align clips`,
          run.eventsPath ?? run.sourcePath
        )
      return {
        onset: o.onset,
        duration: o.duration,
        genre: o.genre,
        track: Number(o.track),
        start: o.start,
        end: o.end
      }
    })
    inputs.push({
      id: `task-${run.task}_run-${String(run.run).padStart(2, '0')}`,
      role: isTestTask(run.task) ? 'test' : 'train',
      tr: run.tr,
      data: { data: arr.data as Float32Array, nVolumes: T, nVoxels: V },
      events
    })
  }
  const grid: SampleGrid =
    params.grid === 'clip' ? { kind: 'clip' } : { kind: 'windows', length: params.window, step: params.step }
  const built = buildResponses(inputs, {
    detrend: parseDetrend(params.detrend),
    zscore: true,
    inPlace: true,
    align: params.delays ? { grid, delays: params.delays } : { grid, shift: params.shift },
    onProgress: (f, m) => io.progress(0.2 + 0.75 * f, m),
    isCancelled: io.cancelled
  })
  if (!built.train || !built.test)
    throw new B2mError(
      'bad_request',
      `${params.subject} needs both training and test runs (task names containing "test" are test runs)`
    )
  for (const w of built.warnings.slice(0, 5)) io.log('warn', w)
  if (built.warnings.length > 5) io.log('warn', `… and ${built.warnings.length - 5} more warnings`)

  const n = cat.preprocessing.listBySubject(subject.id).length + 1
  const dir = `responses/${params.subject}/preprocessing-${String(n).padStart(3, '0')}`
  const batch = ws.batch()
  try {
    batch.add(
      `${dir}/train.npy`,
      { dtype: 'float32', shape: [built.train.nSamples, built.train.nColumns], data: built.train.data },
      'responses-train'
    )
    batch.add(
      `${dir}/test.npy`,
      { dtype: 'float32', shape: [built.test.nSamples, built.test.nColumns], data: built.test.data },
      'responses-test'
    )
    io.progress(0.99, 'writing')
    return batch.commit(([train, test]) =>
      cat.preprocessing.create({
        subjectId: subject.id,
        params: { ...params },
        trainArrayId: train.id,
        testArrayId: test.id,
        trainSamples: built.train!.samples as unknown as Record<string, unknown>[],
        testSamples: built.test!.samples as unknown as Record<string, unknown>[],
        warnings: built.warnings,
        provenance: built.provenance as Record<string, unknown>
      })
    )
  } catch (err) {
    batch.discard()
    throw err
  }
}
