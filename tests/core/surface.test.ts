import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNifti } from '../../src-main/formats/nifti'
import { readNpy } from '../../src-main/formats/npy'
import {
  ByteLru,
  SurfaceLibrary,
  type VolumeGrid,
  applyMatrix,
  buildMatrix,
  invert,
  multiply,
  parseLta,
  parseMatrixText,
  parseRegisterDat,
  readCachedMatrix,
  readRegistration,
  surfaceToVoxel,
  templateDir,
  tkrVox2Ras,
  translation,
  valueStats
} from '../../src-main/surface'
import { fixture } from '../fixtures'

/** Independent volume -> surface sampling in numpy (scipy when present), run as `python3 -c`. */
const REFERENCE_PY = String.raw`"""Independent volume -> surface sampling for tests/core/surface.test.ts (numpy; scipy when present).

usage: surface-reference.py <volume.nii[.gz]> <surface.gii.gz> <out.npy>
Writes float64 [2, nVertices]: row 0 nearest (floor(i + 0.5), NaN outside), row 1 trilinear
(scipy.ndimage.map_coordinates order=1 mode='constant' cval=NaN, or the same rule in numpy).
"""
import base64, gzip, re, struct, sys, zlib
import numpy as np


def read_nifti(path):
    raw = gzip.open(path).read() if path.endswith('.gz') else open(path, 'rb').read()
    dim = struct.unpack('<8h', raw[40:56])
    datatype = struct.unpack('<h', raw[70:72])[0]
    vox_offset = int(struct.unpack('<f', raw[108:112])[0])
    slope, inter = struct.unpack('<2f', raw[112:120])
    srow = np.array(struct.unpack('<12f', raw[280:328]), dtype=np.float64).reshape(3, 4)
    aff = np.vstack([srow, [0, 0, 0, 1]])
    dt = {2: 'u1', 4: '<i2', 8: '<i4', 16: '<f4', 64: '<f8'}[datatype]
    shape = dim[1:4]
    data = np.frombuffer(raw, dtype=dt, count=int(np.prod(shape)), offset=vox_offset).astype(np.float64)
    if slope != 0 and np.isfinite(slope):
        data = data * slope + inter
    return data.reshape(shape[::-1]).transpose(2, 1, 0), aff


def read_gifti_points(path):
    txt = (gzip.open(path).read() if path.endswith('.gz') else open(path, 'rb').read()).decode()
    for attrs, body in re.findall(r'<DataArray([^>]*)>(.*?)</DataArray>', txt, re.S):
        if 'POINTSET' in attrs:
            b = zlib.decompress(base64.b64decode(re.search(r'<Data>(.*?)</Data>', body, re.S).group(1).strip()))
            return np.frombuffer(b, '<f4').reshape(-1, 3).astype(np.float64)
    raise SystemExit('no POINTSET')


def trilinear_numpy(vol, ijk):
    n = np.array(vol.shape)[:, None]
    inside = np.all((ijk >= 0) & (ijk <= n - 1), axis=0)
    i0 = np.minimum(np.floor(ijk), n - 2).astype(int)
    f = ijk - i0
    out = np.zeros(ijk.shape[1])
    for c in range(8):
        d = np.array([(c >> a) & 1 for a in range(3)])[:, None]
        w = np.prod(np.where(d == 1, f, 1 - f), axis=0)
        idx = np.clip(i0 + d, 0, n - 1)
        out += w * vol[idx[0], idx[1], idx[2]]
    out[~inside] = np.nan
    return out


vol, aff = read_nifti(sys.argv[1])
xyz = read_gifti_points(sys.argv[2])
ijk = (np.linalg.inv(aff) @ np.c_[xyz, np.ones(len(xyz))].T)[:3]
try:
    from scipy.ndimage import map_coordinates

    tri = map_coordinates(vol, ijk, order=1, mode='constant', cval=np.nan)
    how = 'scipy'
except ImportError:
    tri = trilinear_numpy(vol, ijk)
    how = 'numpy'
r = np.floor(ijk + 0.5).astype(int)
inside = np.all((r >= 0) & (r < np.array(vol.shape)[:, None]), axis=0)
near = np.full(len(xyz), np.nan)
near[inside] = vol[r[0, inside], r[1, inside], r[2, inside]]
np.save(sys.argv[3], np.stack([near, tri]))
print(how)
`

