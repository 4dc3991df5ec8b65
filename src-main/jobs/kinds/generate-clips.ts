import { Workspace } from '../../workspace'
import { generateForModel, type GenerateForModelParams } from '../../decode/generate-clips'
import type { JobImpl } from '../context'

/** `generate.clips`: music from a decoder's predicted embeddings of its test clips (src-main/decode/generate-clips.ts). */
export const generateClipsJob: JobImpl<GenerateForModelParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const result = await generateForModel(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
    ctx.log('info', `${result.clips.length} clip(s) generated with ${params.method} from decoder ${params.model}`)
    return result
  } finally {
    ws.close()
  }
}
