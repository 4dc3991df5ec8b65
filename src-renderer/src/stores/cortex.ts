/**
 * The cortex store: surface sets and their arrays (fetched in parallel, decoded once, cached per set),
 * maps and their projections (cached per map/set/method), and the display settings the viewer turns
 * into uniforms. Typed arrays are kept out of Vue's reactivity (markRaw / shallowRef): a 163,842-vertex
 * hemisphere must never become a proxy.
 */
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type { MapInfo, ProjectionMethod, SurfaceKind, SurfaceSetInfo } from '@contract'
import { ApiError, api } from '../transport'
import { decodeFloat32, decodePayload } from '../transport/payload'
import {
  MORPH_ORDER,
  type Channel,
  type CurvatureMode,
  type HemiSurfaces,
  type MorphKind,
  type PerHemi,
  type PickResult,
  type ViewPreset
} from '../cortex/viewer'
import {
  adaptToColormap,
  defaultDisplay,
  diffDisplay,
  subtractMaps,
  summarize,
  type DisplaySettings,
  type HemiPair,
  type MapSummary
} from '../cortex/maps'
import type { ColormapName } from '../cortex/colormaps'

export interface LoadedSet {
  id: string
  info: SurfaceSetInfo
  meshes: PerHemi<HemiSurfaces>
  curvature: PerHemi<Float32Array> | null
  curvatureMeasure: 'curv' | 'sulc' | null
  parcellation: PerHemi<{ labels: Int32Array; names: string[] }> | null
  parcellationName: string | null
  /** Requests in flight until the last arrived (transfer + JSON + validation), then base64 decoding. */
  fetchMs: number
  decodeMs: number
  requests: number
}

export interface ProjectedArrays {
  key: string
  mapId: number
  pair: HemiPair
  summary: MapSummary
  /** FDR significance per vertex (1 = significant) when the map carries p-values. */
  significant: { lh: Uint8Array; rh: Uint8Array; q: number; count: number } | null
}

export interface Overlay {
  a: ProjectedArrays
  b: ProjectedArrays | null
  diff: { pair: HemiPair; summary: MapSummary } | null
  /** Bumped on every change so the canvas knows to re-upload. */
  version: number
}

export interface PickReadout extends PickResult {
  roi: string | null
}

const HEMIS = ['lh', 'rh'] as const
const setCache = new Map<string, LoadedSet>()
const projCache = new Map<string, ProjectedArrays>()