const STAT_MAP = fixture('nifti', 'image_10426.nii.gz')
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-surface-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0
}

/** World -> voxel for a grid, as the test's own float64 arithmetic. */
function voxelOf(grid: VolumeGrid, x: number, y: number, z: number): [number, number, number] {
  const m = invert(grid.affine)
  return [0, 1, 2].map((r) => m[r][0] * x + m[r][1] * y + m[r][2] * z + m[r][3]) as [number, number, number]
}

describe('surface sets', () => {
  const lib = new SurfaceLibrary()

  it('ships fsaverage5 with every kind, measure, aparc and its licence, found from resources/', () => {
    expect(existsSync(join(templateDir(), 'white_left.gii.gz'))).toBe(true)
    const [fs5] = lib.sets()
    expect(fs5).toMatchObject({
      id: 'fsaverage5',
      source: 'template',
      nVertices: { lh: 10242, rh: 10242 },
      kinds: ['pial', 'white', 'inflated', 'sphere', 'flat'],
      measures: ['curv', 'sulc', 'thickness'],
      annotations: ['aparc']
    })
    expect(fs5.licence).toMatch(/LICENSE-FreeSurfer\.rst$/)
  })

  it('loads meshes once (cached) and marks the vertices a flat map does not use', () => {
    const white = lib.mesh('fsaverage5', 'lh', 'white')
    expect(white.nVertices).toBe(10242)
    expect(white.nTriangles).toBe(20480)
    expect(white.unused).toBeNull()
    expect(lib.mesh('fsaverage5', 'lh', 'white')).toBe(white)
    const flatL = lib.mesh('fsaverage5', 'lh', 'flat')
    const flatR = lib.mesh('fsaverage5', 'rh', 'flat')
    expect([flatL.nUnused, flatR.nUnused]).toEqual([777, 705])
    expect(flatL.nTriangles).toBe(18654)
    let sum = 0
    for (const u of flatL.unused!) sum += u
    expect(sum).toBe(777)
    // bounds over used vertices: a flat map is flat
    expect(flatL.bounds.min[2]).toBe(0)
    expect(flatL.bounds.max[2]).toBe(0)
  })

  it('reads shape measures and the fsaverage5 part of the aparc annotation', () => {
    const thick = lib.shape('fsaverage5', 'rh', 'thickness')
    expect(thick.length).toBe(10242)
    const s = valueStats(thick)
    expect(s.min).toBeGreaterThan(-0.01) // nilearn's file has tiny negative thicknesses
    expect(s.max).toBeLessThan(5)
    const aparc = lib.parcellation('fsaverage5', 'lh', 'aparc')
    expect(aparc.labels.length).toBe(10242)
    expect(aparc.table.length).toBe(36)
    expect(aparc.table.map((t) => t.name)).toContain('precentral')
    // the medial wall is "unknown"; the cortex carries the other 35 labels
    const unknown = aparc.table.findIndex((t) => t.name === 'unknown')
    const medial = aparc.labels.filter((l) => l === unknown).length
    expect(medial).toBeGreaterThan(100)
    expect(medial).toBeLessThan(1500)
  })

  it('names unknown sets, kinds and annotations clearly', () => {
    expect(() => lib.set('fsaverage6')).toThrow(/unknown surface set "fsaverage6".*fsaverage5/)
    expect(() => lib.parcellation('fsaverage5', 'lh', 'aparc.a2009s')).toThrow(/no annotation "aparc.a2009s"/)
    expect(() => lib.set('subject:/no/such/folder')).toThrow(/not found/)
  })

  it('opens a FreeSurfer subject folder (164k fsaverage files) by path or registered label', () => {
    const subj = join(dir, 'fsavg')
    mkdirSync(join(subj, 'surf'), { recursive: true })
    mkdirSync(join(subj, 'label'), { recursive: true })
    const surf = fixture('freesurfer', 'brainbrowser.freesurfer-binary-surface.gz')
    for (const h of ['lh', 'rh']) {
      copyFileSync(surf, join(subj, 'surf', `${h}.white`))
      copyFileSync(surf, join(subj, 'surf', `${h}.pial`))
      copyFileSync(fixture('freesurfer', `fsaverage.${h}.curv`), join(subj, 'surf', `${h}.curv`))
      copyFileSync(fixture('freesurfer', `fsaverage.${h}.sulc`), join(subj, 'surf', `${h}.sulc`))
      copyFileSync(fixture('freesurfer', `fsaverage.${h}.aparc.annot`), join(subj, 'label', `${h}.aparc.annot`))
    }
    copyFileSync(fixture('freesurfer', 'fsaverage.lh.thickness'), join(subj, 'surf', 'lh.thickness'))
    const info = lib.registerSubject(subj, 'fsavg')
    expect(info).toMatchObject({
      id: 'subject:fsavg',
      source: 'subject',
      nVertices: { lh: 163842, rh: 163842 },
      kinds: ['pial', 'white'],
      measures: ['curv', 'sulc'], // thickness only on lh: not offered
      annotations: ['aparc']
    })
    expect(lib.sets().map((s) => s.id)).toEqual(['fsaverage5', 'subject:fsavg'])
    expect(lib.info(`subject:${subj}`).id).toBe(`subject:${subj}`)
    expect(lib.parcellation('subject:fsavg', 'rh', 'aparc').labels.length).toBe(163842)
    expect(() => lib.mesh('subject:fsavg', 'lh', 'inflated')).toThrow(/no inflated surface/)
    expect(() => lib.shape('subject:fsavg', 'lh', 'thickness')).toThrow(/no thickness/)
    expect(() => lib.registerSubject(join(dir, 'nothing'))).toThrow(/not found/)
  })

  it('maps FreeSurfer surface coordinates (tkr-RAS) to scanner RAS with a valid c_ras', async () => {
    const raw = gunzipSync(readFileSync(fixture('freesurfer', 'brainbrowser.freesurfer-binary-surface.gz')))
    const text = Buffer.from(raw).toString('latin1')
    const at = text.lastIndexOf('valid = 0')
    const tail = text
      .slice(at)
      .replace('valid = 0', 'valid = 1')
      .replace(/cras {3}= [^\n]*/, 'cras   = 10 -5 3')
    const shifted = join(dir, 'lh.white.cras')
    writeFileSync(shifted, Buffer.concat([Buffer.from(raw.subarray(0, at)), Buffer.from(tail, 'latin1')]))
    const lib = new SurfaceLibrary()
    const plain = fixture('freesurfer', 'brainbrowser.freesurfer-binary-surface.gz')
    expect(lib.surfaceFile(shifted).toWorld![0][3]).toBe(10)
    expect(lib.surfaceFile(plain).toWorld).toBeNull()
    const { header, data } = await readNifti(STAT_MAP)
    const grid = { shape: header.shape, affine: header.affine }
    const withCras = applyMatrix(lib.fileMatrix(shifted, null, grid, { method: 'trilinear' }), data)
    const moved = { shape: grid.shape, affine: multiply(translation(-10, 5, -3), grid.affine) }
    const direct = applyMatrix(lib.fileMatrix(plain, null, moved, { method: 'trilinear' }), data)
    let finite = 0
    for (let v = 0; v < withCras.length; v += 101) {
      if (Number.isNaN(direct[v])) expect(withCras[v]).toBeNaN()
      else {
        finite++
        expect(withCras[v]).toBeCloseTo(direct[v], 4)
      }
    }
    expect(finite).toBeGreaterThan(1000)
  })

  it('times fsaverage (164k) mesh + curv from files to typed arrays', () => {
    const cold = new SurfaceLibrary()
    const t0 = performance.now()
    const m = cold.mesh(`subject:${join(dir, 'fsavg')}`, 'lh', 'white')
    const t1 = performance.now()
    const c = cold.shape(`subject:${join(dir, 'fsavg')}`, 'lh', 'curv')
    const t2 = performance.now()
    expect(m.nVertices).toBe(163842)
    expect(c.length).toBe(163842)
    console.log(`[timing] fsaverage lh white (gz, 164k) ${(t1 - t0).toFixed(1)} ms; lh.curv ${(t2 - t1).toFixed(1)} ms`)
  })
})

