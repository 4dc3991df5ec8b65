import { Workspace } from '../../workspace'
import type { JobImpl } from '../context'

/** Re-hashes every array file of the workspace and compares it with the catalogue's SHA-256. */
export const workspaceVerify: JobImpl<Record<string, never>, unknown> = (_params, ctx) => {
  const ws = Workspace.open(ctx.workspaceRoot, { cleanTmp: false })
  try {
    const report = ws.verifyArrays(
      (done, total, relPath) => ctx.progress(total === 0 ? 1 : done / total, relPath),
      () => ctx.cancelled
    )
    ctx.throwIfCancelled()
    for (const f of report.mismatched) ctx.log('error', `hash mismatch: ${f}`)
    for (const f of report.missing) ctx.log('error', `missing: ${f}`)
    ctx.log(
      'info',
      `${report.checked} arrays checked, ${report.mismatched.length} mismatched, ${report.missing.length} missing`
    )
    return report
  } finally {
    ws.close()
  }
}
