/**
 * Typed-array geometry helpers for the cortex viewer: vertex normals, bounds, and the placement of a
 * flat map so it morphs in place from the inflated surface. No per-vertex JS objects anywhere: a
 * 163,842-vertex hemisphere is a handful of Float32Array passes.
 */

export type Vec3 = [number, number, number]
export interface Bounds {
  min: Vec3
  max: Vec3
}

/** Area-weighted vertex normals of an indexed triangle mesh (unit length; zero where no triangle). */
export function vertexNormals(pos: Float32Array, tri: Uint32Array, out?: Float32Array): Float32Array {
  const n = out ?? new Float32Array(pos.length)
  n.fill(0)
  for (let t = 0; t < tri.length; t += 3) {
    const a = 3 * tri[t]!
    const b = 3 * tri[t + 1]!
    const c = 3 * tri[t + 2]!
    const ux = pos[b]! - pos[a]!
    const uy = pos[b + 1]! - pos[a + 1]!
    const uz = pos[b + 2]! - pos[a + 2]!
    const vx = pos[c]! - pos[a]!
    const vy = pos[c + 1]! - pos[a + 1]!
    const vz = pos[c + 2]! - pos[a + 2]!
    const nx = uy * vz - uz * vy
    const ny = uz * vx - ux * vz
    const nz = ux * vy - uy * vx
    n[a] = n[a]! + nx
    n[a + 1] = n[a + 1]! + ny
    n[a + 2] = n[a + 2]! + nz
    n[b] = n[b]! + nx
    n[b + 1] = n[b + 1]! + ny
    n[b + 2] = n[b + 2]! + nz
    n[c] = n[c]! + nx
    n[c + 1] = n[c + 1]! + ny
    n[c + 2] = n[c + 2]! + nz
  }
  for (let i = 0; i < n.length; i += 3) {
    const l = Math.hypot(n[i]!, n[i + 1]!, n[i + 2]!)
    if (l > 0) {
      n[i] = n[i]! / l
      n[i + 1] = n[i + 1]! / l
      n[i + 2] = n[i + 2]! / l
    }
  }
  return n
}

/** Bounds over the vertices in use (all when `unused` is null). */
export function boundsOf(pos: Float32Array, unused: Uint8Array | null): Bounds {
  const min: Vec3 = [Infinity, Infinity, Infinity]
  const max: Vec3 = [-Infinity, -Infinity, -Infinity]
  const nv = pos.length / 3
  for (let i = 0; i < nv; i++) {
    if (unused && unused[i]) continue
    for (let a = 0; a < 3; a++) {
      const v = pos[3 * i + a]!
      if (v < min[a]!) min[a] = v
      if (v > max[a]!) max[a] = v
    }
  }
  if (!Number.isFinite(min[0])) return { min: [0, 0, 0], max: [0, 0, 0] }
  return { min, max }
}

/** Marks vertices no triangle uses. */
export function unusedVertices(nVertices: number, tri: Uint32Array): Uint8Array {
  const used = new Uint8Array(nVertices)
  for (let t = 0; t < tri.length; t++) used[tri[t]!] = 1
  for (let i = 0; i < nVertices; i++) used[i] = used[i] ? 0 : 1
  return used
}

/**
 * Places a flat map (its vertices in a plane, any in-plane orientation) in the brain frame so that it
 * faces the hemisphere's lateral side, anterior and superior where the reference surface has them:
 * the best in-plane rotation or reflection (2x2 Procrustes) from flat (x, y) onto the reference's
 * (y, z), the plane put at the reference's centre in x. A lateral view then looks straight at the flat
 * map, and the morph from inflated to flat unfolds in place.
 *
 * Vertices unused by the flat map keep the reference position (no triangle of the flat map uses them).
 */
export function placeFlat(flat: Float32Array, unused: Uint8Array | null, ref: Float32Array): Float32Array {
  const nv = flat.length / 3
  let fx = 0
  let fy = 0
  let ry = 0
  let rz = 0
  let rx = 0
  let k = 0
  for (let i = 0; i < nv; i++) {
    if (unused && unused[i]) continue
    fx += flat[3 * i]!
    fy += flat[3 * i + 1]!
    rx += ref[3 * i]!
    ry += ref[3 * i + 1]!
    rz += ref[3 * i + 2]!
    k++
  }
  if (k === 0) return ref.slice()
  fx /= k
  fy /= k
  rx /= k
  ry /= k
  rz /= k
  // Cross-covariance C[i][j] = sum ref_i * flat_j (ref axes y,z; flat axes x,y).
  let c00 = 0
  let c01 = 0
  let c10 = 0
  let c11 = 0
  for (let i = 0; i < nv; i++) {
    if (unused && unused[i]) continue
    const a = flat[3 * i]! - fx
    const b = flat[3 * i + 1]! - fy
    const p = ref[3 * i + 1]! - ry
    const q = ref[3 * i + 2]! - rz
    c00 += p * a
    c01 += p * b
    c10 += q * a
    c11 += q * b
  }
  // Best rotation [[c,-s],[s,c]] and best reflection [[c,s],[s,-c]]; keep the one that agrees more.
  const th = Math.atan2(c10 - c01, c00 + c11)
  const rot = Math.cos(th) * (c00 + c11) + Math.sin(th) * (c10 - c01)
  const ph = Math.atan2(c10 + c01, c00 - c11)
  const refl = Math.cos(ph) * (c00 - c11) + Math.sin(ph) * (c10 + c01)
  let m00: number, m01: number, m10: number, m11: number
  if (rot >= refl) {
    m00 = Math.cos(th)
    m01 = -Math.sin(th)
    m10 = Math.sin(th)
    m11 = Math.cos(th)
  } else {
    m00 = Math.cos(ph)
    m01 = Math.sin(ph)
    m10 = Math.sin(ph)
    m11 = -Math.cos(ph)
  }
  const out = new Float32Array(flat.length)
  for (let i = 0; i < nv; i++) {
    if (unused && unused[i]) {
      out[3 * i] = ref[3 * i]!
      out[3 * i + 1] = ref[3 * i + 1]!
      out[3 * i + 2] = ref[3 * i + 2]!
      continue
    }
    const a = flat[3 * i]! - fx
    const b = flat[3 * i + 1]! - fy
    out[3 * i] = rx
    out[3 * i + 1] = ry + m00 * a + m01 * b
    out[3 * i + 2] = rz + m10 * a + m11 * b
  }
  return out
}

/** Robust scale of a shape measure (98th percentile of |x| over a sample), for curvature shading. */
export function robustAbsScale(x: Float32Array, q = 0.98): number {
  const step = Math.max(1, Math.floor(x.length / 20000))
  const s: number[] = []
  for (let i = 0; i < x.length; i += step) {
    const v = Math.abs(x[i]!)
    if (Number.isFinite(v)) s.push(v)
  }
  if (!s.length) return 1
  s.sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]! || 1
}
