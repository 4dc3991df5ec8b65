import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import { dispatch } from '../../src-main/api/dispatch'
import { decodePayload, encodePayload } from '../../src-main/api/payload'
import { readNifti } from '../../src-main/formats/nifti'
import { readNpy, writeNpy } from '../../src-main/formats/npy'
import { surfaceLibrary } from '../../src-main/surface'
import type { ArrayPayload, MapInfo, ProjectedMap, SurfaceMesh, SurfaceSetInfo } from '../../src-preload/api'
import { fixture } from '../fixtures'
import { coreCalls } from '../helpers/core'

const root = resolve(__dirname, '..', '..')
const STAT_MAP = fixture('nifti', 'image_10426.nii.gz')
let dir: string
let core: Core

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (method: string, params: unknown): Promise<any> => dispatch(core, method, params)
const { rejects } = coreCalls(() => core)

function f32(p: ArrayPayload): Float32Array {
  expect(p.dtype).toBe('float32')
  return decodePayload(p) as Float32Array
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-cortex-'))
  core = Core.open(join(dir, 'ws'), { face: 'browser', runJobs: false })
})

afterAll(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('array payloads', () => {
  it('round-trip every dtype as little-endian base64 with the shape', () => {
    const a = new Float32Array([1.5, -2, NaN, 3e-7])
    const p = encodePayload(a, [2, 2])
    expect(p).toMatchObject({ dtype: 'float32', shape: [2, 2] })
    expect(Buffer.from(p.base64, 'base64').readFloatLE(4)).toBe(-2)
    expect(Array.from(decodePayload(p))).toEqual(Array.from(a))
    for (const arr of [
      new Uint32Array([1, 2 ** 32 - 1]),
      new Int32Array([-5]),
      new Uint8Array([7]),
      new Int16Array([-3])
    ])
      expect(Array.from(decodePayload(encodePayload(arr)))).toEqual(Array.from(arr))
    expect(() => decodePayload({ dtype: 'float32', shape: [3], base64: 'AAAA' })).toThrow(/needs 12 bytes, has 3/)
  })
})

describe('cortex API through dispatch', () => {
  it('surface.sets lists fsaverage5', async () => {
    const sets: SurfaceSetInfo[] = await call('surface.sets', {})
    expect(sets[0]).toMatchObject({ id: 'fsaverage5', nVertices: { lh: 10242, rh: 10242 } })
    expect(await call('surface.sets', undefined)).toEqual(sets)
  })

  it('surface.mesh returns positions, triangles, unused and bounds', async () => {
    const m: SurfaceMesh = await call('surface.mesh', { set: 'fsaverage5', hemi: 'rh', kind: 'inflated' })
    expect(m.positions).toMatchObject({ dtype: 'float32', shape: [10242, 3] })
    expect(m.triangles).toMatchObject({ dtype: 'uint32', shape: [20480, 3] })
    expect(m.unused).toBeNull()
    const tris = decodePayload(m.triangles) as Uint32Array
    expect(Math.max(...tris)).toBe(10241)
    const pos = f32(m.positions)
    expect(pos[0]).toBe(surfaceLibrary().mesh('fsaverage5', 'rh', 'inflated').positions[0])
    expect(m.bounds.min[0]).toBeLessThan(m.bounds.max[0])
    const flat: SurfaceMesh = await call('surface.mesh', { set: 'fsaverage5', hemi: 'lh', kind: 'flat' })
    const unused = decodePayload(flat.unused!) as Uint8Array
    expect(unused.reduce((s, u) => s + u, 0)).toBe(777)
  })

  it('surface.shape and surface.parcellation', async () => {
    const s = await call('surface.shape', { set: 'fsaverage5', hemi: 'lh', measure: 'sulc' })
    expect(f32(s.values).length).toBe(10242)
    const p = await call('surface.parcellation', { set: 'fsaverage5', hemi: 'lh' })
    expect(p.name).toBe('aparc')
    expect(p.labels.dtype).toBe('int32')
    expect(p.table[0].rgba).toHaveLength(4)
    const labels = decodePayload(p.labels) as Int32Array
    expect(labels.length).toBe(10242)
    expect(Math.max(...labels)).toBeLessThan(p.table.length)
  })

  it('rejects bad parameters and unknown sets with clear errors', async () => {
    expect((await rejects('surface.mesh', { set: 'fsaverage5', hemi: 'xx', kind: 'white' })).code).toBe('bad_request')
    const e = await rejects('surface.mesh', { set: 'nope', hemi: 'lh', kind: 'white' })
    expect(e.code).toBe('not_found')
    expect(e.message).toMatch(/unknown surface set "nope"/)
  })

  let volumeMap: MapInfo
  it('maps.add registers a NIfTI volume (float32 .npy in the workspace, grid in the catalogue)', async () => {
    volumeMap = await call('maps.add', { path: STAT_MAP, name: 'button press' })
    expect(volumeMap).toMatchObject({ name: 'button press', kind: 'volume', sourcePath: STAT_MAP, surfaceSet: null })
    const rec = core.workspace.catalogue.maps.get(volumeMap.id)!
    expect(rec.grid!.shape).toEqual([53, 63, 46])
    const arr = core.workspace.readArray(rec.arrayId!, { verify: true })
    expect(arr).toMatchObject({ dtype: 'float32', shape: [46, 63, 53] })
    const { data } = await readNifti(STAT_MAP)
    expect(Array.from(arr.data.subarray(0, 5000))).toEqual(Array.from(data.subarray(0, 5000)))
    const list: MapInfo[] = await call('maps.list', {})
    expect(list.map((m) => m.id)).toContain(volumeMap.id)
  })

  it('maps.project samples a volume map onto both hemispheres, with stats', async () => {
    const r: ProjectedMap = await call('maps.project', { mapId: volumeMap.id, set: 'fsaverage5', method: 'nearest' })
    expect(r).toMatchObject({ mapId: volumeMap.id, set: 'fsaverage5', method: 'nearest' })
    const lh = f32(r.lh)
    const rh = f32(r.rh)
    expect(lh.length).toBe(10242)
    expect(r.stats.finite + r.stats.nan).toBe(20484)
    let min = Infinity
    for (const v of [...lh, ...rh]) if (Number.isFinite(v)) min = Math.min(min, v)
    expect(r.stats.min).toBe(min)
    expect(r.stats.absMax).toBeGreaterThanOrEqual(Math.abs(min))
    // the default is trilinear at white; line is accepted; display surfaces are not sampled
    const tri: ProjectedMap = await call('maps.project', { mapId: volumeMap.id, set: 'fsaverage5' })
    expect(tri.method).toBe('trilinear')
    const line: ProjectedMap = await call('maps.project', { mapId: volumeMap.id, set: 'fsaverage5', method: 'line' })
    expect(line.stats.finite).toBeGreaterThan(20000)
    const e = await rejects('maps.project', { mapId: volumeMap.id, set: 'fsaverage5', surface: 'inflated' })
    expect(e.message).toMatch(/white or pial/)
    expect((await rejects('maps.project', { mapId: 9999, set: 'fsaverage5' })).code).toBe('not_found')
  })

  it('maps.add/project round-trips per-vertex values (.npy lh+rh; one-hemisphere GIfTI)', async () => {
    const values = new Float32Array(20484)
    for (let i = 0; i < values.length; i++) values[i] = i % 7 === 0 ? NaN : Math.sin(i)
    const npy = join(dir, 'both.npy')
    writeNpy(npy, { dtype: 'float32', shape: [20484], data: values })
    const m: MapInfo = await call('maps.add', { path: npy })
    expect(m).toMatchObject({ kind: 'surface', surfaceSet: 'fsaverage5', name: 'both' })
    const r: ProjectedMap = await call('maps.project', { mapId: m.id, set: 'fsaverage5' })
    expect(Array.from(f32(r.lh))).toEqual(Array.from(values.subarray(0, 10242)))
    expect(Array.from(f32(r.rh))).toEqual(Array.from(values.subarray(10242)))
    expect(r.stats.nan).toBe(Math.ceil(20484 / 7))

    // a per-hemisphere GIfTI shape file: the side comes from its name
    const gii = join(dir, 'thick_right.gii.gz')
    copyFileSync(fixture('fsaverage5', 'thick_right.gii.gz'), gii)
    const g: MapInfo = await call('maps.add', { path: gii, surfaceSet: 'fsaverage5' })
    const gr: ProjectedMap = await call('maps.project', { mapId: g.id, set: 'fsaverage5' })
    expect(f32(gr.lh).every((v) => Number.isNaN(v))).toBe(true)
    expect(Array.from(f32(gr.rh))).toEqual(Array.from(surfaceLibrary().shape('fsaverage5', 'rh', 'thickness')))
  })

  it('vertex-count mismatches name both counts; missing and bad files are clear errors', async () => {
    const npy = join(dir, 'odd.npy')
    writeNpy(npy, { dtype: 'float32', shape: [5000], data: new Float32Array(5000) })
    const e = await rejects('maps.add', { path: npy, surfaceSet: 'fsaverage5' })
    expect(e.message).toMatch(
      /vertex-count mismatch: the file has 5000 values but fsaverage5 has 10242 \(lh\) \+ 10242 \(rh\) = 20484/
    )
    expect(e.file).toBe(npy)
    // without a set, values that fit none are kept, and projecting them names both counts
    const loose: MapInfo = await call('maps.add', { path: npy })
    expect(loose.surfaceSet).toBeNull()
    const p = await rejects('maps.project', { mapId: loose.id, set: 'fsaverage5' })
    expect(p.message).toMatch(/has 5000 values but fsaverage5 has 10242 \(lh\) \+ 10242 \(rh\) = 20484 vertices/)

    const missing = await rejects('maps.add', { path: join(dir, 'nope.nii.gz') })
    expect(missing.code).toBe('not_found')
    expect(missing.message).toMatch(/nope\.nii\.gz/)
    const bad = join(dir, 'bad.nii')
    writeFileSync(bad, 'not a nifti at all, just text that is long enough to look like a header '.repeat(8))
    const b = await rejects('maps.add', { path: bad })
    expect(b.message).toMatch(/bad\.nii/)
    const four = await rejects('maps.add', { path: fixture('nifti', 'example4d.nii.gz') })
    expect(four.message).toMatch(/2 volumes/)
    const txt = join(dir, 'values.txt')
    writeFileSync(txt, '1 2 3')
    expect((await rejects('maps.add', { path: txt })).message).toMatch(/not a per-vertex value file/)
    // nothing half-written: failed adds left no maps and no arrays behind
    const names = (await call('maps.list', {})).map((m: MapInfo) => m.name)
    expect(names).not.toContain('bad')
  })
})

describe('b2m surface / maps CLI', () => {
  const ws = () => join(dir, 'cli-ws')
  const b2m = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'b2m.cjs'), '--workspace', ws(), ...args], {
      cwd: root,
      encoding: 'utf8'
    })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('surface map writes one float32 per vertex and a JSON summary', () => {
    const out = join(dir, 'values.npy')
    const r = b2m(
      'surface',
      'map',
      '--volume',
      STAT_MAP,
      '--surface',
      'fsaverage5:rh:white',
      '--method',
      'nearest',
      '--out',
      out,
      '--json'
    )
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s).toMatchObject({ vertices: 10242, finite: 10242, nan: 0, out })
    const arr = readNpy(out)
    expect(arr).toMatchObject({ dtype: 'float32', shape: [10242] })
    expect(Math.min(...arr.data)).toBe(s.min)
  })

  it('surface map takes a surface file, and line sampling with --pial', () => {
    const white = fixture('fsaverage5', 'white_left.gii.gz')
    const pial = fixture('fsaverage5', 'pial_left.gii.gz')
    const a = b2m('surface', 'map', '--volume', STAT_MAP, '--surface', white, '--json')
    expect(a.code, a.stderr).toBe(0)
    expect(JSON.parse(a.stdout)).toMatchObject({ vertices: 10242, method: 'trilinear' })
    const b = b2m(
      'surface',
      'map',
      '--volume',
      STAT_MAP,
      '--surface',
      white,
      '--pial',
      pial,
      '--method',
      'line',
      '--json'
    )
    expect(b.code, b.stderr).toBe(0)
    expect(JSON.parse(b.stdout).finite).toBeGreaterThan(10000)
    const c = b2m('surface', 'map', '--volume', STAT_MAP, '--surface', white, '--method', 'line')
    expect(c.code).toBe(2)
    expect(c.stderr).toMatch(/--pial/)
  })

  it('surface map: a volume far from the surface is all NaN; bad input exits non-zero naming the file', () => {
    const reg = join(dir, 'far.txt')
    writeFileSync(reg, '1 0 0 1000\n0 1 0 0\n0 0 1 0\n0 0 0 1\n')
    const r = b2m('surface', 'map', '--volume', STAT_MAP, '--surface', 'fsaverage5:lh:white', '--reg', reg, '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ finite: 0, nan: 10242, min: null })
    const missing = b2m('surface', 'map', '--volume', join(dir, 'none.nii'), '--surface', 'fsaverage5:lh:white')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/none\.nii/)
    const badMethod = b2m(
      'surface',
      'map',
      '--volume',
      STAT_MAP,
      '--surface',
      'fsaverage5:lh:white',
      '--method',
      'cubic'
    )
    expect(badMethod.code).toBe(2)
    const notSurface = b2m(
      'surface',
      'map',
      '--volume',
      STAT_MAP,
      '--surface',
      fixture('freesurfer', 'fsaverage.lh.curv')
    )
    expect(notSurface.code).toBe(2)
    expect(notSurface.stderr).toMatch(/fsaverage\.lh\.curv: is not a surface mesh/)
  })

  it('surface sets, maps add and maps ls', () => {
    const sets = b2m('surface', 'sets', '--json')
    expect(sets.code, sets.stderr).toBe(0)
    expect(JSON.parse(sets.stdout)[0].id).toBe('fsaverage5')
    const add = b2m('maps', 'add', STAT_MAP, '--name', 'stat', '--json')
    expect(add.code, add.stderr).toBe(0)
    const m = JSON.parse(add.stdout)
    expect(m).toMatchObject({ name: 'stat', kind: 'volume' })
    const ls = b2m('maps', 'ls', '--json')
    expect(JSON.parse(ls.stdout).map((x: MapInfo) => x.id)).toEqual([m.id])
  })
})