export const useCortexStore = defineStore('cortex', () => {
  const sets = ref<SurfaceSetInfo[]>([])
  const setId = ref<string>('fsaverage5')
  const loaded = shallowRef<LoadedSet | null>(null)
  const progress = ref<{ done: number; total: number; what: string } | null>(null)
  const error = shallowRef<ApiError | null>(null)

  const maps = ref<MapInfo[]>([])
  const mapsLoaded = ref(false)
  const mapA = ref<number | null>(null)
  const mapB = ref<number | null>(null)
  const compare = ref(false)
  const channel = ref<Channel>('a')
  const method = ref<ProjectionMethod>('trilinear')
  const projecting = ref(false)
  const mapError = shallowRef<ApiError | null>(null)
  /** A clear, user-facing problem with the overlay itself (e.g. a vertex-count mismatch). */
  const overlayError = ref<string | null>(null)
  const overlay = shallowRef<Overlay | null>(null)
  const adding = ref(false)
  const addError = shallowRef<ApiError | null>(null)

  const display = ref<Record<Channel, DisplaySettings | null>>({ a: null, b: null, diff: null })
  const morph = ref(0)
  const view = ref<ViewPreset>('lateral')
  /** Hemispheres drawn (a figure may show one). */
  const hemis = ref<PerHemi<boolean>>({ lh: true, rh: true })
  const curvature = ref<CurvatureMode>('binary')
  const maskOn = ref(false)
  /** Map A's FDR significance per vertex (from maps.project), or null when it carries no p-values. */
  const mask = shallowRef<PerHemi<Uint8Array> | null>(null)
  const maskQ = ref<number | null>(null)
  const maskReason = computed(() =>
    mask.value
      ? null
      : overlay.value
        ? 'This map carries no p-values: add it with a p-value file (or train an encoding model) to mask by FDR.'
        : 'No map shown: the FDR mask comes with a map that carries p-values.'
  )

  const hover = shallowRef<PickReadout | null>(null)
  const picked = shallowRef<PickReadout | null>(null)
  const firstFrameMs = ref<number | null>(null)
  const meshRequests = ref(0)
  const lastExport = ref<{ name: string; bytes: number } | null>(null)

  const setInfo = computed(() => sets.value.find((s) => s.id === setId.value) ?? null)
  const stops = computed<MorphKind[]>(() => {
    const kinds = setInfo.value?.kinds ?? []
    return MORPH_ORDER.filter((k) => kinds.includes(k as SurfaceKind))
  })
  const current = computed<DisplaySettings | null>(() => display.value[compare.value ? channel.value : 'a'])
  const mapName = (id: number | null): string =>
    maps.value.find((m) => m.id === id)?.name ?? (id === null ? '' : `map ${id}`)
  const channelLabel = computed(() => {
    if (!overlay.value) return ''
    const a = mapName(mapA.value)
    const units = maps.value.find((m) => m.id === mapA.value)?.units ?? ''
    const u = units ? ` (${units})` : ''
    if (!compare.value || channel.value === 'a') return `${a}${u}`
    if (channel.value === 'b') return `${mapName(mapB.value)}${u}`
    return `${a} − ${mapName(mapB.value)}${u}`
  })

  // ----------------------------------------------------------------------------------------------
  // Surface sets

  async function loadSets(): Promise<void> {
    try {
      sets.value = await api().call('surface.sets', {})
      error.value = null
      if (!sets.value.some((s) => s.id === setId.value)) setId.value = sets.value[0]?.id ?? setId.value
    } catch (err) {
      error.value = ApiError.from(err)
    }
  }

  /** Meshes of every morph kind of both hemispheres, the curvature and the parcellation, in parallel. */
  async function loadSet(id = setId.value): Promise<void> {
    setId.value = id
    const cached = setCache.get(id)
    if (cached) {
      loaded.value = cached
      return
    }
    const info = sets.value.find((s) => s.id === id)
    if (!info) {
      error.value = new ApiError('not_found', `No surface set "${id}"`)
      return
    }
    const kinds = MORPH_ORDER.filter((k) => info.kinds.includes(k as SurfaceKind))
    const measure = info.measures.includes('curv') ? 'curv' : info.measures.includes('sulc') ? 'sulc' : null
    const parcName = info.annotations.includes('aparc') ? 'aparc' : (info.annotations[0] ?? null)
    const total = kinds.length * 2 + (measure ? 2 : 0) + (parcName ? 2 : 0)
    progress.value = { done: 0, total, what: `Loading ${info.name}` }
    const t0 = performance.now()
    const tick = <T>(p: Promise<T>): Promise<T> =>
      p.then((v) => {
        if (progress.value) progress.value = { ...progress.value, done: progress.value.done + 1 }
        return v
      })
    try {
      meshRequests.value += kinds.length * 2
      const meshP = HEMIS.flatMap((hemi) =>
        kinds.map((kind) => tick(api().call('surface.mesh', { set: id, hemi, kind })))
      )
      const shapeP = measure ? HEMIS.map((hemi) => tick(api().call('surface.shape', { set: id, hemi, measure }))) : []
      const parcP = parcName
        ? HEMIS.map((hemi) => tick(api().call('surface.parcellation', { set: id, hemi, name: parcName })))
        : []
      const [meshRes, shapeRes, parcRes] = await Promise.all([
        Promise.all(meshP),
        Promise.all(shapeP),
        Promise.all(parcP)
      ])
      const t1 = performance.now()
      const meshes: PerHemi<HemiSurfaces> = { lh: {}, rh: {} }
      for (const m of meshRes) {
        meshes[m.hemi][m.kind as MorphKind] = {
          positions: decodePayload(m.positions, 'float32', `${m.hemi} ${m.kind} positions`),
          triangles: decodePayload(m.triangles, 'uint32', `${m.hemi} ${m.kind} triangles`),
          unused: m.unused ? decodePayload(m.unused, 'uint8', `${m.hemi} ${m.kind} unused`) : null
        }
      }
      let curv: PerHemi<Float32Array> | null = null
      if (shapeRes.length === 2) {
        curv = { lh: new Float32Array(0), rh: new Float32Array(0) }
        for (const s of shapeRes) curv[s.hemi] = decodeFloat32(s.values, `${s.hemi} ${s.measure}`)
      }
      let parc: LoadedSet['parcellation'] = null
      if (parcRes.length === 2) {
        parc = { lh: { labels: new Int32Array(0), names: [] }, rh: { labels: new Int32Array(0), names: [] } }
        for (const p of parcRes)
          parc[p.hemi] = {
            labels: decodePayload(p.labels, 'int32', `${p.hemi} ${p.name} labels`),
            names: p.table.map((t) => t.name)
          }
      }
      const entry: LoadedSet = markRaw({
        id,
        info,
        meshes,
        curvature: curv,
        curvatureMeasure: measure,
        parcellation: parc,
        parcellationName: parcName,
        fetchMs: t1 - t0,
        decodeMs: performance.now() - t1,
        requests: total
      })
      setCache.set(id, entry)
      if (setId.value === id) loaded.value = entry
      error.value = null
    } catch (err) {
      error.value = ApiError.from(err)
    } finally {
      progress.value = null
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Maps

  async function loadMaps(): Promise<void> {
    try {
      maps.value = await api().call('maps.list', {})
      mapsLoaded.value = true
      mapError.value = null
      if (mapA.value !== null && !maps.value.some((m) => m.id === mapA.value)) mapA.value = null
      if (mapA.value === null && maps.value.length) mapA.value = maps.value[maps.value.length - 1]!.id
    } catch (err) {
      mapError.value = ApiError.from(err)
    }
  }

  async function addMap(path: string, name?: string, pvalues?: string, q?: number): Promise<MapInfo | null> {
    adding.value = true
    try {
      const info = await api().call('maps.add', {
        path,
        ...(name ? { name } : {}),
        surfaceSet: setId.value,
        ...(pvalues ? { pvalues, ...(q !== undefined ? { q } : {}) } : {})
      })
      addError.value = null
      await loadMaps()
      if (!maps.value.some((m) => m.id === info.id)) maps.value = [...maps.value, info]
      mapA.value = info.id
      return info
    } catch (err) {
      addError.value = ApiError.from(err)
      return null
    } finally {
      adding.value = false
    }
  }

  async function projectOne(mapId: number): Promise<ProjectedArrays> {
    const key = `${mapId}|${setId.value}|${method.value}`
    const hit = projCache.get(key)
    if (hit) return hit
    const res = await api().call('maps.project', { mapId, set: setId.value, method: method.value })
    const pair = { lh: decodeFloat32(res.lh, 'lh values'), rh: decodeFloat32(res.rh, 'rh values') }
    const sig = res.significant
    const significant = sig
      ? {
          lh: decodePayload(sig.lh, 'uint8', 'lh significance'),
          rh: decodePayload(sig.rh, 'uint8', 'rh significance'),
          q: sig.q,
          count: sig.count
        }
      : null
    const out: ProjectedArrays = markRaw({ key, mapId, pair, summary: summarize(pair), significant })
    projCache.set(key, out)
    return out
  }

  let overlaySeq = 0
  /** Projects A (and B when comparing) onto the current set and prepares the display. */
  async function refreshOverlay(): Promise<void> {
    const seq = ++overlaySeq
    if (mapA.value === null || !loaded.value) {
      overlay.value = null
      mask.value = null
      maskQ.value = null
      return
    }
    projecting.value = true
    try {
      const a = await projectOne(mapA.value)
      const b = compare.value && mapB.value !== null ? await projectOne(mapB.value) : null
      if (seq !== overlaySeq) return
      showOverlay(a, b)
      mapError.value = null
    } catch (err) {
      if (seq === overlaySeq) mapError.value = ApiError.from(err)
    } finally {
      if (seq === overlaySeq) projecting.value = false
    }
  }

  /** Checks lengths against the meshes, computes A - B, sets display defaults for what changed. */
  function showOverlay(a: ProjectedArrays, b: ProjectedArrays | null): void {
    const set = loaded.value
    if (!set) return
    for (const p of b ? [a, b] : [a])
      for (const h of HEMIS) {
        const nV = set.info.nVertices[h]
        const n = p.pair[h].length
        if (n !== nV) {
          overlayError.value =
            `"${mapName(p.mapId)}" has ${n.toLocaleString('en')} values for the ${h === 'lh' ? 'left' : 'right'} hemisphere, ` +
            `but ${set.info.name} has ${nV.toLocaleString('en')} vertices there: the map belongs to another surface set.`
          overlay.value = null
          mask.value = null
          maskQ.value = null
          return
        }
      }
    overlayError.value = null
    const prev = overlay.value
    let diff: Overlay['diff'] = null
    if (b) {
      const pair = subtractMaps(a.pair, b.pair)
      diff = markRaw({ pair, summary: summarize(pair) })
    }
    const next = { ...display.value }
    if (!prev || prev.a.key !== a.key) next.a = defaultDisplay(a.summary)
    if (b && (!prev?.b || prev.b.key !== b.key)) next.b = defaultDisplay(b.summary)
    if (diff && b && (!prev?.diff || prev.a.key !== a.key || prev.b?.key !== b.key))
      next.diff = diffDisplay(diff.summary, a.summary, b.summary)
    display.value = next
    // Map A's significance; set before the overlay so the canvas uploads both in one pass.
    mask.value = a.significant ? { lh: a.significant.lh, rh: a.significant.rh } : null
    maskQ.value = a.significant?.q ?? null
    if (!a.significant) maskOn.value = false
    overlay.value = markRaw({ a, b, diff, version: (prev?.version ?? 0) + 1 })
  }

  /** Shows arbitrary per-vertex arrays as map A (checks included) — what a projection goes through. */
  function showArrays(pair: HemiPair, name = 'arrays'): void {
    showOverlay(
      markRaw({ key: `raw:${name}:${Math.random()}`, mapId: -1, pair, summary: summarize(pair), significant: null }),
      null
    )
  }

  // ----------------------------------------------------------------------------------------------
  // Display

  function updateDisplay(patch: Partial<Pick<DisplaySettings, 'vmin' | 'vmax' | 'threshold'>>): void {
    const ch = compare.value ? channel.value : 'a'
    const d = display.value[ch]
    if (!d) return
    display.value = { ...display.value, [ch]: { ...d, ...patch } }
  }

  function setColormap(name: ColormapName): void {
    const ch = compare.value ? channel.value : 'a'
    const d = display.value[ch]
    const ov = overlay.value
    if (!d || !ov) return
    const summary = ch === 'a' ? ov.a.summary : ch === 'b' ? ov.b?.summary : ov.diff?.summary
    display.value = { ...display.value, [ch]: adaptToColormap(d, name, summary ?? ov.a.summary) }
  }

  function roiOf(p: PickResult | null): PickReadout | null {
    if (!p) return null
    const parc = loaded.value?.parcellation?.[p.hemi]
    let roi: string | null = null
    if (parc) {
      const k = parc.labels[p.vertex] ?? -1
      roi = k >= 0 ? (parc.names[k] ?? `label ${k}`) : 'unlabelled'
    }
    return { ...p, roi }
  }

  function setHover(p: PickResult | null): void {
    hover.value = roiOf(p)
  }
  function setPicked(p: PickResult | null): void {
    picked.value = roiOf(p)
  }

  return {
    sets,
    setId,
    setInfo,
    stops,
    loaded,
    progress,
    error,
    maps,
    mapsLoaded,
    mapA,
    mapB,
    compare,
    channel,
    method,
    projecting,
    mapError,
    overlayError,
    overlay,
    adding,
    addError,
    display,
    current,
    channelLabel,
    morph,
    view,
    hemis,
    curvature,
    maskOn,
    mask,
    maskQ,
    maskReason,
    hover,
    picked,
    firstFrameMs,
    meshRequests,
    lastExport,
    loadSets,
    loadSet,
    loadMaps,
    addMap,
    refreshOverlay,
    showArrays,
    updateDisplay,
    setColormap,
    setHover,
    setPicked,
    mapName
  }
})
