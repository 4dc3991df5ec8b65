import { Workspace } from '../../workspace'
import { addLibrary, type LibraryParams } from '../../music/library'
import { runPoolWorker, type PoolConfig } from '../../music/pool'
import type { JobImpl } from '../context'

/**
 * `library.add`: a folder of audio scanned, embedded in a pool of worker threads and catalogued
 * (src-main/music/library.ts). The pool's workers run this same entry with `{ poolWorker }` for
 * parameters (src-main/music/pool.ts); the contract's strict params keep that out of reach of any face.
 */
export const libraryAddJob: JobImpl<LibraryParams | { poolWorker: PoolConfig }, unknown> = async (params, ctx) => {
  if ('poolWorker' in params) return runPoolWorker(params.poolWorker)
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const result = await addLibrary(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
    ctx.throwIfCancelled()
    for (const u of result.unreadable.slice(0, 10)) ctx.log('warn', `unreadable: ${u.error}`)
    ctx.log(
      'info',
      `library "${result.name}": ${result.files} files, ${result.embedded} embedded, ${result.unchanged} unchanged, ` +
        `${result.removed} removed, ${result.unreadableTotal} unreadable in ${result.seconds.toFixed(1)} s`
    )
    return result
  } finally {
    ws.close()
  }
}
