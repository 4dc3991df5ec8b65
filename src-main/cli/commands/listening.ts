import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { ListeningResult } from '../../../src-preload/api'
import { dispatch } from '../../api/dispatch'
import { B2mError } from '../../common/errors'
import { printJson, withCore } from '../context'

const fmtP = (p: number): string => (p < 1e-4 ? p.toExponential(2) : p.toPrecision(4))
const line = (r: ListeningResult): string =>
  `${r.id}\t${r.modelId ?? '-'}\t${r.correct}/${r.n}\t${(r.accuracy * 100).toFixed(1)}%\tp=${fmtP(r.p)}\t${r.createdAt}\n`

/** `b2m listening`: blinded two-alternative listening tests (the Decode & playback view runs them). */
export function registerListening(program: Command): void {
  const listening = program
    .command('listening')
    .description('blinded two-alternative listening tests: accuracy and one-sided binomial p')
  listening
    .command('list')
    .alias('ls')
    .description('every saved test')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = (await dispatch(core, 'listening.list', {})) as ListeningResult[]
        if (opts.json) return printJson(list)
        for (const r of list) process.stdout.write(line(r))
        if (list.length === 0) process.stdout.write('no listening tests yet\n')
      })
    })
  listening
    .command('save')
    .description('score and store a test run elsewhere (e.g. a questionnaire)')
    .requiredOption(
      '--trials <file>',
      'JSON: [{"stimulusId", "clipA", "clipB", "correct": "A"|"B", "answer": "A"|"B"}, ...]'
    )
    .option('--model <id>', 'the decoder whose clips were judged')
    .option('--json', 'print JSON')
    .action(async (opts: { trials: string; model?: string; json?: boolean }, cmd: Command) => {
      const file = resolve(opts.trials)
      let trials: unknown
      try {
        trials = JSON.parse(readFileSync(file, 'utf8'))
      } catch (err) {
        throw new B2mError('bad_request', `not a readable JSON file: ${(err as Error).message}`, file)
      }
      if (opts.model !== undefined && !/^\d+$/.test(opts.model))
        throw new B2mError('bad_request', `--model must be a model id, got "${opts.model}"`)
      await withCore(cmd, { runJobs: false }, async (core) => {
        let r: ListeningResult
        try {
          r = (await dispatch(core, 'listening.save', {
            modelId: opts.model !== undefined ? Number(opts.model) : null,
            trials
          })) as ListeningResult
        } catch (err) {
          // Name the file the bad trials came from.
          if (err instanceof B2mError) throw new B2mError(err.code, err.message, file)
          throw err
        }
        if (opts.json) return printJson(r)
        process.stdout.write(line(r))
      })
    })
}
