/**
 * Maps with p-values (migration 8): Benjamini-Hochberg masks stored beside the values, registered from
 * files (maps.add) or from arrays (registerMap), projected to per-vertex significance (maps.project), and
 * the failures that must leave catalogue and workspace as they were.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../src-main/api/core'
import { dispatch } from '../../src-main/api/dispatch'
import { decodePayload } from '../../src-main/api/payload'
import { benjaminiHochberg } from '../../src-main/evaluate/fdr'
import { readNifti, writeNifti } from '../../src-main/formats/nifti'
import { writeNpy } from '../../src-main/formats/npy'
import { projectMap, registerMap, stageMapSignificance, surfaceLibrary } from '../../src-main/surface'
import type { MapInfo, ProjectedMap } from '../../src-preload/api'
import { fixture } from '../fixtures'
import { coreCalls } from '../helpers/core'

const ROOT = resolve(__dirname, '..', '..')
const STAT_MAP = fixture('nifti', 'image_10426.nii.gz')
let dir: string
let core: Core
let values: Float32Array
let grid: { shape: [number, number, number]; affine: number[][] }

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (method: string, params: unknown): Promise<any> => dispatch(core, method, params)
const { rejects } = coreCalls(() => core)

/** Deterministic p-values: small where the stat map is strong, uniform-ish elsewhere, NaN where it is NaN or 0. */
function pvaluesFor(v: Float32Array): Float32Array {
  const p = new Float32Array(v.length)
  let s = 12345
  for (let i = 0; i < v.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    const u = (s >>> 8) / 2 ** 24
    p[i] = !Number.isFinite(v[i]) || v[i] === 0 ? NaN : Math.abs(v[i]) > 3 ? u * 1e-4 : u
  }
  return p
}

function arrayFiles(): number {
  const root = join(core.workspace.root, 'arrays')
  let n = 0
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else n++
    }
  }
  walk(root)
  return n
}

/** 4x4 inverse by Gauss-Jordan (independent of the library's affine code). */
function invert(m: number[][]): number[][] {
  const a = m.map((r, i) => [...r, ...[0, 1, 2, 3].map((j) => (i === j ? 1 : 0))])
  for (let c = 0; c < 4; c++) {
    let piv = c
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r
    ;[a[c], a[piv]] = [a[piv], a[c]]
    const d = a[c][c]
    for (let j = 0; j < 8; j++) a[c][j] /= d
    for (let r = 0; r < 4; r++) {
      if (r === c) continue
      const f = a[r][c]
      for (let j = 0; j < 8; j++) a[r][j] -= f * a[c][j]
    }
  }
  return a.map((r) => r.slice(4))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-fdr-'))
  core = Core.open(join(dir, 'ws'), { face: 'browser', runJobs: false })
  const img = await readNifti(STAT_MAP)
  values = img.data
  grid = { shape: img.header.shape, affine: img.header.affine }
})

