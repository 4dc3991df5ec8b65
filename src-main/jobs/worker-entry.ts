import { parentPort, workerData } from 'node:worker_threads'
import { JOB_IMPLS } from './kinds'
import { JobCancelled, type JobContext } from './context'
import type { WorkerInput, WorkerMessage } from './protocol'

const input = workerData as WorkerInput
const port = parentPort
if (!port) throw new Error('worker-entry must run in a worker thread')
const send = (msg: WorkerMessage): void => port.postMessage(msg)
const flag = new Int32Array(input.cancelFlag)

const ctx: JobContext = {
  jobId: input.jobId,
  workspaceRoot: input.workspaceRoot,
  progress: (fraction, message = '') =>
    send({ type: 'progress', fraction: Math.min(1, Math.max(0, fraction)), message }),
  log: (level, text) => send({ type: 'log', level, text }),
  get cancelled() {
    return Atomics.load(flag, 0) === 1
  },
  throwIfCancelled() {
    if (Atomics.load(flag, 0) === 1) throw new JobCancelled()
  }
}

async function run(): Promise<void> {
  const impl = JOB_IMPLS[input.kind as keyof typeof JOB_IMPLS]
  if (!impl) throw new Error(`unknown job kind "${input.kind}"`)
  const result = await impl(input.params, ctx)
  send({ type: 'done', result: result ?? null })
}

run().catch((err: unknown) => {
  if (err instanceof JobCancelled || ctx.cancelled) send({ type: 'cancelled' })
  else if (err instanceof Error) send({ type: 'error', message: err.message, stack: err.stack })
  else send({ type: 'error', message: String(err) })
})
