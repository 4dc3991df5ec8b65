import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { DemoRunResult } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { printJson } from '../context'
import { runJob } from '../run-job'

const pct = (x: number) => `${(100 * x).toFixed(1)} %`

/** The short summary a newcomer reads after `npm run demo`. */
export function demoSummary(r: DemoRunResult): string {
  const lines = [
    '',
    `Brain2Music Lab demo study (${r.quick ? 'quick' : 'full'} design, seed ${r.seed}), ${r.subject}`,
    `  identification accuracy  ${r.identification.toFixed(3)}  (chance ${r.chance}${r.oracle !== null ? `, oracle ${r.oracle.toFixed(3)}` : ''})`,
    `  retrieval: top-${r.topK} genre agreement ${pct(r.genreAgreement)} (chance ${pct(r.genreAgreementChance)})`,
    `  clips: ${r.clips.retrieved} retrieved, ${r.clips.generated} generated`,
    `  decoder model ${r.decoderId}, encoding model ${r.encoderId}${r.mapId !== null ? ` (cortex map ${r.mapId})` : ''}`,
    ...r.checks.map(
      (c) =>
        `  check ${c.passed ? 'ok    ' : 'FAILED'} ${c.name}: ${c.value.toFixed(3)} (>= ${c.threshold}) — ${c.detail}`
    ),
    `  report: ${r.report}`,
    `  took ${Object.values(r.seconds)
      .reduce((a, b) => a + b, 0)
      .toFixed(0)} s: ${Object.entries(r.seconds)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ''
  ]
  return lines.join('\n')
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole pipeline on the embedded demo study: generate (if absent), import, preprocess, embed, train, evaluate, retrieve, generate, report'
    )
    .option('--folder <dir>', 'where the demo study lives (default: demo/ in the workspace)')
    .option('--quick', 'fewer runs and clips: a first look in a minute or two')
    .option('--seed <n>', 'seed of the simulation', (v) => Number(v))
    .option('--report <file>', 'where to write the HTML report (default: report.html in the demo folder)')
    .option('--no-screenshot', 'skip the cortex screenshot (it needs Chromium)')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        opts: { folder?: string; quick?: boolean; seed?: number; report?: string; screenshot: boolean; json?: boolean },
        cmd: Command
      ) => {
        if (opts.seed !== undefined && !(Number.isInteger(opts.seed) && opts.seed >= 0))
          throw new B2mError('bad_request', `--seed must be a non-negative integer, got ${opts.seed}`)
        const job = await runJob(
          cmd,
          {
            kind: 'demo.run',
            params: {
              folder: opts.folder ? resolve(opts.folder) : undefined,
              quick: opts.quick === true,
              seed: opts.seed,
              report: opts.report ? resolve(opts.report) : undefined,
              screenshot: opts.screenshot
            }
          },
          { quiet: opts.json }
        )
        const r = job.result as DemoRunResult
        if (opts.json) printJson(r)
        else process.stdout.write(demoSummary(r))
        const failed = r.checks.filter((c) => !c.passed)
        if (failed.length > 0)
          throw new B2mError(
            'failed',
            `the demo's self-check failed: ${failed.map((c) => `${c.name} ${c.value.toFixed(3)} < ${c.threshold}`).join('; ')}`
          )
      }
    )
}
