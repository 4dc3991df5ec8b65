import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { availableParallelism, cpus } from 'node:os'
import { benchEmbed } from './embed'
import { benchGemm } from './gemm'
import { benchGenerate } from './generate'
import { benchImport } from './import'
import { benchRetrieval } from './retrieval'
import { benchRidge } from './ridge'

/** Every benchmark: a name and a function returning its JSON (project numbers beside a reference's). */
const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = {
  gemm: benchGemm,
  import: benchImport,
  embed: benchEmbed,
  retrieval: benchRetrieval,
  ridge: benchRidge,
  generate: benchGenerate
}

export async function main(args: string[]): Promise<number> {
  const names = args.length ? args : Object.keys(BENCHES)
  const unknown = names.filter((n) => !BENCHES[n])
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`)
    return 2
  }
  const outDir = resolve(__dirname, '..', '..', 'bench-results')
  mkdirSync(outDir, { recursive: true })
  const machine = { cpus: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.versions.node }
  for (const name of names) {
    process.stderr.write(`bench ${name}…\n`)
    const result = { ...(await BENCHES[name]()), machine, date: new Date().toISOString() }
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(result, null, 2))
    process.stdout.write(JSON.stringify(result) + '\n')
  }
  return 0
}
