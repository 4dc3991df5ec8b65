import type { Command } from 'commander'
import { printJson, withCore } from '../context'

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('versions, the workspace and the ONNX execution providers this machine can use')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const info = await core.info()
        if (opts.json) return printJson(info)
        const lines = [
          `${info.name} ${info.version}`,
          `workspace         ${info.workspace}`,
          `catalogue         ${info.catalogue.path} (schema ${info.catalogue.schemaVersion})`,
          `compute           ${info.executionProviders.join(', ')} (ONNX Runtime ${info.onnxruntime}, ${info.cpus} cores)`,
          ...info.providerNotes.map((n) => `                  ${n}`),
          `node ${info.node}, SQLite ${info.sqlite}, ${info.platform}-${info.arch}`
        ]
        process.stdout.write(lines.join('\n') + '\n')
      })
    })
}
