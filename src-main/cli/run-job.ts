import type { Command } from 'commander'
import type { Job, JobRequest } from '../../src-preload/api'
import { JobRequest as JobRequestSchema } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import type { Core } from '../api/core'
import { withCore } from './context'
import { jobProgress } from './progress'

/**
 * Runs one job of the contract in a worker thread with a progress bar on stderr, its log lines on
 * stderr (unless quiet), Ctrl-C cancelling it; resolves with the finished job, throws unless it succeeded.
 */
export async function runJob(
  cmd: Command,
  request: JobRequest,
  opts: { quiet?: boolean; after?: (core: Core, job: Job) => Promise<void> | void } = {}
): Promise<Job> {
  const parsed = JobRequestSchema.safeParse(request)
  if (!parsed.success)
    throw new B2mError(
      'bad_request',
      `${request.kind}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
    )
  return withCore(cmd, { runJobs: true }, async (core) => {
    const bar = jobProgress(parsed.data.kind)
    const offUpdate = core.events.on('job.update', (j) => bar.update(j))
    const offLog = core.events.on('job.log', (line) => {
      if (!opts.quiet && line.level !== 'debug') process.stderr.write(`[${line.level}] ${line.text}\n`)
    })
    const started = core.jobs.start(parsed.data.kind, parsed.data.params)
    const onSignal = () => core.jobs.cancel(started.id)
    process.once('SIGINT', onSignal)
    let job: Job
    try {
      job = await core.jobs.waitFor(started.id)
    } finally {
      process.off('SIGINT', onSignal)
      offUpdate()
      offLog()
      bar.stop()
    }
    if (job.state !== 'succeeded')
      throw new B2mError(
        job.state === 'failed' ? 'failed' : 'conflict',
        `${job.kind} ${job.state}${job.error ? `: ${job.error}` : ''}`
      )
    await opts.after?.(core, job)
    return job
  })
}
