import { Workspace } from '../../workspace'
import { importBids, type ImportParams } from '../../import/bids-import'
import type { JobImpl } from '../context'

/** `import.bids`: a BIDS data set into the workspace (see src-main/import/bids-import.ts). */
export const importBidsJob: JobImpl<ImportParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const result = await importBids(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
    // Committed: a cancel that arrives now is too late, and the job has succeeded.
    for (const w of result.warnings) ctx.log('warn', w)
    for (const s of result.subjects)
      ctx.log(
        'info',
        `${s.id}: ${s.runs.filter((r) => !r.skipped).length} run(s) imported, ${s.runs.filter((r) => r.skipped).length} unchanged`
      )
    return result
  } finally {
    ws.close()
  }
}
