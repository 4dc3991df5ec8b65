/**
 * The report's cortex figure: the map rendered by the app's own viewer in headless Chromium through the
 * browser face (server/figure.ts), so the report shows exactly what the Cortex view shows.
 */
import { Core } from '../api/core'
import { renderFigure } from '../server/figure'
import type { Workspace } from '../workspace'
import type { CortexShooter } from './report'

export function chromiumCortexShooter(ws: Workspace): CortexShooter {
  return async (mapId, out) => {
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
