import { Workspace } from '../../workspace'
import { runDemo, type DemoRunParams } from '../../pipeline/demo'
import { runRenderWorker } from '../../demo/render-pool'
import type { JobImpl } from '../context'

/**
 * `demo.run`: the whole pipeline on the embedded demo study, checked against its ground truth
 * (src-main/pipeline/demo.ts). The demo's render workers run this same entry with `{ renderWorker: true }`
 * (src-main/demo/render-pool.ts); the contract's strict params keep that out of reach of any face.
 */
export const demoRunJob: JobImpl<DemoRunParams | { renderWorker: true }, unknown> = async (params, ctx) => {
  if ('renderWorker' in params) return runRenderWorker()
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
