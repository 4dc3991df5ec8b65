import { Workspace } from '../../workspace'
import { attachStimuli, type AttachParams } from '../../music/stimuli'
import type { JobImpl } from '../context'

/** `stimuli.attach`: stimulus excerpts cut from a GTZAN-like folder into the workspace (src-main/music/stimuli.ts). */
export const stimuliAttachJob: JobImpl<AttachParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const result = await attachStimuli(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
    ctx.throwIfCancelled()
    for (const m of result.missing.slice(0, 10))
      ctx.log('warn', `missing ${m.key}: ${m.reason}${m.expected ? ` (${m.expected})` : ''}`)
    if (result.missing.length > 10) ctx.log('warn', `… and ${result.missing.length - 10} more missing`)
    ctx.log('info', `${result.attached} attached, ${result.skipped} already there, ${result.missing.length} missing`)
    return result
  } finally {
    ws.close()
  }
}