describe('sparse volume -> surface matrices', () => {
  it('trilinear weights, NaN outside, and renormalisation over valid (mask, finite) voxels', () => {
    const grid = { shape: [2, 2, 2] as [number, number, number], affine: translation(0, 0, 0) }
    // vertex 0 inside; vertex 1 just beyond the last plane (outside for trilinear, inside for nearest)
    const positions = new Float32Array([0.25, 0.5, 0, 1.2, 0, 0])
    const m = buildMatrix({ method: 'trilinear', shape: grid.shape, toVoxel: grid.affine, positions })
    expect(Array.from(m.rowPtr)).toEqual([0, 4, 4])
    const vol = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) // x fastest
    // at (0.25, 0.5, 0): x-lerp rows y=0: 1.25, y=1: 3.25, then y-lerp 2.25
    expect(applyMatrix(m, vol)[0]).toBeCloseTo(2.25, 6)
    expect(applyMatrix(m, vol)[1]).toBeNaN()
    // mask out voxel (1,1,0): the remaining weights 0.375 (v1), 0.125 (v2), 0.375 (v3) renormalised
    const mask = new Uint8Array([1, 1, 1, 0, 1, 1, 1, 1])
    const expected = (0.375 * 1 + 0.125 * 2 + 0.375 * 3) / 0.875
    expect(applyMatrix(m, vol, mask)[0]).toBeCloseTo(expected, 6)
    // a NaN voxel counts as masked
    const withNaN = vol.slice()
    withNaN[3] = NaN
    expect(applyMatrix(m, withNaN)[0]).toBeCloseTo(expected, 6)
    // every corner invalid: NaN
    expect(applyMatrix(m, vol, new Uint8Array(8))[0]).toBeNaN()
    const near = buildMatrix({ method: 'nearest', shape: grid.shape, toVoxel: grid.affine, positions })
    expect(Array.from(applyMatrix(near, vol))).toEqual([3, 2])
  })

  it('line sampling averages N trilinear samples from white to pial', () => {
    const shape = [4, 1, 1]
    const vol = new Float32Array([0, 10, 20, 30])
    const white = new Float32Array([0, 0, 0])
    const pial = new Float32Array([3, 0, 0])
    const m = buildMatrix({ method: 'line', shape, toVoxel: translation(0, 0, 0), positions: white, outer: pial })
    expect(applyMatrix(m, vol)[0]).toBeCloseTo(15, 5) // mean of a linear ramp
    // half the line outside: the mean of the samples inside
    const far = new Float32Array([6, 0, 0])
    const m2 = buildMatrix({
      method: 'line',
      shape,
      toVoxel: translation(0, 0, 0),
      positions: white,
      outer: far,
      samples: 7
    })
    // samples at 0,1,...,6: inside are 0..3 -> values 0,10,20,30
    expect(applyMatrix(m2, vol)[0]).toBeCloseTo(15, 5)
    expect(() => buildMatrix({ method: 'line', shape, toVoxel: translation(0, 0, 0), positions: white })).toThrow(
      /pial/
    )
  })

  it('reproduces a linear function of world coordinates exactly at every in-volume vertex (oblique grid)', () => {
    const lib = new SurfaceLibrary()
    const white = lib.mesh('fsaverage5', 'lh', 'white')
    // 3.5 x 4 x 3 mm voxels, rotated 12 degrees about z; covers only part of the hemisphere
    const c = Math.cos(0.21)
    const s = Math.sin(0.21)
    const affine = [
      [3.5 * c, -4 * s, 0, -70],
      [3.5 * s, 4 * c, 0, -90],
      [0, 0, 3, -20],
      [0, 0, 0, 1]
    ]
    const grid: VolumeGrid = { shape: [24, 30, 22], affine }
    const f = (x: number, y: number, z: number) => 12.5 + 0.7 * x - 0.3 * y + 1.1 * z
    const [X, Y, Z] = grid.shape
    const vol = new Float32Array(X * Y * Z)
    for (let k = 0; k < Z; k++)
      for (let j = 0; j < Y; j++)
        for (let i = 0; i < X; i++) {
          const w = [0, 1, 2].map((r) => affine[r][0] * i + affine[r][1] * j + affine[r][2] * k + affine[r][3])
          vol[i + X * (j + Y * k)] = f(w[0], w[1], w[2])
        }
    const values = lib.projectVolume('fsaverage5', 'lh', vol, grid, { method: 'trilinear' })
    let inside = 0
    let maxErr = 0
    const p = white.positions
    for (let v = 0; v < white.nVertices; v++) {
      const ijk = voxelOf(grid, p[3 * v], p[3 * v + 1], p[3 * v + 2])
      const isIn = ijk.every((q, a) => q >= 0 && q <= grid.shape[a] - 1)
      if (isIn) {
        inside++
        maxErr = Math.max(maxErr, Math.abs(values[v] - f(p[3 * v], p[3 * v + 1], p[3 * v + 2])))
      } else expect(values[v]).toBeNaN()
    }
    expect(inside).toBeGreaterThan(1000)
    expect(inside).toBeLessThan(white.nVertices) // some vertices fall outside: NaN
    expect(maxErr).toBeLessThan(2e-4) // float32 volume and weights; values span about -100..100
  })

  it.skipIf(!hasPython())(
    'matches an independent numpy/scipy computation on a real stat map (fsaverage5 white, both hemis)',
    async () => {
      const lib = new SurfaceLibrary()
      const { header, data } = await readNifti(STAT_MAP)
      expect(header.shape).toEqual([53, 63, 46])
      const grid = { shape: header.shape, affine: header.affine }
      for (const [hemi, side] of [
        ['lh', 'left'],
        ['rh', 'right']
      ] as const) {
        const out = join(dir, `ref-${hemi}.npy`)
        const r = spawnSync(
          'python3',
          ['-c', REFERENCE_PY, STAT_MAP, join(templateDir(), `white_${side}.gii.gz`), out],
          { encoding: 'utf8' }
        )
        expect(r.status, r.stderr).toBe(0)
        const ref = readNpy(out)
        expect(ref.shape).toEqual([2, 10242])
        const refData = ref.data as Float64Array
        for (const [row, method] of [
          [0, 'nearest'],
          [1, 'trilinear']
        ] as const) {
          const ours = lib.projectVolume('fsaverage5', hemi, data, grid, { method })
          let maxErr = 0
          let nan = 0
          for (let v = 0; v < 10242; v++) {
            const want = refData[row * 10242 + v]
            if (Number.isNaN(want)) {
              expect(ours[v]).toBeNaN()
              nan++
            } else maxErr = Math.max(maxErr, Math.abs(ours[v] - want))
          }
          expect(maxErr, `${hemi} ${method} vs ${r.stdout.trim()}`).toBeLessThan(1e-5)
          expect(nan).toBeLessThan(10242)
        }
      }
    }
  )

  it('caches matrices in memory (same object) and on disk (rebuilt nowhere)', async () => {
    const cacheDir = join(dir, 'cache', 'surface')
    const lib = new SurfaceLibrary()
    const { header } = await readNifti(STAT_MAP)
    const grid = { shape: header.shape, affine: header.affine }
    const a = lib.setMatrix('fsaverage5', 'lh', grid, { method: 'trilinear', cacheDir })
    const b = lib.setMatrix('fsaverage5', 'lh', grid, { method: 'trilinear', cacheDir })
    expect(b).toBe(a)
    expect(lib.matrixStats).toEqual({ built: 1, fromDisk: 0, fromMemory: 1 })
    // another grid, method or surface is another matrix
    expect(lib.setMatrix('fsaverage5', 'lh', grid, { method: 'nearest', cacheDir })).not.toBe(a)
    expect(lib.setMatrix('fsaverage5', 'lh', grid, { method: 'trilinear', surface: 'pial', cacheDir })).not.toBe(a)
    const shifted = { ...grid, affine: multiply(translation(1, 0, 0), grid.affine) }
    expect(lib.setMatrix('fsaverage5', 'lh', shifted, { method: 'trilinear', cacheDir })).not.toBe(a)
    // a fresh process (library) reads the disk copy
    const other = new SurfaceLibrary()
    const c = other.setMatrix('fsaverage5', 'lh', grid, { method: 'trilinear', cacheDir })
    expect(other.matrixStats.fromDisk).toBe(1)
    expect(other.matrixStats.built).toBe(0)
    expect(c).not.toBe(a)
    expect(Array.from(c.rowPtr)).toEqual(Array.from(a.rowPtr))
    expect(Array.from(c.cols)).toEqual(Array.from(a.cols))
    expect(Array.from(c.vals)).toEqual(Array.from(a.vals))
    expect(readCachedMatrix(cacheDir, 'no such key')).toBeNull()
  })

  it('samples at mid-thickness between white and pial when asked', async () => {
    const lib = new SurfaceLibrary()
    const { header, data } = await readNifti(STAT_MAP)
    const grid = { shape: header.shape, affine: header.affine }
    const mid = lib.projectVolume('fsaverage5', 'rh', data, grid, { method: 'trilinear', surface: 'midthickness' })
    const white = lib.projectVolume('fsaverage5', 'rh', data, grid, { method: 'trilinear' })
    const line = lib.projectVolume('fsaverage5', 'rh', data, grid, { method: 'line' })
    expect(mid.length).toBe(10242)
    let differ = 0
    for (let v = 0; v < mid.length; v++) if (Math.abs(mid[v] - white[v]) > 1e-3) differ++
    expect(differ).toBeGreaterThan(1000)
    // the line mean lies between the extremes of what it averages: bounded by the volume's range
    const s = valueStats(line)
    expect(s.finite).toBe(10242)
    expect(s.absMax).toBeLessThanOrEqual(7.95)
  })

  it('times projection of a 53x63x46 volume onto both fsaverage (164k) hemispheres', async () => {
    const lib = new SurfaceLibrary()
    const set = `subject:${join(dir, 'fsavg')}`
    const { header, data } = await readNifti(STAT_MAP)
    const grid = { shape: header.shape, affine: header.affine }
    for (const hemi of ['lh', 'rh'] as const) for (const kind of ['white', 'pial'] as const) lib.mesh(set, hemi, kind)
    for (const method of ['nearest', 'trilinear', 'line'] as const) {
      const t0 = performance.now()
      const ml = lib.setMatrix(set, 'lh', grid, { method })
      const mr = lib.setMatrix(set, 'rh', grid, { method })
      const t1 = performance.now()
      const l = applyMatrix(ml, data)
      const r = applyMatrix(mr, data)
      const t2 = performance.now()
      expect(l.length + r.length).toBe(2 * 163842)
      console.log(
        `[timing] 164k x2 ${method}: build ${(t1 - t0).toFixed(1)} ms (${ml.cols.length + mr.cols.length} nonzeros), apply ${(t2 - t1).toFixed(1)} ms`
      )
    }
  })
})

