/**
 * NIfTI orientation maths: qform quaternion <-> affine, sform rows, and the standard choice between them.
 *
 * Follows nifti1_io.c (`nifti_quatern_to_mat44`, `nifti_mat44_to_quatern`) and nibabel: the rotation of
 * an affine with shear or non-orthogonal columns is the nearest orthogonal matrix (polar decomposition).
 */
import type { Mat4, NiftiQuaternion } from './types'

export function identity4(): Mat4 {
  return [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
}

/** Affine from the qform fields. `pixdim` is pixdim[1..3]; non-positive spacings read as their absolute value (0 as 1). */
export function quaternionToAffine(q: NiftiQuaternion, pixdim: [number, number, number]): Mat4 {
  let { b, c, d } = q
  let a: number
  const w2 = 1 - (b * b + c * c + d * d)
  if (w2 > 0) {
    a = Math.sqrt(w2)
  } else {
    // Float32 storage can push |(b,c,d)| a hair over 1: a 180-degree rotation; normalise (b,c,d).
    const n = Math.sqrt(b * b + c * c + d * d)
    a = 0
    b /= n
    c /= n
    d /= n
  }
  const [dx, dy, dz0] = pixdim.map((v) => (v === 0 || !Number.isFinite(v) ? 1 : Math.abs(v)))
  const dz = dz0 * (q.qfac < 0 ? -1 : 1)
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b]
  ]
  const off = [q.qx, q.qy, q.qz]
  const m = identity4()
  for (let i = 0; i < 3; i++) {
    m[i][0] = r[i][0] * dx
    m[i][1] = r[i][1] * dy
    m[i][2] = r[i][2] * dz
    m[i][3] = off[i]
  }
  return m
}

export function srowToAffine(srow: [number[], number[], number[]]): Mat4 {
  return [[...srow[0]], [...srow[1]], [...srow[2]], [0, 0, 0, 1]]
}

function det3(m: number[][]): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  )
}

function inverseTranspose3(m: number[][]): number[][] {
  const det = det3(m)
  // cofactor matrix / det is the inverse transpose
  const c = [
    [
      m[1][1] * m[2][2] - m[1][2] * m[2][1],
      -(m[1][0] * m[2][2] - m[1][2] * m[2][0]),
      m[1][0] * m[2][1] - m[1][1] * m[2][0]
    ],
    [
      -(m[0][1] * m[2][2] - m[0][2] * m[2][1]),
      m[0][0] * m[2][2] - m[0][2] * m[2][0],
      -(m[0][0] * m[2][1] - m[0][1] * m[2][0])
    ],
    [
      m[0][1] * m[1][2] - m[0][2] * m[1][1],
      -(m[0][0] * m[1][2] - m[0][2] * m[1][0]),
      m[0][0] * m[1][1] - m[0][1] * m[1][0]
    ]
  ]
  return c.map((row) => row.map((v) => v / det))
}

/** Nearest orthogonal matrix (polar decomposition by Newton iteration Q <- (Q + Q^-T) / 2). */
function polarOrthogonal(m: number[][]): number[][] {
  let q = m.map((r) => [...r])
  for (let iter = 0; iter < 100; iter++) {
    const it = inverseTranspose3(q)
    const next = q.map((row, i) => row.map((v, j) => 0.5 * (v + it[i][j])))
    let diff = 0
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) diff = Math.max(diff, Math.abs(next[i][j] - q[i][j]))
    q = next
    if (diff < 1e-15) break
  }
  return q
}

/**
 * Quaternion, spacing and qfac for an affine (nifti_mat44_to_quatern). The spacing is the column norms;
 * a left-handed affine gets qfac -1 with the third column flipped.
 */
export function affineToQuaternion(affine: Mat4): { quaternion: NiftiQuaternion; pixdim: [number, number, number] } {
  const cols = [0, 1, 2].map((j) => [affine[0][j], affine[1][j], affine[2][j]])
  const zooms = cols.map((c) => Math.hypot(c[0], c[1], c[2])) as [number, number, number]
  // Normalised columns (a zero column becomes the matching unit axis, as nifti1_io does).
  const r: number[][] = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0]
  ]
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 3; i++) r[i][j] = zooms[j] > 0 ? cols[j][i] / zooms[j] : i === j ? 1 : 0
    if (zooms[j] === 0) zooms[j] = 1
  }
  let qfac = 1
  if (det3(r) < 0) {
    qfac = -1
    for (let i = 0; i < 3; i++) r[i][2] = -r[i][2]
  }
  const q = polarOrthogonal(r)
  // rotation matrix -> quaternion (a >= 0)
  const trace = q[0][0] + q[1][1] + q[2][2]
  let a: number, b: number, c: number, d: number
  if (trace + 1 > 0.5) {
    a = 0.5 * Math.sqrt(1 + trace)
    b = (0.25 * (q[2][1] - q[1][2])) / a
    c = (0.25 * (q[0][2] - q[2][0])) / a
    d = (0.25 * (q[1][0] - q[0][1])) / a
  } else {
    const xd = 1 + q[0][0] - (q[1][1] + q[2][2])
    const yd = 1 + q[1][1] - (q[0][0] + q[2][2])
    const zd = 1 + q[2][2] - (q[0][0] + q[1][1])
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd)
      c = (0.25 * (q[0][1] + q[1][0])) / b
      d = (0.25 * (q[0][2] + q[2][0])) / b
      a = (0.25 * (q[2][1] - q[1][2])) / b
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd)
      b = (0.25 * (q[0][1] + q[1][0])) / c
      d = (0.25 * (q[1][2] + q[2][1])) / c
      a = (0.25 * (q[0][2] - q[2][0])) / c
    } else {
      d = 0.5 * Math.sqrt(zd)
      b = (0.25 * (q[0][2] + q[2][0])) / d
      c = (0.25 * (q[1][2] + q[2][1])) / d
      a = (0.25 * (q[1][0] - q[0][1])) / d
    }
    if (a < 0) {
      b = -b
      c = -c
      d = -d
    }
  }
  return {
    quaternion: { b, c, d, qx: affine[0][3], qy: affine[1][3], qz: affine[2][3], qfac },
    pixdim: zooms
  }
}

/** The standard preference: sform if sform_code > 0, else qform if qform_code > 0, else the pixdim diagonal. */
export function chooseAffine(
  sform: Mat4 | null,
  qform: Mat4 | null,
  pixdim: [number, number, number]
): { affine: Mat4; source: 'sform' | 'qform' | 'pixdim' } {
  if (sform) return { affine: sform, source: 'sform' }
  if (qform) return { affine: qform, source: 'qform' }
  const m = identity4()
  for (let i = 0; i < 3; i++) m[i][i] = pixdim[i] === 0 || !Number.isFinite(pixdim[i]) ? 1 : Math.abs(pixdim[i])
  return { affine: m, source: 'pixdim' }
}
