import { Workspace } from '../../workspace'
import { runDemo, type DemoRunParams } from '../../pipeline/demo'
import type { JobImpl } from '../context'

/** `demo.run`: the whole pipeline on the embedded demo study, checked against its ground truth (src-main/pipeline/demo.ts). */
export const demoRunJob: JobImpl<DemoRunParams, unknown> = async (params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    return await runDemo(ws, params, {
      progress: (f, m) => ctx.progress(f, m),
      log: (level, text) => ctx.log(level, text),
      cancelled: () => ctx.cancelled
    })
  } finally {
    ws.close()
  }
}
