/**
 * CortexViewer: both hemispheres of a surface set in one three.js scene, after pycortex's design —
 * morph targets as vertex attributes mixed in the vertex shader, colour looked up in a colormap texture,
 * vmin/vmax/threshold as uniforms. It takes plain typed arrays (no stores, no API) and renders on demand.
 *
 * What costs what:
 * - setMeshes / setCurvature / setOverlays / setMask upload vertex buffers (once per surface set or map);
 * - setMorph, setRange, setColormap, setChannel, setCurvatureMode, setMaskEnabled, setView, resizing and
 *   orbiting change uniforms, a 256x1 texture or matrices only — never a vertex buffer.
 * `stats` counts what reached the GPU, so tests can hold the viewer to that.
 */
import {
  BufferAttribute,
  BufferGeometry,
  Color,
  DataTexture,
  LinearFilter,
  Matrix4,
  Mesh,
  MeshBasicMaterial,
  NoColorSpace,
  PerspectiveCamera,
  Ray,
  RGBAFormat,
  Scene,
  ShaderMaterial,
  SphereGeometry,
  Uint32BufferAttribute,
  UnsignedByteType,
  Vector2,
  Vector3,
  WebGLRenderer,
  WebGLRenderTarget,
  GLSL3,
  DoubleSide,
  Raycaster,
  Box3,
  type IUniform
} from 'three'
import { OrbitControls } from 'three/addons/controls/OrbitControls.js'
import { CORTEX_FRAGMENT, CORTEX_VERTEX } from './shaders'
import { boundsOf, placeFlat, robustAbsScale, vertexNormals, type Bounds, type Vec3 } from './geometry'
import { mixTargets, raycastTriangles } from './pick'
import { colormap, type ColormapName } from './colormaps'
import { drawColorbar, type ColorbarSpec } from './colorbar'

export type Hemi = 'lh' | 'rh'
export const HEMIS: Hemi[] = ['lh', 'rh']
export type MorphKind = 'pial' | 'white' | 'inflated' | 'flat'
/** Morph stops, in slider order. */
export const MORPH_ORDER: MorphKind[] = ['pial', 'white', 'inflated', 'flat']
export type ViewPreset = 'lateral' | 'medial' | 'dorsal' | 'ventral' | 'anterior' | 'posterior'
export const VIEW_PRESETS: ViewPreset[] = ['lateral', 'medial', 'dorsal', 'ventral', 'anterior', 'posterior']
export type CurvatureMode = 'off' | 'binary' | 'smooth'
export type Channel = 'a' | 'b' | 'diff'

export interface SurfaceInput {
  /** float32 (nVertices x 3), mm, RAS. */
  positions: Float32Array
  /** uint32 (nTriangles x 3). */
  triangles: Uint32Array
  /** 1 = vertex used by no triangle (a flat map's cut medial wall), or null. */
  unused: Uint8Array | null
}
export type HemiSurfaces = Partial<Record<MorphKind, SurfaceInput>>
export type PerHemi<T> = Record<Hemi, T>

export interface PickResult {
  hemi: Hemi
  vertex: number
  /** The value of each channel at that vertex (NaN where none). */
  values: { a: number; b: number; diff: number }
}

export interface ViewerStats {
  /** gl.bufferData + gl.bufferSubData calls: vertex and index uploads. */
  bufferUploads: number
  bufferBytes: number
  /** gl.texImage2D + gl.texSubImage2D calls (the colormap). */
  textureUploads: number
  frames: number
  /** ms from the start of setMeshes to the first frame that showed them (GPU finished). */
  firstFrameMs: number | null
  /** Of the first frame: uploading every buffer and compiling the shader. */
  warmUpMs: number
  lastFrameMs: number
}

/** Raised when an overlay's or mask's length does not match the mesh; the message is for users. */
export class OverlayMismatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OverlayMismatchError'
  }
}

interface HemiState {
  hemi: Hemi
  nV: number
  /** Morph targets in the brain frame (flat placed), one per stop. */
  targets: Float32Array[]
  bounds: Bounds[]
  /** Offset along x per stop (pulled apart when inflated/flat). */
  sep: number[]
  geomFull: BufferGeometry
  geomCut: BufferGeometry | null
  meshFull: Mesh
  meshCut: Mesh | null
  material: ShaderMaterial
  aVal: BufferAttribute
  aValid: BufferAttribute
  aMask: BufferAttribute
  aCurv: BufferAttribute
  full: Uint32Array
  cut: Uint32Array | null
  morphed: Float32Array
  morphedKey: string
  values: { a: Float32Array | null; b: Float32Array | null; diff: Float32Array | null }
}

