import type { Command } from 'commander'
import { JobRequest, type Job } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { printJson, withCore } from '../context'
import { jobProgress } from '../progress'

function parseSetting(text: string, acc: Record<string, unknown>): Record<string, unknown> {
  const eq = text.indexOf('=')
  if (eq <= 0) throw new B2mError('bad_request', `--set takes key=value, got "${text}"`)
  const raw = text.slice(eq + 1)
  const num = Number(raw)
  acc[text.slice(0, eq)] = raw !== '' && Number.isFinite(num) ? num : raw
  return acc
}

function describe(job: Job): string {
  return `#${job.id} ${job.kind} ${job.state} ${Math.round(job.progress * 100)}% ${job.error ?? job.message}`
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('long work: run with a progress bar, list, show logs')

  jobs
    .command('run <kind>')
    .description('run a job in a worker thread (Ctrl-C cancels it); kinds: compute.benchmark, workspace.verify')
    .option('--set <key=value>', 'a job parameter (repeatable)', parseSetting, {})
    .option('--json', 'print the finished job as JSON')
    .action(async (kind: string, opts: { set: Record<string, unknown>; json?: boolean }, cmd: Command) => {
      const parsed = JobRequest.safeParse({ kind, params: opts.set })
      if (!parsed.success)
        throw new B2mError(
          'bad_request',
          `job ${kind}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
        )
      const job = await withCore(cmd, { runJobs: true }, async (core) => {
        const bar = jobProgress(kind)
        const offUpdate = core.events.on('job.update', (j) => bar.update(j))
        const offLog = core.events.on('job.log', (line) => {
          if (!opts.json && line.level !== 'debug') process.stderr.write(`[${line.level}] ${line.text}\n`)
        })
        const started = core.jobs.start(parsed.data.kind, parsed.data.params)
        const onSignal = () => core.jobs.cancel(started.id)
        process.once('SIGINT', onSignal)
        try {
          return await core.jobs.waitFor(started.id)
        } finally {
          process.off('SIGINT', onSignal)
          offUpdate()
          offLog()
          bar.stop()
        }
      })
      if (opts.json) printJson(job)
      else process.stdout.write(describe(job) + '\n')
      if (job.state !== 'succeeded')
        throw new B2mError('failed', `job ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`)
    })

  jobs
    .command('ls')
    .description('recent jobs, newest first')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = core.workspace.catalogue.jobs.list(opts.limit)
        if (opts.json) printJson(list)
        else process.stdout.write(list.map(describe).join('\n') + (list.length ? '\n' : ''))
      })
    })

  jobs
    .command('show <id>')
    .description('one job with its log')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const job = core.workspace.catalogue.jobs.get(Number(id))
        if (!job) throw new B2mError('not_found', `no job ${id}`)
        const log = core.workspace.catalogue.jobs.logs(job.id, 0)
        if (opts.json) return printJson({ ...job, log })
        process.stdout.write(
          describe(job) + '\n' + log.map((l) => `${l.time} [${l.level}] ${l.text}`).join('\n') + '\n'
        )
      })
    })
}
