import type { Command } from 'commander'
import type { Job, JobRequest } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { printJson, withCore } from '../context'
import { runJob } from '../run-job'

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
      const job = await runJob(cmd, { kind, params: opts.set } as JobRequest, { quiet: opts.json })
      if (opts.json) printJson(job)
      else process.stdout.write(describe(job) + '\n')
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