afterAll(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('maps with p-values', () => {
  it('maps.add with a p-value NIfTI stores the BH mask; nearest projection marks the vertices of significant voxels', async () => {
    const p = pvaluesFor(values)
    const pPath = join(dir, 'p.nii.gz')
    await writeNifti(pPath, { dims: [...grid.shape], affine: grid.affine, data: p })
    const info: MapInfo = await call('maps.add', { path: STAT_MAP, name: 'stat', pvalues: pPath, q: 0.05 })
    const bh = benjaminiHochberg(p, 0.05)
    expect(bh.count).toBeGreaterThan(100)
    expect(bh.count).toBeLessThan(bh.tests)
    expect(info.significance).toEqual({ q: 0.05, tests: bh.tests, significant: bh.count })
    expect((await call('maps.list', {})).find((m: MapInfo) => m.id === info.id).significance).toEqual(info.significance)
    const rec = core.workspace.catalogue.maps.get(info.id)!
    const mask = core.workspace.readArray(rec.significanceArrayId!)
    expect(mask.dtype).toBe('uint8')
    expect(mask.shape).toEqual([grid.shape[2], grid.shape[1], grid.shape[0]])
    expect(Array.from(mask.data)).toEqual(Array.from(bh.significant))

    const proj: ProjectedMap = await call('maps.project', { mapId: info.id, set: 'fsaverage5', method: 'nearest' })
    expect(proj.significant).not.toBeNull()
    const [X, Y, Z] = grid.shape
    const inv = invert(grid.affine)
    let total = 0
    let checked = 0
    for (const hemi of ['lh', 'rh'] as const) {
      const sig = decodePayload(proj.significant![hemi]) as Uint8Array
      const vals = decodePayload(proj[hemi]) as Float32Array
      expect(sig.length).toBe(10242)
      const pos = surfaceLibrary().mesh('fsaverage5', hemi, 'white').positions
      for (let v = 0; v < sig.length; v++) {
        const w = [pos[3 * v], pos[3 * v + 1], pos[3 * v + 2], 1]
        const ijk = [0, 1, 2].map((r) => Math.floor(inv[r].reduce((s, x, c) => s + x * w[c], 0) + 0.5))
        const inside = ijk[0] >= 0 && ijk[0] < X && ijk[1] >= 0 && ijk[1] < Y && ijk[2] >= 0 && ijk[2] < Z
        const vox = inside ? ijk[0] + X * (ijk[1] + Y * ijk[2]) : -1
        const expected = vox >= 0 && Number.isFinite(values[vox]) && !Number.isNaN(p[vox]) ? bh.significant[vox] : 0
        expect(sig[v]).toBe(expected)
        if (expected) expect(Number.isFinite(vals[v])).toBe(true)
        total += sig[v]
        checked++
      }
    }
    expect(checked).toBe(20484)
    expect(total).toBe(proj.significant!.count)
    expect(total).toBeGreaterThan(0)
    expect(proj.significant!.q).toBe(0.05)
  })

  it('trilinear projection: a vertex is significant when more than half its sampled weight is', async () => {
    const none = new Float32Array(values.length).fill(0.9)
    const all = new Float32Array(values.length).fill(1e-9)
    const a = registerMap(core.workspace, { name: 'none', kind: 'volume', values, grid, pvalues: none })
    const b = registerMap(core.workspace, { name: 'all', kind: 'volume', values, grid, pvalues: all })
    expect(a.significance).toMatchObject({ significant: 0 })
    expect(b.significance!.significant).toBe(b.significance!.tests)
    const lib = surfaceLibrary()
    const pa = projectMap(core.workspace, lib, {
      mapId: a.id,
      set: 'fsaverage5',
      method: 'trilinear',
      surface: 'white'
    })
    const pb = projectMap(core.workspace, lib, {
      mapId: b.id,
      set: 'fsaverage5',
      method: 'trilinear',
      surface: 'white'
    })
    expect(pa.significant!.count).toBe(0)
    for (const h of ['lh', 'rh'] as const)
      for (let v = 0; v < 10242; v++) expect(pb.significant![h][v]).toBe(Number.isFinite(pb[h][v]) ? 1 : 0)
    expect(pb.significant!.count).toBe(pb.stats.finite)

    // A mixed mask: per vertex, the weighted share of significant voxels among those with a value and a
    // p-value, from the (numpy-checked, see surface.test.ts) trilinear matrix, must exceed one half.
    const p = pvaluesFor(values)
    const mixed = registerMap(core.workspace, { name: 'mixed', kind: 'volume', values, grid, pvalues: p })
    const sig = benjaminiHochberg(p, 0.05).significant
    const pm = projectMap(core.workspace, lib, {
      mapId: mixed.id,
      set: 'fsaverage5',
      method: 'trilinear',
      surface: 'white'
    })
    let ones = 0
    let split = 0
    for (const h of ['lh', 'rh'] as const) {
      const m = lib.setMatrix('fsaverage5', h, grid, { method: 'trilinear', surface: 'white' })
      for (let v = 0; v < m.nRows; v++) {
        let w = 0
        let ws = 0
        for (let e = m.rowPtr[v]; e < m.rowPtr[v + 1]; e++) {
          const c = m.cols[e]
          if (!Number.isFinite(values[c]) || Number.isNaN(p[c])) continue
          w += m.vals[e]
          ws += sig[c] ? m.vals[e] : 0
        }
        const expected = w > 0 && ws / w > 0.5 ? 1 : 0
        expect(pm.significant![h][v]).toBe(expected)
        ones += expected
        if (w > 0 && ws > 0 && ws < w) split++
      }
    }
    expect(ones).toBe(pm.significant!.count)
    expect(split).toBeGreaterThan(10) // vertices whose voxels disagree were decided by the majority
  })

  it('registerMap takes masked values (one per mask voxel), as an encoding model has them', () => {
    const n = values.length
    const mask = new Uint8Array(n)
    const inside: number[] = []
    for (let i = 0; i < n; i++)
      if (Number.isFinite(values[i]) && values[i] !== 0 && i % 3 === 0) {
        mask[i] = 1
        inside.push(i)
      }
    const r = Float32Array.from(inside, (i) => values[i] / 10)
    const p = Float64Array.from(inside, (_, k) => (k % 4 === 0 ? 1e-8 : 0.7))
    const info = registerMap(core.workspace, {
      name: 'encoding r',
      kind: 'volume',
      values: r,
      mask,
      grid,
      pvalues: p,
      q: 0.01,
      units: 'r',
      provenance: { test: true }
    })
    const bh = benjaminiHochberg(p, 0.01)
    expect(info).toMatchObject({ kind: 'volume', units: 'r', significance: { q: 0.01, tests: p.length } })
    expect(info.significance!.significant).toBe(bh.count)
    const rec = core.workspace.catalogue.maps.get(info.id)!
    const stored = core.workspace.readArray(rec.arrayId!).data
    const storedP = core.workspace.readArray(rec.pvaluesArrayId!).data
    expect(stored[inside[5]]).toBeCloseTo(r[5], 6)
    expect(Number.isNaN(stored[inside[5] + 1])).toBe(true)
    expect(storedP[inside[4]]).toBeCloseTo(1e-8, 12)
    expect(Number.isNaN(storedP[1])).toBe(true)
  })

  it("stageMapSignificance: a map and its mask written in the caller's own batch and transaction", () => {
    const [X, Y, Z] = grid.shape
    const p = pvaluesFor(values)
    const batch = core.workspace.batch()
    batch.add('maps/own-values.npy', { dtype: 'float32', shape: [Z, Y, X], data: values }, 'map')
    const sig = stageMapSignificance(batch, [Z, Y, X], p, 0.05)
    const rec = batch.commit(([v, pv, mask]) =>
      core.workspace.catalogue.maps.create({
        name: 'own batch',
        kind: 'volume',
        arrayId: v.id,
        grid,
        units: 'r',
        significance: sig([pv.id, mask.id])
      })
    )
    expect(rec.significance).toEqual({
      q: 0.05,
      tests: benjaminiHochberg(p, 0.05).tests,
      significant: benjaminiHochberg(p, 0.05).count
    })
    const proj = projectMap(core.workspace, surfaceLibrary(), {
      mapId: rec.id,
      set: 'fsaverage5',
      method: 'nearest',
      surface: 'white'
    })
    expect(proj.significant!.count).toBeGreaterThan(0)
  })

  it('per-vertex maps: p-values from .npy (and its (X, Y, Z) volume form) give the same masks', async () => {
    const n = 20484
    const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i / 50))
    const p = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1e-7 : 0.4 + (i % 5) / 10))
    writeNpy(join(dir, 'v.npy'), { dtype: 'float32', shape: [n], data: v })
    writeNpy(join(dir, 'pv.npy'), { dtype: 'float32', shape: [n], data: p })
    const info: MapInfo = await call('maps.add', { path: join(dir, 'v.npy'), pvalues: join(dir, 'pv.npy'), q: 0.1 })
    const bh = benjaminiHochberg(p, 0.1)
    expect(info.significance).toEqual({ q: 0.1, tests: n, significant: bh.count })
    const proj: ProjectedMap = await call('maps.project', { mapId: info.id, set: 'fsaverage5' })
    const lh = decodePayload(proj.significant!.lh) as Uint8Array
    const rh = decodePayload(proj.significant!.rh) as Uint8Array
    expect([...lh, ...rh]).toEqual(Array.from(bh.significant))

    // The same p-values of a volume, as nibabel orders them (X, Y, Z), give the same mask as the NIfTI order.
    const [X, Y, Z] = grid.shape
    const pv = pvaluesFor(values)
    const xyz = new Float32Array(pv.length)
    for (let x = 0; x < X; x++)
      for (let y = 0; y < Y; y++) for (let z = 0; z < Z; z++) xyz[(x * Y + y) * Z + z] = pv[x + X * (y + Y * z)]
    writeNpy(join(dir, 'p-xyz.npy'), { dtype: 'float32', shape: [X, Y, Z], data: xyz })
    writeNpy(join(dir, 'p-flat.npy'), { dtype: 'float32', shape: [pv.length], data: pv })
    const m1: MapInfo = await call('maps.add', { path: STAT_MAP, pvalues: join(dir, 'p-xyz.npy') })
    const m2: MapInfo = await call('maps.add', { path: STAT_MAP, pvalues: join(dir, 'p-flat.npy') })
    expect(m1.significance).toEqual(m2.significance)
    const a = core.workspace.readArray(core.workspace.catalogue.maps.get(m1.id)!.significanceArrayId!).data
    const b = core.workspace.readArray(core.workspace.catalogue.maps.get(m2.id)!.significanceArrayId!).data
    expect(Array.from(a)).toEqual(Array.from(b))
  })

  it('bad p-values fail naming the file and leave catalogue and arrays unchanged', async () => {
    const before = (await call('maps.list', {})).length
    const files = arrayFiles()
    const short = join(dir, 'p-short.npy')
    writeNpy(short, { dtype: 'float32', shape: [100], data: new Float32Array(100) })
    let e = await rejects('maps.add', { path: STAT_MAP, pvalues: short })
    expect(e.message).toMatch(/p-value \.npy has shape \(100\)/)
    expect(e.file).toBe(short)

    const out = join(dir, 'p-out.npy')
    const bad = new Float32Array(20484).fill(0.5)
    bad[17] = 1.5
    writeNpy(out, { dtype: 'float32', shape: [20484], data: bad })
    writeNpy(join(dir, 'v2.npy'), { dtype: 'float32', shape: [20484], data: new Float32Array(20484) })
    e = await rejects('maps.add', { path: join(dir, 'v2.npy'), pvalues: out })
    expect(e.message).toMatch(/p-value 17 is 1\.5/)
    expect(e.file).toBe(out)

    writeNpy(join(dir, 'p-10.npy'), { dtype: 'float32', shape: [10], data: new Float32Array(10) })
    e = await rejects('maps.add', { path: join(dir, 'v2.npy'), pvalues: join(dir, 'p-10.npy') })
    expect(e.message).toMatch(/the file has 10 values but the map v2\.npy has 20484/)

    const otherGrid = join(dir, 'p-grid.nii.gz')
    await writeNifti(otherGrid, { dims: [4, 4, 4], data: new Float32Array(64) })
    e = await rejects('maps.add', { path: STAT_MAP, pvalues: otherGrid })
    expect(e.message).toMatch(/must share the grid/)

    e = await rejects('maps.add', { path: STAT_MAP, pvalues: join(dir, 'missing.nii.gz') })
    expect(e.message).toMatch(/p-value file not found/)
    await expect(call('maps.add', { path: STAT_MAP, pvalues: short, q: 1.5 })).rejects.toThrow()
    expect(() =>
      registerMap(core.workspace, { name: 'x', kind: 'volume', values, grid, pvalues: new Float32Array(5) })
    ).toThrow(/5 p-values for \d+ values/)
    expect(() =>
      registerMap(core.workspace, {
        name: 'x',
        kind: 'surface',
        values: new Float32Array(642),
        surfaceSet: 'fsaverage5'
      })
    ).toThrow(/vertex-count mismatch: 642 values but fsaverage5 has 10242 \(lh\) \+ 10242 \(rh\)/)

    expect((await call('maps.list', {})).length).toBe(before)
    expect(arrayFiles()).toBe(files)
    expect(readdirSync(join(core.workspace.root, 'tmp')).filter((f) => f.endsWith('.npy'))).toEqual([])
  })

  it('b2m maps add --pvalues --q --json registers the mask; a bad --q is a usage error', () => {
    const ws = join(dir, 'cli-ws')
    const pPath = join(dir, 'p-cli.npy')
    const p = pvaluesFor(values)
    writeNpy(pPath, { dtype: 'float32', shape: [p.length], data: p })
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin', 'b2m.cjs'), '--workspace', ws, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000
      })
    const ok = run('maps', 'add', STAT_MAP, '--pvalues', pPath, '--q', '0.01', '--json')
    expect(ok.status, ok.stderr).toBe(0)
    const bh = benjaminiHochberg(p, 0.01)
    expect((JSON.parse(ok.stdout) as MapInfo).significance).toEqual({ q: 0.01, tests: bh.tests, significant: bh.count })
    const bad = run('maps', 'add', STAT_MAP, '--pvalues', pPath, '--q', '2')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/--q must be a number in \(0, 1\), got "2"/)
  })

  it('maps without p-values project no significance', async () => {
    const info: MapInfo = await call('maps.add', { path: STAT_MAP, name: 'plain' })
    expect(info.significance).toBeNull()
    const proj: ProjectedMap = await call('maps.project', { mapId: info.id, set: 'fsaverage5', method: 'nearest' })
    expect(proj.significant).toBeNull()
  })
})
