/**
 * 4x4 affine maths for volume -> surface mapping (row-major `number[][]`, float64), and the
 * registrations a lab hands us: a plain 4x4 text matrix, FreeSurfer `register.dat` (tkregister) and
 * LTA files.
 */
import { readFileSync } from 'node:fs'
import { B2mError } from '../common/errors'
import type { Mat4 } from '../formats/nifti'

export function identity(): Mat4 {
  return [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
}

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out: Mat4 = [[], [], [], []]
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) {
      let s = 0
      for (let k = 0; k < 4; k++) s += a[i][k] * b[k][j]
      out[i][j] = s
    }
  return out
}

/** Inverse by Gauss-Jordan with partial pivoting; a singular matrix is an error naming `what`. */
export function invert(m: Mat4, what = 'matrix', file?: string): Mat4 {
  const a = m.map((r, i) => [...r, ...[0, 1, 2, 3].map((j) => (i === j ? 1 : 0))])
  for (let c = 0; c < 4; c++) {
    let p = c
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r
    if (!(Math.abs(a[p][c]) > 1e-12)) throw new B2mError('bad_request', `${what} is singular (not invertible)`, file)
    ;[a[c], a[p]] = [a[p], a[c]]
    const piv = a[c][c]
    for (let j = 0; j < 8; j++) a[c][j] /= piv
    for (let r = 0; r < 4; r++) {
      if (r === c) continue
      const f = a[r][c]
      if (f !== 0) for (let j = 0; j < 8; j++) a[r][j] -= f * a[c][j]
    }
  }
  return a.map((r) => r.slice(4))
}

export function translation(x: number, y: number, z: number): Mat4 {
  const m = identity()
  m[0][3] = x
  m[1][3] = y
  m[2][3] = z
  return m
}

export function isMat4(m: unknown): m is Mat4 {
  return (
    Array.isArray(m) &&
    m.length === 4 &&
    m.every((r) => Array.isArray(r) && r.length === 4 && r.every((v) => typeof v === 'number' && Number.isFinite(v)))
  )
}

/**
 * FreeSurfer's "tkregister" vox2ras of a volume: the surface-RAS convention (centre of the volume at
 * the origin) that `register.dat` matrices are written against.
 */
export function tkrVox2Ras(shape: readonly number[], affine: Mat4): Mat4 {
  const d = [0, 1, 2].map((j) => Math.hypot(affine[0][j], affine[1][j], affine[2][j]))
  const [nx, ny, nz] = shape
  return [
    [-d[0], 0, 0, (d[0] * nx) / 2],
    [0, 0, d[2], (-d[2] * nz) / 2],
    [0, -d[1], 0, (d[1] * ny) / 2],
    [0, 0, 0, 1]
  ]
}

function numbersOf(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map(Number)
}

/**
 * A registration, applied to surface coordinates before the volume is sampled.
 * * `world`: surface mm -> the volume's world mm (then the volume's own affine gives voxels);
 * * `tkr`: surface tkr-RAS -> the volume's tkr-RAS (register.dat), then the volume's tkr vox2ras.
 */
export interface Registration {
  kind: 'world' | 'tkr'
  matrix: Mat4
  source: string
}

