import { Command, CommanderError } from 'commander'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { registerInfo } from './commands/info'
import { registerJobs } from './commands/jobs'
import { registerServe } from './commands/serve'
import { registerSurface } from './commands/surface'
import { registerImport } from './commands/import'
import { registerMusic } from './commands/music'
import { registerTrain } from './commands/train'
import { registerGenerate } from './commands/generate'
import { registerDemo } from './commands/demo'
import { registerPipeline } from './commands/pipeline'
import { registerListening } from './commands/listening'
import { registerEvaluation } from './commands/evaluation'

/** Every command registers itself here; later pipeline steps add theirs the same way. */
export function buildProgram(): Command {
  const program = new Command('b2m')
    .description('Brain2Music Lab: decode music from fMRI — every pipeline step, scriptable')
    .version(APP_VERSION)
    .option('--workspace <dir>', 'workspace folder (default: $B2M_WORKSPACE or the per-user data folder)')
    .showHelpAfterError()
    .exitOverride()
  registerInfo(program)
  registerServe(program)
  registerJobs(program)
  registerSurface(program)
  registerImport(program)
  registerMusic(program)
  registerTrain(program)
  registerGenerate(program)
  registerDemo(program)
  registerPipeline(program)
  registerListening(program)
  registerEvaluation(program)
  return program
}

/** Runs the CLI and returns the exit code: 0 done, 1 the work failed, 2 the command line was wrong. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`b2m: ${message}\n`)
    if (err instanceof B2mError && err.code === 'bad_request') return 2
    return 1
  }
}