/** Rows: the brain-frame directions that become display right, up and toward-the-camera. */
type Basis = [Vec3, Vec3, Vec3]
const LATERAL: PerHemi<Basis> = {
  lh: [
    [0, -1, 0],
    [0, 0, 1],
    [-1, 0, 0]
  ],
  rh: [
    [0, 1, 0],
    [0, 0, 1],
    [1, 0, 0]
  ]
}
const MEDIAL: PerHemi<Basis> = {
  lh: [
    [0, 1, 0],
    [0, 0, 1],
    [1, 0, 0]
  ],
  rh: [
    [0, -1, 0],
    [0, 0, 1],
    [-1, 0, 0]
  ]
}
const ANATOMICAL: Record<'dorsal' | 'ventral' | 'anterior' | 'posterior', Basis> = {
  dorsal: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1]
  ],
  ventral: [
    [-1, 0, 0],
    [0, 1, 0],
    [0, 0, -1]
  ],
  anterior: [
    [-1, 0, 0],
    [0, 0, 1],
    [0, 1, 0]
  ],
  posterior: [
    [1, 0, 0],
    [0, 0, 1],
    [0, -1, 0]
  ]
}
const CURV_MODE: Record<CurvatureMode, number> = { off: 0, binary: 1, smooth: 2 }
const CHANNEL: Record<Channel, Vec3> = { a: [1, 0, 0], b: [0, 1, 0], diff: [0, 0, 1] }

export interface ViewerOptions {
  background?: string
  /** Called after every frame (for timing readouts). */
  onFrame?: (stats: ViewerStats) => void
  onHover?: (p: PickResult | null) => void
  onPick?: (p: PickResult | null) => void
}

export class CortexViewer {
  readonly canvas: HTMLCanvasElement
  readonly stats: ViewerStats = {
    bufferUploads: 0,
    bufferBytes: 0,
    textureUploads: 0,
    frames: 0,
    firstFrameMs: null,
    warmUpMs: 0,
    lastFrameMs: 0
  }

  private readonly renderer: WebGLRenderer
  private readonly scene = new Scene()
  private readonly camera = new PerspectiveCamera(22, 1, 1, 5000)
  private readonly controls: OrbitControls
  private readonly cmapTex: DataTexture
  private readonly resize: ResizeObserver
  private readonly marker: Mesh
  private readonly shared: Record<string, IUniform>
  private hemis: PerHemi<HemiState> | null = null
  private stops: MorphKind[] = []
  private morph = 0
  private preset: ViewPreset = 'lateral'
  /** Which hemispheres are drawn (and framed); both unless a figure asks for one. */
  private shown: PerHemi<boolean> = { lh: true, rh: true }
  private raf = 0
  private pendingFirstFrame: number | null = null
  private picked: { hemi: Hemi; vertex: number } | null = null
  private hoverRaf = 0
  private hoverAt: { x: number; y: number } | null = null
  private down: { x: number; y: number } | null = null
  private disposed = false
  private width = 1
  private height = 1

