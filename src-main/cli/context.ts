import { resolve } from 'node:path'
import type { Command } from 'commander'
import { Core, type CoreOptions } from '../api/core'
import { defaultWorkspaceDir } from '../workspace/paths'

/** Global options every command inherits. */
export interface GlobalOptions {
  workspace?: string
}

export function workspaceOf(cmd: Command): string {
  const opts = cmd.optsWithGlobals<GlobalOptions>()
  return resolve(opts.workspace ?? defaultWorkspaceDir())
}

/** Opens the core for one command and always closes it, whatever the command does. */
export async function withCore<T>(
  cmd: Command,
  opts: Omit<CoreOptions, 'face'>,
  fn: (core: Core) => Promise<T>
): Promise<T> {
  const core = Core.open(workspaceOf(cmd), { face: 'cli', ...opts })
  try {
    return await fn(core)
  } finally {
    await core.close()
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}
