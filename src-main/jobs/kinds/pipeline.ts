import { Workspace } from '../../workspace'
import { retrieveForModel, type RetrieveParams } from '../../pipeline/decode'
import { writeSubjectReport, type ReportParams } from '../../pipeline/report'
import { chromiumCortexShooter } from '../../pipeline/cortex-shot'
import type { JobContext, JobImpl } from '../context'

function io(ctx: JobContext) {
  return {
    progress: (f: number, m: string) => ctx.progress(f, m),
    log: (level: 'info' | 'warn', text: string) => ctx.log(level, text),
    cancelled: () => ctx.cancelled
  }
}

/** `decode.retrieve`: a decoder's test clips looked up in a music library (src-main/pipeline/decode.ts). */
export const decodeRetrieveJob: JobImpl<RetrieveParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const r = await retrieveForModel(ws, params, io(ctx))
    ctx.log(
      'info',
      `top-${r.top} genre agreement ${r.genreAgreement.toFixed(3)} (chance ${r.genreAgreementChance.toFixed(3)})`
    )
    return r
  } finally {
    ws.close()
  }
}

/** `report.write`: one subject's numbers and figures as HTML (src-main/pipeline/report.ts). */
export const reportWriteJob: JobImpl<ReportParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    return await writeSubjectReport(
      ws,
      params,
      io(ctx),
      params.screenshot === false ? undefined : chromiumCortexShooter(ws)
    )
  } finally {
    ws.close()
  }
}
