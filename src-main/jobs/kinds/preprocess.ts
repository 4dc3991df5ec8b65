import { Workspace } from '../../workspace'
import { preprocessSubject, type PreprocessParams } from '../../import/preprocess'
import type { JobImpl } from '../context'

/** `preprocess`: a subject's runs into train/test response matrices (src-main/import/preprocess.ts). */
export const preprocessJob: JobImpl<PreprocessParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const rec = await preprocessSubject(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
    // Committed: a cancel that arrives now is too late, and the job has succeeded.
    const train = ws.arrayRecord(rec.trainArrayId!)
    const test = ws.arrayRecord(rec.testArrayId!)
    ctx.log('info', `train ${train.shape.join(' x ')}, test ${test.shape.join(' x ')} (${train.relPath})`)
    return { id: rec.id, subject: params.subject, train: train.shape, test: test.shape, warnings: rec.warnings.length }
  } finally {
    ws.close()
  }
}
