/**
 * The report's cortex figure: the map rendered by the app's own viewer in headless Chromium through the
 * browser face (server/figure.ts), so the report shows exactly what the Cortex view shows.
 */
import { Core } from '../api/core'
import { existsSync } from 'node:fs'
import { B2mError } from '../common/errors'
import { DEFAULT_CHROMIUM, renderFigure } from '../server/figure'
import { ensureRendererBuilt } from '../server/static'
import type { Workspace } from '../workspace'
import type { CortexShooter } from './report'

export function chromiumCortexShooter(ws: Workspace, log: (text: string) => void = () => {}): CortexShooter {
  return async (mapId, out) => {
    // no Chromium: say so before building the renderer for nothing
    const chromium = process.env.B2M_CHROMIUM ?? DEFAULT_CHROMIUM
    if (!existsSync(chromium))
      throw new B2mError('failed', `Chromium is not installed at ${chromium} (apt-get install chromium)`)
    ensureRendererBuilt(log)
    // a second, job-less core on the same workspace: it serves the renderer's API calls for the figure
    const core = Core.open(ws.root, { face: 'cli', runJobs: false })
    try {
      await renderFigure(core, {
        mapId,
        set: 'fsaverage5',
        out,
        width: 1600,
        height: 700,
        view: 'lateral',
        hemi: 'both',
        kind: 'inflated',
        cmap: 'inferno',
        vmin: 0,
        // r below 0.1 shows the curvature: the map reads as where the model predicts, not as noise
        threshold: 0.1
      })
    } finally {
      await core.close()
    }
  }
}
