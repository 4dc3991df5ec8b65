import { Workspace } from '../../workspace'
import { computeFeatureSet, type ComputeParams } from '../../music/feature-sets'
import type { JobImpl } from '../context'

/** `features.compute`: every stimulus with audio embedded on windows, normalised on the training stimuli (src-main/music/feature-sets.ts). */
export const featuresComputeJob: JobImpl<ComputeParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const result = await computeFeatureSet(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
    ctx.throwIfCancelled()
    if (result.withoutAudio > 0) ctx.log('warn', `${result.withoutAudio} stimuli have no audio and are not in the set`)
    ctx.log('info', `feature set "${result.name}": ${result.rows} rows x ${result.dim} from ${result.stimuli} stimuli`)
    return result
  } finally {
    ws.close()
  }
}
