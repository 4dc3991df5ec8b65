/**
 * Rendering the demo's tracks in worker threads, one per core: the synthesiser is the slow part of
 * generating the study (hundreds of 30 s tracks). Each task is independent and seeded, and results are
 * handed back by index, so the files are byte-identical to a single-threaded render.
 *
 * The workers run the job worker script as kind `demo.run` with `{ renderWorker: true }` for parameters
 * (like the library's embedding pool): the contract's strict params keep that out of reach of any face.
 */
import { availableParallelism } from 'node:os'
import { Worker, parentPort } from 'node:worker_threads'
import { B2mError } from '../common/errors'
import { BuiltinExtractor } from '../features'
import type { WorkerInput } from '../jobs/protocol'
import { jobWorkerScript } from '../jobs/worker-script'
import { renderStimulus, type StimulusRender, type StimulusTask } from './stimuli'

type ToWorker = { type: 'render.task'; id: number; task: StimulusTask } | { type: 'render.close' }
type FromWorker =
  | { type: 'render.result'; id: number; result: StimulusRender }
  | { type: 'render.failed'; id: number; message: string }
  | { type: 'error'; message: string }

/**
 * Renders every task, calling `onResult` in task order as results arrive (a result waits for the ones
 * before it, so progress and file writes stay in order). Below `minForWorkers` tasks, or with one core,
 * it renders in this thread.
 */
export async function renderInPool(
  tasks: StimulusTask[],
  onResult: (index: number, r: StimulusRender) => void,
  isCancelled?: () => boolean,
  size = Math.min(availableParallelism(), 8),
  minForWorkers = 8
): Promise<void> {
  const cancelled = () => {
    if (isCancelled?.()) throw new B2mError('failed', 'demo generation cancelled')
  }
  if (size <= 1 || tasks.length < minForWorkers) {
    const extractor = new BuiltinExtractor()
    for (const [i, t] of tasks.entries()) {
      cancelled()
      onResult(i, renderStimulus(t, extractor))
      await new Promise<void>((r) => setImmediate(r))
    }
    return
  }
  const results = new Map<number, StimulusRender>()
  let next = 0
  let emitted = 0
  const workers: Worker[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false
      const fail = (err: Error) => {
        if (failed) return
        failed = true
        reject(err)
      }
      const feed = (w: Worker) => {
        if (failed) return
        try {
          cancelled()
        } catch (err) {
          fail(err as Error)
          return
        }
        if (next < tasks.length) {
          const id = next++
          w.postMessage({ type: 'render.task', id, task: tasks[id] } satisfies ToWorker)
        }
      }
      for (let k = 0; k < Math.min(size, tasks.length); k++) {
        const input: WorkerInput = {
          jobId: 0,
          kind: 'demo.run',
          params: { renderWorker: true },
          workspaceRoot: '',
          cancelFlag: new SharedArrayBuffer(4)
        }
        const w = new Worker(jobWorkerScript(), { workerData: input })
        workers.push(w)
        w.on('message', (m: FromWorker) => {
          if (m.type === 'render.result') {
            results.set(m.id, m.result)
            try {
              while (results.has(emitted)) {
                const r = results.get(emitted)!
                results.delete(emitted)
                onResult(emitted++, r)
              }
            } catch (err) {
              fail(err as Error)
              return
            }
            if (emitted === tasks.length) resolve()
            else feed(w)
          } else if (m.type === 'render.failed') fail(new B2mError('failed', m.message, tasks[m.id]?.path))
          else if (m.type === 'error') fail(new B2mError('failed', `render worker: ${m.message}`))
        })
        w.on('error', (err) => fail(err))
        w.on('exit', (code) => {
          if (emitted < tasks.length) fail(new B2mError('failed', `a render worker stopped (exit code ${code})`))
        })
        feed(w)
      }
    })
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        w.removeAllListeners('exit')
        w.postMessage({ type: 'render.close' } satisfies ToWorker)
        await w.terminate()
      })
    )
  }
}

/** Runs in a render worker: renders the tasks it is sent until closed. */
export function runRenderWorker(): Promise<null> {
  const port = parentPort
  if (!port) throw new Error('runRenderWorker must run in a worker thread')
  const extractor = new BuiltinExtractor()
  return new Promise<null>((resolve) => {
    port.on('message', (m: ToWorker) => {
      if (m.type === 'render.close') return resolve(null)
      try {
        const result = renderStimulus(m.task, extractor)
        // transfer whole buffers only (a Buffer may be a view on a shared pool)
        const transfer = [result.wav, result.embedding, result.loudness]
          .filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)
          .map((a) => a.buffer as ArrayBuffer)
        port.postMessage({ type: 'render.result', id: m.id, result } satisfies FromWorker, transfer)
      } catch (err) {
        port.postMessage({ type: 'render.failed', id: m.id, message: (err as Error).message } satisfies FromWorker)
      }
    })
  })
}