  constructor(
    private readonly container: HTMLElement,
    private readonly opts: ViewerOptions = {}
  ) {
    this.canvas = document.createElement('canvas')
    this.canvas.className = 'cortex-canvas'
    this.canvas.setAttribute('data-testid', 'cortex-canvas')
    this.canvas.setAttribute('aria-label', 'Cortical surface')
    this.canvas.setAttribute('role', 'img')
    this.renderer = new WebGLRenderer({ canvas: this.canvas, antialias: true, powerPreference: 'high-performance' })
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2))
    this.instrument()
    container.appendChild(this.canvas)
    this.setBackground(opts.background ?? '#ffffff')

    this.cmapTex = new DataTexture(new Uint8Array(256 * 4), 256, 1, RGBAFormat, UnsignedByteType)
    this.cmapTex.colorSpace = NoColorSpace
    this.cmapTex.magFilter = LinearFilter
    this.cmapTex.minFilter = LinearFilter
    this.cmapTex.generateMipmaps = false
    this.shared = {
      uCmap: { value: this.cmapTex },
      uW: { value: [1, 0, 0, 0] },
      uVmin: { value: 0 },
      uVmax: { value: 1 },
      uThreshold: { value: 0 },
      uDiverging: { value: 0 },
      uHasOverlay: { value: 0 },
      uMaskOn: { value: 0 },
      uCurvMode: { value: CURV_MODE.binary },
      uChannel: { value: new Vector3(1, 0, 0) }
    }
    this.setColormap('viridis')

    this.marker = new Mesh(new SphereGeometry(1, 16, 12), new MeshBasicMaterial({ color: 0xff2d55 }))
    this.marker.renderOrder = 10
    this.marker.visible = false
    this.scene.add(this.marker)

    this.controls = new OrbitControls(this.camera, this.canvas)
    this.controls.enableDamping = false
    this.controls.zoomToCursor = true
    this.controls.addEventListener('change', () => this.requestRender())

    this.canvas.addEventListener('pointerdown', this.onPointerDown)
    this.canvas.addEventListener('pointerup', this.onPointerUp)
    this.canvas.addEventListener('pointermove', this.onPointerMove)
    this.canvas.addEventListener('pointerleave', this.onPointerLeave)

    this.resize = new ResizeObserver(() => this.fitSize())
    this.resize.observe(container)
    this.fitSize()
  }

  // -----------------------------------------------------------------------------------------------
  // Data

  /**
   * Both hemispheres' surfaces; every kind of one hemisphere must have the same vertex count. The
   * stops are the kinds both hemispheres have, in MORPH_ORDER. Builds normals, places a flat map,
   * uploads the buffers; curvature, overlay and mask reset to none.
   */
  setMeshes(meshes: PerHemi<HemiSurfaces>): MorphKind[] {
    const t0 = performance.now()
    this.disposeHemis()
    const stops = MORPH_ORDER.filter((k) => meshes.lh[k] && meshes.rh[k])
    if (!stops.length) throw new Error('no surface kind is present for both hemispheres')
    this.stops = stops
    const built = {} as PerHemi<HemiState>
    for (const h of HEMIS) built[h] = this.buildHemi(h, meshes[h], stops)
    // Hemispheres pulled apart where they overlap (inflated, flat): each stop's gap from its bounds.
    const gap = 8
    stops.forEach((k, i) => {
      if (k === 'pial' || k === 'white') return
      built.lh.sep[i] = Math.min(0, -gap / 2 - built.lh.bounds[i]!.max[0])
      built.rh.sep[i] = Math.max(0, gap / 2 - built.rh.bounds[i]!.min[0])
    })
    this.hemis = built
    for (const h of HEMIS) {
      this.scene.add(built[h].meshFull)
      if (built[h].meshCut) this.scene.add(built[h].meshCut!)
    }
    this.morph = Math.min(this.morph, stops.length - 1)
    this.picked = null
    this.marker.visible = false
    this.pendingFirstFrame = t0
    this.applyMorph()
    this.applyView(true)
    return stops
  }

  get morphStops(): MorphKind[] {
    return [...this.stops]
  }

  get vertexCounts(): PerHemi<number> | null {
    return this.hemis ? { lh: this.hemis.lh.nV, rh: this.hemis.rh.nV } : null
  }

  /** Per-vertex curvature (or sulcal depth): shading under the data, scaled by its robust range. */
  setCurvature(values: PerHemi<Float32Array> | null): void {
    if (!this.hemis) return
    for (const h of HEMIS) {
      const st = this.hemis[h]
      const arr = st.aCurv.array as Float32Array
      const v = values?.[h]
      if (v && v.length !== st.nV)
        throw new OverlayMismatchError(`${h} curvature has ${v.length} values; the ${h} mesh has ${st.nV} vertices`)
      if (!v) arr.fill(0)
      else {
        const s = robustAbsScale(v)
        for (let i = 0; i < arr.length; i++) {
          const x = v[i]! / s
          arr[i] = Number.isFinite(x) ? x : 0
        }
      }
      st.aCurv.needsUpdate = true
    }
    this.requestRender()
  }

  /**
   * The data: channel A, and optionally B and A-B (compare). Lengths must match the meshes'
   * vertex counts: a mismatch throws OverlayMismatchError and leaves the display as it was.
   * NaN marks "no value" (curvature shows).
   */
  setOverlays(ch: {
    a: PerHemi<Float32Array> | null
    b?: PerHemi<Float32Array> | null
    diff?: PerHemi<Float32Array> | null
  }): void {
    if (!this.hemis) throw new Error('no meshes yet')
    const names: ['a', 'b', 'diff'] = ['a', 'b', 'diff']
    for (const h of HEMIS)
      for (const n of names) {
        const v = ch[n]?.[h]
        if (v && v.length !== this.hemis[h].nV)
          throw new OverlayMismatchError(
            `The map has ${v.length.toLocaleString('en')} values for the ${h === 'lh' ? 'left' : 'right'} hemisphere, ` +
              `but the ${h} mesh has ${this.hemis[h].nV.toLocaleString('en')} vertices: it was made for another surface set.`
          )
      }
    for (const h of HEMIS) {
      const st = this.hemis[h]
      const val = st.aVal.array as Float32Array
      const ok = st.aValid.array as Uint8Array
      names.forEach((n, c) => {
        const v = ch[n]?.[h] ?? null
        st.values[n] = v
        for (let i = 0; i < st.nV; i++) {
          const x = v ? v[i]! : NaN
          const good = Number.isFinite(x)
          val[3 * i + c] = good ? x : 0
          ok[3 * i + c] = good ? 255 : 0
        }
      })
      st.aVal.needsUpdate = true
      st.aValid.needsUpdate = true
    }
    this.shared.uHasOverlay!.value = ch.a ? 1 : 0
    this.requestRender()
  }

  /** Per-vertex significance (1 = significant), or null when none; enable with setMaskEnabled. */
  setMask(mask: PerHemi<Uint8Array> | null): void {
    if (!this.hemis) return
    for (const h of HEMIS) {
      const st = this.hemis[h]
      const m = mask?.[h]
      if (m && m.length !== st.nV)
        throw new OverlayMismatchError(`The ${h} mask has ${m.length} values; the ${h} mesh has ${st.nV} vertices`)
      const arr = st.aMask.array as Uint8Array
      if (!m) arr.fill(255)
      else for (let i = 0; i < st.nV; i++) arr[i] = m[i] ? 255 : 0
      st.aMask.needsUpdate = true
    }
    this.requestRender()
  }

  // -----------------------------------------------------------------------------------------------
  // Uniform-only settings

  setMaskEnabled(on: boolean): void {
    this.shared.uMaskOn!.value = on ? 1 : 0
    this.requestRender()
  }

  setColormap(name: ColormapName): void {
    const cm = colormap(name)
    ;(this.cmapTex.image.data as Uint8Array).set(cm.lut)
    this.cmapTex.needsUpdate = true
    this.shared.uDiverging!.value = cm.diverging ? 1 : 0
    this.requestRender()
  }

  setRange(vmin: number, vmax: number, threshold: number): void {
    this.shared.uVmin!.value = vmin
    this.shared.uVmax!.value = vmax
    this.shared.uThreshold!.value = threshold
    this.requestRender()
  }

  setChannel(c: Channel): void {
    const v = CHANNEL[c]
    ;(this.shared.uChannel!.value as Vector3).set(v[0], v[1], v[2])
    this.requestRender()
  }

  setCurvatureMode(mode: CurvatureMode): void {
    this.shared.uCurvMode!.value = CURV_MODE[mode]
    this.requestRender()
  }

  /** m in [0, stops - 1]: 0 = first stop (pial), fractional values mix neighbouring stops. */
  setMorph(m: number): void {
    const max = Math.max(0, this.stops.length - 1)
    this.morph = Math.min(max, Math.max(0, m))
    this.applyMorph()
    this.applyView(false)
  }

  setView(preset: ViewPreset): void {
    this.preset = preset
    this.applyView(true)
  }

  /** Draws (and frames) only the hemispheres asked for; at least one. Visibility only: no upload. */
  setHemispheres(shown: PerHemi<boolean>): void {
    if (!shown.lh && !shown.rh) throw new Error('at least one hemisphere must be shown')
    this.shown = { ...shown }
    if (this.picked && !this.shown[this.picked.hemi]) this.picked = null
    this.applyMorph()
    this.applyView(true)
  }

  setBackground(css: string): void {
    this.renderer.setClearColor(new Color(css), 1)
    this.requestRender()
  }

  /** Weights of each stop for the current morph (also what the shader gets). */
  morphWeights(): number[] {
    return this.stops.map((_, i) => Math.max(0, 1 - Math.abs(this.morph - i)))
  }

  // -----------------------------------------------------------------------------------------------
  // Picking

  /** The vertex under a point given in CSS pixels relative to the canvas, or null. */
  pick(x: number, y: number): PickResult | null {
    if (!this.hemis) return null
    const ndc = new Vector2((x / this.width) * 2 - 1, -(y / this.height) * 2 + 1)
    const rc = new Raycaster()
    rc.setFromCamera(ndc, this.camera)
    let best: { hemi: Hemi; vertex: number; dist: number } | null = null
    const w = this.morphWeights()
    const flatOn = this.flatActive()
    for (const h of HEMIS) {
      if (!this.shown[h]) continue
      const st = this.hemis[h]
      const mesh = flatOn && st.meshCut ? st.meshCut : st.meshFull
      const inv = new Matrix4().copy(mesh.matrixWorld).invert()
      const ray = new Ray().copy(rc.ray).applyMatrix4(inv)
      const off = this.offsetOf(st, w)
      const key = `${w.join(',')}|${off.join(',')}`
      if (st.morphedKey !== key) {
        mixTargets(st.targets, w, off, st.morphed)
        st.morphedKey = key
      }
      const hit = raycastTriangles(
        st.morphed,
        flatOn && st.cut ? st.cut : st.full,
        [ray.origin.x, ray.origin.y, ray.origin.z],
        [ray.direction.x, ray.direction.y, ray.direction.z]
      )
      if (!hit) continue
      const world = new Vector3(...hit.point).applyMatrix4(mesh.matrixWorld)
      const dist = world.distanceTo(this.camera.position)
      if (!best || dist < best.dist) best = { hemi: h, vertex: hit.vertex, dist }
    }
    return best ? this.describe(best.hemi, best.vertex) : null
  }

  /** Marks a vertex (or clears the mark). */
  setPicked(p: { hemi: Hemi; vertex: number } | null): void {
    this.picked = p
    this.placeMarker()
    this.requestRender()
  }

  private describe(hemi: Hemi, vertex: number): PickResult {
    const v = this.hemis![hemi].values
    const at = (a: Float32Array | null): number => (a ? a[vertex]! : NaN)
    return { hemi, vertex, values: { a: at(v.a), b: at(v.b), diff: at(v.diff) } }
  }

  /** Where a vertex is on screen now (CSS px relative to the canvas), for tests and tooltips. */
  screenPosition(hemi: Hemi, vertex: number): { x: number; y: number } | null {
    const p = this.worldOf(hemi, vertex)
    if (!p) return null
    p.project(this.camera)
    return { x: ((p.x + 1) / 2) * this.width, y: ((1 - p.y) / 2) * this.height }
  }

  // -----------------------------------------------------------------------------------------------
  // Output

  /**
   * PNG of the current view at `scale` x the canvas's CSS size, with the colorbar composited below
   * (when given). Resolves with the Blob; `download` (a file name) also saves it in the browser.
   */
  async snapshot(scale = 2, colorbar: ColorbarSpec | null = null, download?: string): Promise<Blob> {
    const { width: w, height: h, pixels } = this.renderPixels(scale)
    const band = colorbar ? Math.round(64 * scale) : 0
    const out = document.createElement('canvas')
    out.width = w
    out.height = h + band
    const ctx = out.getContext('2d')!
    const bg = new Color()
    this.renderer.getClearColor(bg)
    ctx.fillStyle = `#${bg.getHexString()}`
    ctx.fillRect(0, 0, out.width, out.height)
    const img = ctx.createImageData(w, h)
    img.data.set(pixels)
    ctx.putImageData(img, 0, 0)
    if (colorbar) {
      const bw = Math.min(w * 0.5, 360 * scale)
      drawColorbar(ctx, colorbar, (w - bw) / 2, h + 6 * scale, bw, scale)
    }
    const blob = await new Promise<Blob>((res, rej) =>
      out.toBlob((b) => (b ? res(b) : rej(new Error('the PNG could not be encoded'))), 'image/png')
    )
    if (download) {
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      a.href = url
      a.download = download
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    }
    return blob
  }

  /** Renders the current view off screen at `scale` x the CSS size; RGBA rows top-down. */
  renderPixels(scale = 1): { width: number; height: number; pixels: Uint8Array } {
    const w = Math.max(1, Math.round(this.width * scale))
    const h = Math.max(1, Math.round(this.height * scale))
    const rt = new WebGLRenderTarget(w, h, { samples: 4 })
    const raw = new Uint8Array(w * h * 4)
    // Figures carry the data, not the pick marker.
    const markerShown = this.marker.visible
    this.marker.visible = false
    try {
      this.renderer.setRenderTarget(rt)
      this.renderer.render(this.scene, this.camera)
      this.renderer.readRenderTargetPixels(rt, 0, 0, w, h, raw)
    } finally {
      this.renderer.setRenderTarget(null)
      rt.dispose()
      this.marker.visible = markerShown
    }
    // WebGL rows run bottom-up.
    const pixels = new Uint8Array(w * h * 4)
    for (let row = 0; row < h; row++) pixels.set(raw.subarray((h - 1 - row) * w * 4, (h - row) * w * 4), row * w * 4)
    return { width: w, height: h, pixels }
  }

  /** Share of rendered pixels with visible colour (not gray): a probe for "only curvature shows". */
  colourfulFraction(): number {
    const { pixels } = this.renderPixels(1)
    let n = 0
    for (let i = 0; i < pixels.length; i += 4) {
      const r = pixels[i]!
      const g = pixels[i + 1]!
      const b = pixels[i + 2]!
      if (Math.max(r, g, b) - Math.min(r, g, b) > 24) n++
    }
    return n / (pixels.length / 4)
  }

  requestRender(): void {
    if (this.raf || this.disposed) return
    this.raf = requestAnimationFrame(() => {
      this.raf = 0
      this.render()
    })
  }

  /** Draws one frame now. */
  render(): void {
    if (this.disposed) return
    const t = performance.now()
    if (this.pendingFirstFrame !== null && this.hemis) {
      this.warmUp()
      this.stats.warmUpMs = performance.now() - t
    }
    this.renderer.render(this.scene, this.camera)
    this.stats.frames++
    if (this.pendingFirstFrame !== null && this.hemis) {
      // Wait for the GPU: a 1-pixel read finishes the frame, so the time is the time to pixels.
      const px = new Uint8Array(4)
      const gl = this.renderer.getContext()
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px)
      this.stats.firstFrameMs = performance.now() - this.pendingFirstFrame
      this.pendingFirstFrame = null
    }
    this.stats.lastFrameMs = performance.now() - t
    this.opts.onFrame?.(this.stats)
  }

  /**
   * Uploads every buffer the morph can need (the flat map's cut index, the pick marker) before the first
   * frame, by drawing one triangle of each into a 1x1 target (three uploads whole buffers whatever the
   * draw range): later morphs and picks upload nothing, and the warm-up costs no real vertex work.
   */
  private warmUp(): void {
    const restore: (() => void)[] = []
    for (const h of HEMIS) {
      const st = this.hemis![h]
      const full = st.meshFull.visible
      st.meshFull.visible = false
      restore.push(() => (st.meshFull.visible = full))
      if (st.meshCut && st.geomCut) {
        const cut = st.meshCut.visible
        st.meshCut.visible = true
        st.geomCut.setDrawRange(0, 3)
        restore.push(() => {
          st.meshCut!.visible = cut
          st.geomCut!.setDrawRange(0, Infinity)
        })
      }
    }
    const marker = this.marker.visible
    this.marker.visible = true
    restore.push(() => (this.marker.visible = marker))
    const rt = new WebGLRenderTarget(1, 1)
    try {
      this.renderer.setRenderTarget(rt)
      this.renderer.render(this.scene, this.camera)
    } finally {
      this.renderer.setRenderTarget(null)
      rt.dispose()
      for (const r of restore) r()
    }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    if (this.raf) cancelAnimationFrame(this.raf)
    if (this.hoverRaf) cancelAnimationFrame(this.hoverRaf)
    this.resize.disconnect()
    this.controls.dispose()
    this.canvas.removeEventListener('pointerdown', this.onPointerDown)
    this.canvas.removeEventListener('pointerup', this.onPointerUp)
    this.canvas.removeEventListener('pointermove', this.onPointerMove)
    this.canvas.removeEventListener('pointerleave', this.onPointerLeave)
    this.disposeHemis()
    this.marker.geometry.dispose()
    ;(this.marker.material as MeshBasicMaterial).dispose()
    this.cmapTex.dispose()
    this.renderer.dispose()
    this.renderer.forceContextLoss()
    this.canvas.remove()
  }

  // -----------------------------------------------------------------------------------------------
  // Internals

  private buildHemi(h: Hemi, input: HemiSurfaces, stops: MorphKind[]): HemiState {
    const first = input[stops[0]!]!
    const nV = first.positions.length / 3
    for (const k of stops) {
      const s = input[k]!
      if (s.positions.length !== nV * 3)
        throw new OverlayMismatchError(
          `${h} ${k} has ${s.positions.length / 3} vertices, ${h} ${stops[0]} has ${nV}: morph targets must share vertices`
        )
    }
    const full = (input.pial ?? input.white ?? input.inflated ?? first).triangles
    const ref = (input.inflated ?? input.white ?? input.pial ?? first).positions
    const targets: Float32Array[] = []
    const bounds: Bounds[] = []
    let cut: Uint32Array | null = null
    for (const k of stops) {
      const s = input[k]!
      if (k === 'flat') {
        const placed = placeFlat(s.positions, s.unused, ref)
        targets.push(placed)
        bounds.push(boundsOf(placed, s.unused))
        cut = s.triangles
      } else {
        targets.push(s.positions)
        bounds.push(boundsOf(s.positions, s.unused))
      }
    }
    const geomFull = new BufferGeometry()
    const posNames = ['position', 'aPos1', 'aPos2', 'aPos3']
    const nrmNames = ['normal', 'aNrm1', 'aNrm2', 'aNrm3']
    const posAttrs: BufferAttribute[] = []
    const nrmAttrs: BufferAttribute[] = []
    stops.forEach((k, i) => {
      posAttrs.push(new BufferAttribute(targets[i]!, 3))
      nrmAttrs.push(new BufferAttribute(vertexNormals(targets[i]!, k === 'flat' && cut ? cut : full), 3))
    })
    const aVal = new BufferAttribute(new Float32Array(nV * 3), 3)
    const aValid = new BufferAttribute(new Uint8Array(nV * 3), 3, true)
    const aMask = new BufferAttribute(new Uint8Array(nV).fill(255), 1, true)
    const aCurv = new BufferAttribute(new Float32Array(nV), 1)
    const attach = (g: BufferGeometry): void => {
      // Missing slots reuse stop 0's buffers (weight 0 there; no extra upload: same attribute object).
      for (let i = 0; i < 4; i++) {
        g.setAttribute(posNames[i]!, posAttrs[i] ?? posAttrs[0]!)
        g.setAttribute(nrmNames[i]!, nrmAttrs[i] ?? nrmAttrs[0]!)
      }
      g.setAttribute('aVal', aVal)
      g.setAttribute('aValid', aValid)
      g.setAttribute('aMask', aMask)
      g.setAttribute('aCurv', aCurv)
    }
    attach(geomFull)
    geomFull.setIndex(new Uint32BufferAttribute(full, 1))
    let geomCut: BufferGeometry | null = null
    if (cut) {
      geomCut = new BufferGeometry()
      attach(geomCut)
      geomCut.setIndex(new Uint32BufferAttribute(cut, 1))
    }
    const material = new ShaderMaterial({
      glslVersion: GLSL3,
      vertexShader: CORTEX_VERTEX,
      fragmentShader: CORTEX_FRAGMENT,
      side: DoubleSide,
      uniforms: { ...this.shared, uOffset: { value: new Vector3() } }
    })
    const mk = (g: BufferGeometry): Mesh => {
      const m = new Mesh(g, material)
      m.matrixAutoUpdate = false
      m.frustumCulled = false
      m.name = h
      return m
    }
    const meshFull = mk(geomFull)
    const meshCut = geomCut ? mk(geomCut) : null
    return {
      hemi: h,
      nV,
      targets,
      bounds,
      sep: stops.map(() => 0),
      geomFull,
      geomCut,
      meshFull,
      meshCut,
      material,
      aVal,
      aValid,
      aMask,
      aCurv,
      full,
      cut,
      morphed: new Float32Array(nV * 3),
      morphedKey: '',
      values: { a: null, b: null, diff: null }
    }
  }

  private disposeHemis(): void {
    if (!this.hemis) return
    for (const h of HEMIS) {
      const st = this.hemis[h]
      this.scene.remove(st.meshFull)
      if (st.meshCut) this.scene.remove(st.meshCut)
      st.geomFull.dispose()
      st.geomCut?.dispose()
      st.material.dispose()
    }
    this.hemis = null
  }

  private flatActive(): boolean {
    const i = this.stops.indexOf('flat')
    return i >= 0 && (this.morphWeights()[i] ?? 0) > 0
  }

  private offsetOf(st: HemiState, w: number[]): [number, number, number] {
    let x = 0
    w.forEach((wi, i) => (x += wi * (st.sep[i] ?? 0)))
    return [x, 0, 0]
  }

  /** Current bounds of a hemisphere: the stops' bounds mixed by the weights, plus its offset. */
  private mixedBounds(st: HemiState, w: number[]): Bounds {
    const min: Vec3 = [0, 0, 0]
    const max: Vec3 = [0, 0, 0]
    w.forEach((wi, i) => {
      for (let a = 0; a < 3; a++) {
        min[a] = min[a]! + wi * st.bounds[i]!.min[a]!
        max[a] = max[a]! + wi * st.bounds[i]!.max[a]!
      }
    })
    const off = this.offsetOf(st, w)
    min[0] += off[0]
    max[0] += off[0]
    return { min, max }
  }

  private applyMorph(): void {
    if (!this.hemis) return
    const w = this.morphWeights()
    const w4 = [0, 1, 2, 3].map((i) => w[i] ?? 0)
    this.shared.uW!.value = w4
    const flatOn = this.flatActive()
    for (const h of HEMIS) {
      const st = this.hemis[h]
      const off = this.offsetOf(st, w)
      ;(st.material.uniforms.uOffset!.value as Vector3).set(off[0], off[1], off[2])
      st.meshFull.visible = this.shown[h] && !(flatOn && st.meshCut)
      if (st.meshCut) st.meshCut.visible = this.shown[h] && flatOn
    }
    this.requestRender()
  }

  /** Hemisphere transforms for the preset and morph; refits the camera (resetting its direction when asked). */
  private applyView(resetCamera: boolean): void {
    if (!this.hemis) {
      this.requestRender()
      return
    }
    const w = this.morphWeights()
    const mb = { lh: this.mixedBounds(this.hemis.lh, w), rh: this.mixedBounds(this.hemis.rh, w) }
    const matrices = {} as PerHemi<Matrix4>
    if (this.preset === 'lateral' || this.preset === 'medial') {
      const bases = this.preset === 'lateral' ? LATERAL : MEDIAL
      const half = (b: Bounds, basis: Basis): number =>
        basis[0].reduce((s, r, a) => s + (Math.abs(r) * (b.max[a]! - b.min[a]!)) / 2, 0)
      const hl = half(mb.lh, bases.lh)
      const hr = half(mb.rh, bases.rh)
      const gap = 0.06 * Math.max(hl, hr)
      const both = this.shown.lh && this.shown.rh
      for (const h of HEMIS) {
        const b = mb[h]
        const pivot = b.min.map((m, a) => (m + b.max[a]!) / 2) as Vec3
        // One hemisphere alone sits in the middle.
        const place: Vec3 = [both ? (h === 'lh' ? -(hl + gap) : hr + gap) : 0, 0, 0]
        matrices[h] = placement(bases[h], pivot, place)
      }
    } else {
      const basis = ANATOMICAL[this.preset]
      const vis = HEMIS.filter((h) => this.shown[h]).map((h) => mb[h])
      const pivot = [0, 1, 2].map(
        (a) => (Math.min(...vis.map((b) => b.min[a]!)) + Math.max(...vis.map((b) => b.max[a]!))) / 2
      ) as Vec3
      for (const h of HEMIS) matrices[h] = placement(basis, pivot, [0, 0, 0])
    }
    const box = new Box3()
    for (const h of HEMIS) {
      const st = this.hemis[h]
      for (const m of [st.meshFull, st.meshCut]) {
        if (!m) continue
        m.matrix.copy(matrices[h])
        m.matrixWorldNeedsUpdate = true
      }
      if (!this.shown[h]) continue
      const b = mb[h]
      for (let c = 0; c < 8; c++) {
        const p = new Vector3(c & 1 ? b.max[0] : b.min[0], c & 2 ? b.max[1] : b.min[1], c & 4 ? b.max[2] : b.min[2])
        box.expandByPoint(p.applyMatrix4(matrices[h]))
      }
    }
    this.scene.updateMatrixWorld(true)
    this.fitCamera(box, resetCamera)
    this.placeMarker()
    this.requestRender()
  }

  private fitCamera(box: Box3, reset: boolean): void {
    const center = box.getCenter(new Vector3())
    const size = box.getSize(new Vector3())
    const tanH = Math.tan((this.camera.fov * Math.PI) / 360)
    const aspect = this.width / this.height
    const dist = Math.max(size.y / 2 / tanH, size.x / 2 / (tanH * aspect)) * 1.12 + size.z / 2
    let dir = new Vector3(0, 0, 1)
    if (!reset) {
      dir = this.camera.position.clone().sub(this.controls.target)
      if (dir.lengthSq() < 1e-9) dir.set(0, 0, 1)
      dir.normalize()
    } else this.camera.up.set(0, 1, 0)
    this.camera.position.copy(center).addScaledVector(dir, dist)
    this.camera.near = Math.max(0.1, dist / 50)
    this.camera.far = dist * 4 + size.length()
    this.camera.updateProjectionMatrix()
    this.controls.target.copy(center)
    this.controls.update()
    this.marker.scale.setScalar(Math.max(size.x, size.y) * 0.008)
  }

  private worldOf(hemi: Hemi, vertex: number): Vector3 | null {
    if (!this.hemis) return null
    const st = this.hemis[hemi]
    if (vertex < 0 || vertex >= st.nV) return null
    const w = this.morphWeights()
    const off = this.offsetOf(st, w)
    const p = new Vector3()
    w.forEach((wi, i) => {
      const t = st.targets[i]!
      p.x += wi * t[3 * vertex]!
      p.y += wi * t[3 * vertex + 1]!
      p.z += wi * t[3 * vertex + 2]!
    })
    p.x += off[0]
    return p.applyMatrix4(st.meshFull.matrixWorld)
  }

  private placeMarker(): void {
    const p = this.picked ? this.worldOf(this.picked.hemi, this.picked.vertex) : null
    this.marker.visible = !!p
    if (p) {
      this.marker.position.copy(p)
      this.marker.updateMatrixWorld()
    }
  }

  private fitSize(): void {
    const w = Math.max(1, Math.floor(this.container.clientWidth))
    const h = Math.max(1, Math.floor(this.container.clientHeight))
    if (w === this.width && h === this.height) return
    this.width = w
    this.height = h
    this.renderer.setSize(w, h, false)
    this.camera.aspect = w / h
    this.camera.updateProjectionMatrix()
    if (this.hemis) this.applyView(false)
    this.requestRender()
  }

  /** Counts GPU uploads (buffers, textures) for `stats`. */
  private instrument(): void {
    const gl = this.renderer.getContext() as WebGL2RenderingContext
    const stats = this.stats
    const bufferData = gl.bufferData.bind(gl) as (...a: unknown[]) => void
    const bufferSubData = gl.bufferSubData.bind(gl) as (...a: unknown[]) => void
    const texImage2D = gl.texImage2D.bind(gl) as (...a: unknown[]) => void
    const texSubImage2D = gl.texSubImage2D.bind(gl) as (...a: unknown[]) => void
    const size = (x: unknown): number => (x && typeof x === 'object' && 'byteLength' in x ? Number(x.byteLength) : 0)
    Object.assign(gl, {
      bufferData: (...a: unknown[]) => {
        stats.bufferUploads++
        stats.bufferBytes += size(a[1])
        bufferData(...a)
      },
      bufferSubData: (...a: unknown[]) => {
        stats.bufferUploads++
        stats.bufferBytes += size(a[2])
        bufferSubData(...a)
      },
      texImage2D: (...a: unknown[]) => {
        stats.textureUploads++
        texImage2D(...a)
      },
      texSubImage2D: (...a: unknown[]) => {
        stats.textureUploads++
        texSubImage2D(...a)
      }
    })
  }

  private readonly onPointerDown = (e: PointerEvent): void => {
    this.down = { x: e.clientX, y: e.clientY }
  }

  private readonly onPointerUp = (e: PointerEvent): void => {
    const d = this.down
    this.down = null
    if (!d || Math.hypot(e.clientX - d.x, e.clientY - d.y) > 4 || e.button !== 0) return
    const r = this.canvas.getBoundingClientRect()
    const p = this.pick(e.clientX - r.left, e.clientY - r.top)
    this.setPicked(p ? { hemi: p.hemi, vertex: p.vertex } : null)
    this.opts.onPick?.(p)
  }

  private readonly onPointerMove = (e: PointerEvent): void => {
    if (e.buttons) return
    const r = this.canvas.getBoundingClientRect()
    this.hoverAt = { x: e.clientX - r.left, y: e.clientY - r.top }
    if (this.hoverRaf || !this.opts.onHover) return
    this.hoverRaf = requestAnimationFrame(() => {
      this.hoverRaf = 0
      if (this.hoverAt) this.opts.onHover?.(this.pick(this.hoverAt.x, this.hoverAt.y))
    })
  }

  private readonly onPointerLeave = (): void => {
    this.hoverAt = null
    this.opts.onHover?.(null)
  }
}

/** T(place) * R(basis rows) * T(-pivot). */
function placement(basis: Basis, pivot: Vec3, place: Vec3): Matrix4 {
  const [r, u, t] = basis
  const R = new Matrix4().set(r[0], r[1], r[2], 0, u[0], u[1], u[2], 0, t[0], t[1], t[2], 0, 0, 0, 0, 1)
  return new Matrix4()
    .makeTranslation(place[0], place[1], place[2])
    .multiply(R)
    .multiply(new Matrix4().makeTranslation(-pivot[0], -pivot[1], -pivot[2]))
}
