import { Workspace } from '../../workspace'
import { importResponses, type ResponsesImportParams } from '../../import/responses-import'
import type { JobImpl } from '../context'

/** `import.responses`: preprocessed response arrays with their mask (src-main/import/responses-import.ts). */
export const importResponsesJob: JobImpl<ResponsesImportParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    ctx.progress(0.1, 'reading the arrays')
    const rec = await importResponses(ws, params)
    const train = ws.arrayRecord(rec.trainArrayId!)
    const test = ws.arrayRecord(rec.testArrayId!)
    ctx.log(
      'info',
      `${params.subject}: train ${train.shape.join(' x ')}, test ${test.shape.join(' x ')} (TRs x voxels)`
    )
    return { id: rec.id, subject: params.subject, train: train.shape, test: test.shape }
  } finally {
    ws.close()
  }
}