/** Plain text: 16 numbers (4x4 row-major), or 12 (the first three rows); `#` comments allowed. */
export function parseMatrixText(text: string, file: string): Mat4 {
  const nums = numbersOf(text.replace(/#[^\n]*/g, ''))
  if ((nums.length !== 16 && nums.length !== 12) || nums.some((v) => !Number.isFinite(v))) {
    throw new B2mError(
      'bad_request',
      `is not a 4x4 matrix: expected 16 numbers (or 12: three rows), found ${nums.length} tokens${
        nums.some((v) => !Number.isFinite(v)) ? ' including non-numbers' : ''
      }`,
      file
    )
  }
  const m: Mat4 = [0, 1, 2].map((i) => nums.slice(4 * i, 4 * i + 4))
  m.push(nums.length === 16 ? nums.slice(12, 16) : [0, 0, 0, 1])
  const last = m[3]
  if (last[0] !== 0 || last[1] !== 0 || last[2] !== 0 || last[3] === 0) {
    throw new B2mError('bad_request', `last row of the matrix must be 0 0 0 w (w != 0), got ${last.join(' ')}`, file)
  }
  return m
}

/** FreeSurfer tkregister `register.dat`: subject, in-plane mm, slice mm, intensity, 4x4, [round|tkregister]. */
export function parseRegisterDat(text: string, file: string): Mat4 {
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  const body = lines.filter((l) => l !== '')
  if (body.length < 8) {
    throw new B2mError(
      'bad_request',
      `register.dat needs at least 8 lines (subject, 3 numbers, 4 rows), has ${body.length}`,
      file
    )
  }
  const m = [4, 5, 6, 7].map((i) => numbersOf(body[i]))
  if (!isMat4(m)) throw new B2mError('bad_request', 'register.dat lines 5-8 must hold a 4x4 matrix', file)
  return m
}

interface LtaGeometry {
  valid: boolean
  shape: [number, number, number]
  affine: Mat4
}

function ltaGeometry(lines: string[], at: number, file: string): LtaGeometry {
  const get = (key: string): string | undefined => {
    for (let i = at; i < Math.min(lines.length, at + 12); i++) {
      const m = /^(\w+)\s*=\s*(.*)$/.exec(lines[i])
      if (m && m[1] === key) return m[2].replace(/#.*/, '').trim()
    }
    return undefined
  }
  const need = (key: string) => {
    const v = get(key)
    if (v === undefined) throw new B2mError('bad_request', `LTA volume geometry lacks "${key}"`, file)
    return numbersOf(v)
  }
  const valid = /^1/.test(get('valid') ?? '0')
  const shape = need('volume') as [number, number, number]
  const vs = need('voxelsize')
  const x = need('xras')
  const y = need('yras')
  const z = need('zras')
  const c = need('cras')
  const rot = [x, y, z]
  const affine: Mat4 = [0, 1, 2].map((i) => [rot[0][i] * vs[0], rot[1][i] * vs[1], rot[2][i] * vs[2], 0])
  affine.push([0, 0, 0, 1])
  // cras is the world position of the volume centre (voxel n/2)
  for (let i = 0; i < 3; i++) {
    affine[i][3] = c[i] - (affine[i][0] * shape[0] + affine[i][1] * shape[1] + affine[i][2] * shape[2]) / 2
  }
  return { valid, shape, affine }
}

/**
 * A FreeSurfer LTA as a world -> world (scanner RAS) matrix from its `dst` space to its `src` space, which
 * is the direction sampling needs when the surface lives in `dst` (bbregister writes mov=src -> ref=dst).
 * LINEAR_VOX_TO_VOX (type 0) is converted with the src/dst geometries.
 */
export function parseLta(text: string, file: string): { dstToSrcWorld: Mat4; dst: LtaGeometry; src: LtaGeometry } {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const typeLine = lines.find((l) => /^type\s*=/.test(l))
  const type = typeLine ? Number(typeLine.split('=')[1].trim().split(/\s+/)[0]) : NaN
  if (type !== 0 && type !== 1) {
    throw new B2mError(
      'bad_request',
      `LTA type ${typeLine ?? '(missing)'} is not supported (0 = vox2vox, 1 = ras2ras)`,
      file
    )
  }
  const nxf = lines.findIndex((l) => /^nxforms\s*=/.test(l))
  // after nxforms: mean, sigma, then "1 4 4" and the 4 rows of the first transform
  const dims = nxf < 0 ? -1 : lines.findIndex((l, i) => i > nxf && /^\d+\s+4\s+4$/.test(l))
  if (dims < 0) throw new B2mError('bad_request', 'LTA lacks "nxforms" and the "1 4 4" matrix header', file)
  const m = [1, 2, 3, 4].map((k) => numbersOf(lines[dims + k] ?? ''))
  if (!isMat4(m)) throw new B2mError('bad_request', 'LTA matrix is not 4x4 numbers', file)
  const srcAt = lines.findIndex((l) => l.startsWith('src volume info'))
  const dstAt = lines.findIndex((l) => l.startsWith('dst volume info'))
  if (srcAt < 0 || dstAt < 0) throw new B2mError('bad_request', 'LTA lacks its src/dst volume info', file)
  const src = ltaGeometry(lines, srcAt + 1, file)
  const dst = ltaGeometry(lines, dstAt + 1, file)
  // m maps src -> dst; for type 0 in voxels, for type 1 in world mm.
  const srcToDstWorld = type === 1 ? m : multiply(dst.affine, multiply(m, invert(src.affine, 'LTA src geometry', file)))
  return { dstToSrcWorld: invert(srcToDstWorld, 'LTA matrix', file), dst, src }
}

/**
 * Reads a registration file: `.lta` (world, dst -> src), `register.dat`/`.dat` (tkr), anything else a
 * plain 4x4 text matrix (surface mm -> volume world mm).
 */
export function readRegistration(path: string): Registration {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new B2mError(code === 'ENOENT' ? 'not_found' : 'bad_request', 'cannot read registration file', path)
  }
  const lower = path.toLowerCase()
  if (lower.endsWith('.lta')) return { kind: 'world', matrix: parseLta(text, path).dstToSrcWorld, source: path }
  if (lower.endsWith('.dat')) return { kind: 'tkr', matrix: parseRegisterDat(text, path), source: path }
  return { kind: 'world', matrix: parseMatrixText(text, path), source: path }
}

/**
 * The matrix taking surface coordinates to (continuous, 0-based) voxel indices of a volume:
 * `surfaceToWorld` first (e.g. FreeSurfer's tkr -> scanner `cras` shift), then the registration, then the
 * inverse of the volume's affine (or of its tkr vox2ras for a register.dat).
 */
export function surfaceToVoxel(
  grid: { shape: readonly number[]; affine: Mat4 },
  registration: Registration | null,
  surfaceToWorld: Mat4 | null,
  file?: string
): Mat4 {
  if (registration?.kind === 'tkr') {
    // register.dat works in tkr space on both sides: surface coordinates are already tkr-RAS.
    return multiply(invert(tkrVox2Ras(grid.shape, grid.affine), 'volume tkr vox2ras', file), registration.matrix)
  }
  let m = invert(grid.affine, 'volume affine', file)
  if (registration) m = multiply(m, registration.matrix)
  if (surfaceToWorld) m = multiply(m, surfaceToWorld)
  return m
}
