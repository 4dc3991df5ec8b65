import type { EvalGenresParams, EvalPermutationParams } from '../../../src-preload/api'
import { evaluateEncodingPermutation, evaluateGenreGeneralisation } from '../../train'
import { Workspace } from '../../workspace'
import type { JobContext, JobImpl } from '../context'

function hooks(ctx: JobContext) {
  return {
    progress: (f: number, m: string) => ctx.progress(f, m),
    log: (level: 'debug' | 'info' | 'warn' | 'error', text: string) => ctx.log(level, text),
    cancelled: () => ctx.cancelled
  }
}

/** `eval.genres`: a decoder retrained without each genre, tested on it, stored as its evaluation (src-main/train/genres.ts). */
export const evalGenresJob: JobImpl<EvalGenresParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    return await evaluateGenreGeneralisation(ws, params.model, hooks(ctx))
  } finally {
    ws.close()
  }
}

/** `eval.permutation`: a clip-permutation null of an encoding model's voxel r, with a map (src-main/train/permutation.ts). */
export const evalPermutationJob: JobImpl<EvalPermutationParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const { model, ...o } = params
    return await evaluateEncodingPermutation(ws, model, o, hooks(ctx))
  } finally {
    ws.close()
  }
}
