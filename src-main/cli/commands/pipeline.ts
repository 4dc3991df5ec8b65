import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { DecodeRetrieveResult, ReportResult } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { printJson } from '../context'
import { runJob } from '../run-job'

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new B2mError('bad_request', `${name} must be a positive integer, got "${v}"`)
  return n
}

export function registerPipeline(program: Command): void {
  program
    .command('decode')
    .description("a decoder's predicted embeddings of its test clips, looked up in a music library (top-k by cosine)")
    .requiredOption('--model <id>', "the decoder's id (b2m models list)", positiveInt('--model'))
    .requiredOption('--library <name>', 'a music library (b2m library ls)')
    .option('--subject <label>', "checked against the model's subject")
    .option('--top <k>', 'clips per test clip', positiveInt('--top'), 5)
    .option('--json', 'print JSON')
    .action(
      async (opts: { model: number; library: string; subject?: string; top: number; json?: boolean }, cmd: Command) => {
        const library = /^\d+$/.test(opts.library) ? Number(opts.library) : opts.library
        const job = await runJob(
          cmd,
          { kind: 'decode.retrieve', params: { model: opts.model, library, top: opts.top, subject: opts.subject } },
          { quiet: opts.json }
        )
        const r = job.result as DecodeRetrieveResult
        if (opts.json) return printJson(r)
        for (const q of r.results) {
          process.stdout.write(`${q.key} (${q.genre ?? '?'})\n`)
          for (const it of q.items)
            process.stdout.write(`  ${it.rank}. ${it.score.toFixed(3)}  ${it.genre ?? '?'}  ${it.path}\n`)
        }
        process.stdout.write(
          `top-${r.top} genre agreement ${(100 * r.genreAgreement).toFixed(1)} % (chance ${(100 * r.genreAgreementChance).toFixed(1)} %)\n`
        )
      }
    )

  program
    .command('report')
    .description("one subject's numbers and figures (data, decoder, encoding model, cortex, clips) as an HTML file")
    .requiredOption('--subject <label>', 'e.g. sub-001')
    .requiredOption('--out <file.html>', 'where to write the report (audio goes beside it, in <name>-files/)')
    .option('--no-screenshot', 'skip the cortex screenshot (it needs Chromium)')
    .option('--json', 'print JSON')
    .action(async (opts: { subject: string; out: string; screenshot: boolean; json?: boolean }, cmd: Command) => {
      const job = await runJob(
        cmd,
        {
          kind: 'report.write',
          params: { subject: opts.subject, out: resolve(opts.out), screenshot: opts.screenshot }
        },
        { quiet: opts.json }
      )
      const r = job.result as ReportResult
      if (opts.json) return printJson(r)
      process.stdout.write(`report written to ${r.path}\n`)
    })
}
