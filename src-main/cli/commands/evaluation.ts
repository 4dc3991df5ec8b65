import type { Command } from 'commander'
import type { GenreGeneralisation, PermutationEvaluation } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { printJson } from '../context'
import { runJob } from '../run-job'

function intIn(flag: string, v: string, min: number): number {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new B2mError('bad_request', `${flag} ${v}: an integer >= ${min}`)
  return n
}

const f3 = (x: number | null) => (x === null ? '  –  ' : x.toFixed(3))

/** `b2m eval genres|permutation`: the evaluation analyses of a stored model, run as jobs and stored with it. */
export function registerEvaluation(program: Command): void {
  // `eval` is created by the generate module (eval identification); add to it rather than replace it
  const evaluate =
    program.commands.find((c) => c.name() === 'eval') ??
    program.command('eval').description('evaluation of predicted embeddings')
  evaluate
    .command('genres')
    .description("a decoder's genre generalisation: retrained without each genre, tested on that genre's clips")
    .requiredOption('--model <id>', 'decoder id (b2m models list)')
    .option('--json', 'print JSON')
    .action(async (opts: { model: string; json?: boolean }, cmd: Command) => {
      const job = await runJob(
        cmd,
        { kind: 'eval.genres', params: { model: intIn('--model', opts.model, 1) } },
        { quiet: opts.json }
      )
      const r = job.result as GenreGeneralisation
      if (opts.json) return printJson(r)
      process.stdout.write(
        `decoder ${r.modelId}: identification of held-out genres against all ${r.n} test clips (chance 0.5)\n` +
          `  genre        n   held out  centred  full decoder\n` +
          r.genres
            .map(
              (g) =>
                `  ${g.genre.padEnd(11)} ${String(g.n).padStart(2)}   ${f3(g.heldOut.identification)}     ${f3(g.centred.identification)}    ${f3(g.full.identification)}\n`
            )
            .join('') +
          `  all         ${String(r.n).padStart(2)}   ${f3(r.heldOut.identification)}     ${f3(r.centred.identification)}    ${f3(r.full.identification)}\n` +
          `  mean r per dimension: held out ${f3(r.heldOut.meanR)}, full ${f3(r.full.meanR)}; evaluation ${r.evaluationId}\n`
      )
    })
  evaluate
    .command('permutation')
    .description("a clip-permutation null of an encoding model's per-voxel held-out r, BH-FDR, as a cortex map")
    .requiredOption('--model <id>', 'encoding model id (b2m models list)')
    .option('--n <count>', 'permutations', '1000')
    .option('--seed <n>', 'seed of the shuffles', '0')
    .option('--q <level>', 'Benjamini-Hochberg FDR level', '0.05')
    .option('--json', 'print JSON')
    .action(async (opts: { model: string; n: string; seed: string; q: string; json?: boolean }, cmd: Command) => {
      const q = Number(opts.q)
      if (!(q > 0 && q < 1)) throw new B2mError('bad_request', `--q ${opts.q}: an FDR level in (0, 1), e.g. 0.05`)
      const job = await runJob(
        cmd,
        {
          kind: 'eval.permutation',
          params: {
            model: intIn('--model', opts.model, 1),
            permutations: intIn('--n', opts.n, 1),
            seed: intIn('--seed', opts.seed, 0),
            q
          }
        },
        { quiet: opts.json }
      )
      const r = job.result as PermutationEvaluation
      if (opts.json) return printJson(r)
      const s = r.significant
      process.stdout.write(
        `encoding model ${r.modelId}: ${r.permutations} clip permutations (seed ${r.seed}, ${r.clips} clips) in ${r.seconds.toFixed(1)} s\n` +
          `  significant at BH q <= ${r.q} of ${r.tests} voxels: permutation ${s.permutation}, analytic ${s.analytic}, both ${s.both}\n` +
          `  map ${r.mapId} (permutation p); evaluation ${r.evaluationId}\n`
      )
    })
}
