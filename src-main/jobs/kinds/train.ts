import { Workspace } from '../../workspace'
import { trainDecoder, trainEncoding, type TrainDecoderParams, type TrainEncodingParams } from '../../train'
import type { JobContext, JobImpl } from '../context'

function hooks(ctx: JobContext) {
  return {
    progress: (f: number, m: string) => ctx.progress(f, m),
    log: (level: 'debug' | 'info' | 'warn' | 'error', text: string) => ctx.log(level, text),
    cancelled: () => ctx.cancelled
  }
}

/** `train.decoder`: a per-subject decoder fitted, evaluated on the test clips and stored (src-main/train). */
export const trainDecoderJob: JobImpl<TrainDecoderParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    return await trainDecoder(ws, params, hooks(ctx))
  } finally {
    ws.close()
  }
}

/** `train.encoding`: a voxelwise encoding model, its held-out r volume registered as a map (src-main/train). */
export const trainEncodingJob: JobImpl<TrainEncodingParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    return await trainEncoding(ws, params, hooks(ctx))
  } finally {
    ws.close()
  }
}