describe('registrations', () => {
  it('parses 4x4 text matrices (16 or 12 numbers, comments) and rejects others', () => {
    expect(parseMatrixText('# shift\n1 0 0 3\n0 1 0 0\n0 0 1 0\n0 0 0 1\n', 'm.txt')[0][3]).toBe(3)
    expect(parseMatrixText('1 0 0 3 0 1 0 0 0 0 1 0', 'm.txt')[3]).toEqual([0, 0, 0, 1])
    expect(() => parseMatrixText('1 2 3', 'm.txt')).toThrow(/m\.txt: is not a 4x4 matrix: expected 16 numbers.*found 3/)
    expect(() => parseMatrixText('1 0 0 0 0 1 0 0 0 0 1 0 1 0 0 1', 'm.txt')).toThrow(/last row/)
  })

  it('a world registration equals moving the surface', async () => {
    const lib = new SurfaceLibrary()
    const { header, data } = await readNifti(STAT_MAP)
    const grid = { shape: header.shape, affine: header.affine }
    const regFile = join(dir, 'shift.txt')
    writeFileSync(regFile, '1 0 0 4.5\n0 1 0 -2\n0 0 1 1\n0 0 0 1\n')
    const reg = readRegistration(regFile)
    expect(reg.kind).toBe('world')
    const withReg = lib.projectVolume('fsaverage5', 'lh', data, grid, { method: 'trilinear', registration: reg })
    // same as a volume whose affine moved the other way
    const moved = { shape: grid.shape, affine: multiply(translation(-4.5, 2, -1), grid.affine) }
    const direct = lib.projectVolume('fsaverage5', 'lh', data, moved, { method: 'trilinear' })
    for (let v = 0; v < withReg.length; v += 97) expect(withReg[v]).toBeCloseTo(direct[v], 4)
  })

  it('register.dat works in tkr space; LTA ras2ras maps dst -> src', () => {
    const dat = 'bert\n3.0\n3.0\n0.15\n1 0 0 2\n0 1 0 0\n0 0 1 0\n0 0 0 1\nround\n'
    const m = parseRegisterDat(dat, 'register.dat')
    expect(m[0][3]).toBe(2)
    expect(() => parseRegisterDat('bert\n3\n', 'register.dat')).toThrow(/at least 8 lines/)
    const grid = {
      shape: [10, 12, 8],
      affine: [
        [-3, 0, 0, 20],
        [0, 0, 3, -10],
        [0, -3, 0, 30],
        [0, 0, 0, 1]
      ]
    }
    // with the identity, a surface point p lands at tkr voxel inv(tkrVox2Ras) p
    const tv = surfaceToVoxel(grid, { kind: 'tkr', matrix: translation(0, 0, 0), source: 'x' }, null)
    const tkr = tkrVox2Ras(grid.shape, grid.affine)
    const back = multiply(tkr, tv)
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(back[i][j]).toBeCloseTo(i === j ? 1 : 0, 10)
    const geom = (c: string) =>
      `valid = 1  # volume info valid\nfilename = x.nii\nvolume = 10 12 8\nvoxelsize = 3 3 3\nxras = -1 0 0\nyras = 0 0 -1\nzras = 0 1 0\ncras = ${c}\n`
    const lta =
      `# transform file\ntype      = 1 # LINEAR_RAS_TO_RAS\nnxforms   = 1\nmean      = 0.0 0.0 0.0\nsigma     = 1.0\n1 4 4\n` +
      `1 0 0 5\n0 1 0 0\n0 0 1 0\n0 0 0 1\nsrc volume info\n${geom('0 0 0')}dst volume info\n${geom('1 2 3')}`
    const parsed = parseLta(lta, 'reg.lta')
    expect(parsed.dstToSrcWorld[0][3]).toBeCloseTo(-5, 10)
    expect(parsed.dst.affine[1][3]).toBeCloseTo(2 - (3 * 8) / 2, 10)
    const ltaVox = lta.replace('type      = 1', 'type      = 0')
    // vox2vox identity between equal geometries but different c_ras is a pure shift of c_ras
    const vv = parseLta(ltaVox.replace('1 0 0 5', '1 0 0 0'), 'reg.lta')
    expect(vv.dstToSrcWorld[0][3]).toBeCloseTo(-1, 10)
    expect(vv.dstToSrcWorld[2][3]).toBeCloseTo(-3, 10)
    expect(() => parseLta('type = 7\n', 'reg.lta')).toThrow(/not supported/)
  })
})

describe('byte LRU', () => {
  it('evicts the least recently used entries beyond its budget', () => {
    const lru = new ByteLru<Float32Array>(100, (a) => a.byteLength)
    lru.set('a', new Float32Array(10))
    lru.set('b', new Float32Array(10))
    lru.get('a')
    lru.set('c', new Float32Array(10)) // 120 bytes > 100: b goes
    expect(lru.get('b')).toBeUndefined()
    expect(lru.get('a')).toBeDefined()
    expect(lru.bytes).toBe(80)
    const big = new Float32Array(100)
    expect(lru.set('big', big)).toBe(big)
    expect(lru.get('big')).toBeUndefined()
  })
})
