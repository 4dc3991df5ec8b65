import { mapInfo } from '../../catalogue'
import { addMap, projectMap, surfaceLibrary } from '../../surface'
import { toPayload } from '../payload'
import type { AreaHandlers } from './types'

/** The cortex: surface sets, meshes, shape measures, parcellations, and maps projected onto them. */
export const cortexHandlers: AreaHandlers<
  'surface.sets' | 'surface.mesh' | 'surface.shape' | 'surface.parcellation' | 'maps.list' | 'maps.add' | 'maps.project'
> = {
  'surface.sets': () => surfaceLibrary().sets(),
  'surface.mesh': (p) => {
    const lib = surfaceLibrary()
    const set = lib.set(p.set)
    const m = lib.mesh(set, p.hemi, p.kind)
    return {
      set: set.id,
      hemi: p.hemi,
      kind: p.kind,
      positions: toPayload(m.positions, [m.nVertices, 3]),
      triangles: toPayload(m.triangles, [m.nTriangles, 3]),
      unused: m.unused ? toPayload(m.unused) : null,
      bounds: m.bounds
    }
  },
  'surface.shape': (p) => {
    const lib = surfaceLibrary()
    const id = lib.set(p.set).id
    return { set: id, hemi: p.hemi, measure: p.measure, values: toPayload(lib.shape(id, p.hemi, p.measure)) }
  },
  'surface.parcellation': (p) => {
    const lib = surfaceLibrary()
    const id = lib.set(p.set).id
    const a = lib.parcellation(id, p.hemi, p.name)
    return {
      set: id,
      hemi: p.hemi,
      name: p.name,
      labels: toPayload(a.labels),
      table: a.table.map((e) => ({ name: e.name, rgba: e.rgba }))
    }
  },
  'maps.list': (_p, core) => core.workspace.catalogue.maps.list().map(mapInfo),
  'maps.add': (p, core) =>
    addMap(core.workspace, surfaceLibrary(), {
      path: p.path,
      name: p.name,
      surfaceSet: p.surfaceSet,
      pvalues: p.pvalues,
      q: p.q
    }),
  'maps.project': (p, core) => {
    const lib = surfaceLibrary()
    const set = lib.set(p.set).id
    const r = projectMap(core.workspace, lib, { mapId: p.mapId, set, method: p.method, surface: p.surface })
    return {
      mapId: p.mapId,
      set,
      method: p.method,
      lh: toPayload(r.lh),
      rh: toPayload(r.rh),
      stats: r.stats,
      significant: r.significant
        ? {
            lh: toPayload(r.significant.lh),
            rh: toPayload(r.significant.rh),
            q: r.significant.q,
            count: r.significant.count
          }
        : null
    }
  }
}
