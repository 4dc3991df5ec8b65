import { spawnSync } from 'node:child_process'

/** Runs a python3 snippet (the numpy reference side of a benchmark) and parses its last stdout line as JSON. */
export function python(code: string, env: Record<string, string | undefined> = process.env): unknown {
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', env: env as NodeJS.ProcessEnv, maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
  const lines = r.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1])
}

/** The environment without the OpenBLAS overrides this machine sets (they slow a current numpy). */
export function envWithoutOpenblasOverrides(): Record<string, string | undefined> {
  const env = { ...process.env }
  delete env.OPENBLAS_CORETYPE
  delete env.OPENBLAS_L2_SIZE
  return env
}
