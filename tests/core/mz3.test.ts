import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import { readFreeSurferCurv, readFreeSurferSurface } from '../../src-main/formats/freesurfer'
import { meshBounds, sniffMeshFile } from '../../src-main/formats/mesh'
import { parseMz3, readMz3, readMz3Scalars, readMz3Surface } from '../../src-main/formats/mz3'
import { FIXTURES, fixture } from '../fixtures'

const HAVE_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0
if (!HAVE_NUMPY) console.warn('mz3.test: numpy cross-checks skipped (python3 with numpy not available)')

const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'MANIFEST.json'), 'utf8')) as Record<
  string,
  { verified: Record<string, unknown> }
>
const sha = (a: ArrayBufferView) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex')

function expectB2m(fn: () => unknown, re: RegExp): B2mError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, `expected a B2mError matching ${re}`).toBeInstanceOf(B2mError)
  expect((caught as B2mError).code).toBe('bad_request')
  expect((caught as B2mError).message).toMatch(re)
  return caught as B2mError
}

function minMax(a: ArrayLike<number>): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < a.length; i++) {
    if (a[i] < lo) lo = a[i]
    if (a[i] > hi) hi = a[i]
  }
  return [lo, hi]
}

const meshes = ['BrainMesh_ICBM152.lh.mz3', 'cortex_5124.mz3', 'MeshFormatsJS.gz.mz3']

describe('MZ3 fixtures match the manifest', () => {
  it.each(meshes)('%s', (f) => {
    const v = MANIFEST[`mz3/${f}`].verified
    const t0 = performance.now()
    const m = readMz3Surface(fixture('mz3', f))
    const ms = performance.now() - t0
    if (m.nVertices > 100000) console.log(`MZ3 ${f}: ${m.nVertices} vertices parsed in ${ms.toFixed(1)} ms`)
    expect([m.nVertices, m.nTriangles]).toEqual([v.n_vertices, v.n_faces])
    expect(minMax(m.triangles)).toEqual([0, v.face_idx_max])
    const b = meshBounds(m.positions)
    ;(v.bbox_min as number[]).forEach((x, a) => expect(b.min[a]).toBeCloseTo(x, 1))
    ;(v.bbox_max as number[]).forEach((x, a) => expect(b.max[a]).toBeCloseTo(x, 1))
    const raw = readMz3(fixture('mz3', f))
    expect(raw.attr).toBe(v.attr)
    expect(raw.scalars).toEqual([])
  })

  it('BrainMesh_ICBM152.lh.motor.mz3 is scalar-only (attr 8): one layer of 40962, -2.37..10.87', () => {
    const m = readMz3(fixture('mz3', 'BrainMesh_ICBM152.lh.motor.mz3'))
    expect([m.attr, m.nFaces, m.nVertices, m.positions, m.triangles]).toEqual([8, 0, 40962, undefined, undefined])
    const [layer] = readMz3Scalars(fixture('mz3', 'BrainMesh_ICBM152.lh.motor.mz3'))
    const [lo, hi] = minMax(layer)
    expect(lo).toBeCloseTo(-2.373, 2)
    expect(hi).toBeCloseTo(10.874, 2)
    // it overlays the ICBM mesh, as does the FreeSurfer curv beside it
    const mesh = readMz3Surface(fixture('mz3', 'BrainMesh_ICBM152.lh.mz3'))
    expect(layer.length).toBe(mesh.nVertices)
    expect(readFreeSurferCurv(fixture('mz3', 'BrainMesh_ICBM152.lh.curv')).nVertices).toBe(mesh.nVertices)
    expectB2m(
      () => readMz3Surface(fixture('mz3', 'BrainMesh_ICBM152.lh.motor.mz3')),
      /MZ3 holds no mesh \(attr 8: scalars only - an overlay\)/
    )
    expectB2m(() => readMz3Scalars(fixture('mz3', 'cortex_5124.mz3')), /MZ3 holds no scalar layers \(attr 3\)/)
  })

  it('MeshFormatsJS.gz.mz3 faces are exactly the brainbrowser fsaverage faces (vertex order shared)', () => {
    const mz3 = readMz3Surface(fixture('mz3', 'MeshFormatsJS.gz.mz3'))
    const fs = readFreeSurferSurface(fixture('freesurfer', 'brainbrowser.freesurfer-binary-surface.gz'))
    expect(mz3.nVertices).toBe(fs.nVertices)
    expect(mz3.triangles.length).toBe(fs.triangles.length)
    expect(sha(mz3.triangles)).toBe(sha(fs.triangles))
    // but the vertices differ: inflated and recentred (+-41.5, +-108, +-73) vs white-like
    expect(meshBounds(mz3.positions).max[0]).toBeCloseTo(41.51, 1)
    expect(meshBounds(fs.positions).max[0]).toBeCloseTo(1.81, 1)
  })

  it.skipIf(!HAVE_NUMPY)('positions, faces and scalars equal numpy reading the raw bytes', () => {
    const files = [...meshes, 'BrainMesh_ICBM152.lh.motor.mz3']
    const r = spawnSync(
      'python3',
      [
        '-c',
        `import numpy as np, gzip, hashlib, json
out={}
for f in ${JSON.stringify(files)}:
    b=gzip.open(${JSON.stringify(fixture('mz3'))}+'/'+f).read()
    attr=int(np.frombuffer(b[2:4],'<u2')[0]); nf,nv,sk=[int(x) for x in np.frombuffer(b[4:16],'<u4')]; p=16+sk; o={}
    if attr&1: o['f']=hashlib.sha256(np.frombuffer(b[p:p+nf*12],'<i4').astype('<u4').tobytes()).hexdigest(); p+=nf*12
    if attr&2: o['v']=hashlib.sha256(np.frombuffer(b[p:p+nv*12],'<f4').tobytes()).hexdigest(); p+=nv*12
    if attr&8: o['s']=hashlib.sha256(np.frombuffer(b[p:p+nv*4],'<f4').tobytes()).hexdigest()
    out[f]=o
print(json.dumps(out))`
      ],
      { encoding: 'utf8' }
    )
    expect(r.status, r.stderr).toBe(0)
    const ref = JSON.parse(r.stdout) as Record<string, { f?: string; v?: string; s?: string }>
    for (const f of files) {
      const m = readMz3(fixture('mz3', f))
      if (ref[f].f) expect(sha(m.triangles!)).toBe(ref[f].f)
      if (ref[f].v) expect(sha(m.positions!)).toBe(ref[f].v)
      if (ref[f].s) expect(sha(m.scalars[0])).toBe(ref[f].s)
    }
  })
})

/** Writes an MZ3 from parts (little-endian), optionally gzipped. */
function buildMz3(o: {
  attr: number
  faces?: number[]
  verts?: number[]
  rgba?: number[]
  scalars?: number[]
  double?: boolean
  nskip?: number
  nVertices?: number
}): Buffer {
  const nv = o.nVertices ?? (o.verts ? o.verts.length / 3 : (o.scalars?.length ?? 0))
  const head = Buffer.alloc(16)
  head.writeUInt16LE(0x5a4d, 0)
  head.writeUInt16LE(o.attr, 2)
  head.writeUInt32LE((o.faces?.length ?? 0) / 3, 4)
  head.writeUInt32LE(nv, 8)
  head.writeUInt32LE(o.nskip ?? 0, 12)
  const parts = [head, Buffer.alloc(o.nskip ?? 0, 0xab)]
  if (o.faces) parts.push(Buffer.from(new Int32Array(o.faces).buffer))
  if (o.verts) parts.push(Buffer.from(new Float32Array(o.verts).buffer))
  if (o.rgba) parts.push(Buffer.from(o.rgba))
  if (o.scalars) parts.push(Buffer.from((o.double ? new Float64Array(o.scalars) : new Float32Array(o.scalars)).buffer))
  return Buffer.concat(parts)
}

describe('MZ3 layouts: raw or gzip, nskip, colours, float64 scalars, several layers', () => {
  const verts = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
  const faces = [0, 1, 2, 0, 2, 3, 0, 3, 1, 1, 3, 2]

  it('raw (uncompressed) and gzip files read the same', () => {
    const raw = gunzipSync(readFileSync(fixture('mz3', 'cortex_5124.mz3')))
    const a = parseMz3(raw, 'raw.mz3')
    const b = readMz3(fixture('mz3', 'cortex_5124.mz3'))
    expect(sha(a.positions!)).toBe(sha(b.positions!))
    expect(sha(a.triangles!)).toBe(sha(b.triangles!))
  })

  it('odd nskip (unaligned data), RGBA and two float64 scalar layers', () => {
    const buf = buildMz3({
      attr: 1 | 2 | 4 | 8 | 16,
      faces,
      verts,
      rgba: [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 0],
      scalars: [0.5, 1.5, 2.5, 3.5, -1, -2, -3, 1e-300],
      double: true,
      nVertices: 4,
      nskip: 5
    })
    for (const bytes of [buf, gzipSync(buf)]) {
      const m = parseMz3(bytes, 'synthetic.mz3')
      expect(Array.from(m.positions!)).toEqual(verts)
      expect(Array.from(m.triangles!)).toEqual(faces)
      expect(Array.from(m.colors!.slice(0, 4))).toEqual([255, 0, 0, 255])
      expect(m.scalars.map((s) => Array.from(s))).toEqual([
        [0.5, 1.5, 2.5, 3.5],
        [-1, -2, -3, 0]
      ])
    }
  })

  it('float32 scalars beside a mesh', () => {
    const m = parseMz3(buildMz3({ attr: 1 | 2 | 8, faces, verts, scalars: [1, 2, 3, 4] }), 's.mz3')
    expect(Array.from(m.scalars[0])).toEqual([1, 2, 3, 4])
  })

  it('sniffMeshFile tells the formats apart', () => {
    const head = (p: string) => {
      const b = readFileSync(p)
      return b[0] === 0x1f ? gunzipSync(b).subarray(0, 64) : b.subarray(0, 64)
    }
    expect(sniffMeshFile(head(fixture('mz3', 'cortex_5124.mz3')), 'x')).toBe('mz3')
    expect(sniffMeshFile(head(fixture('freesurfer', 'brainbrowser.freesurfer-binary-surface.gz')), 'x')).toBe(
      'freesurfer-surface'
    )
    expect(sniffMeshFile(head(fixture('freesurfer', 'bert.lh.inflated.nofix')), 'x')).toBe('freesurfer-quad-surface')
    expect(sniffMeshFile(head(fixture('freesurfer', 'fsaverage.lh.curv')), 'x')).toBe('freesurfer-curv')
    expect(sniffMeshFile(head(fixture('freesurfer', 'fsaverage.lh.cortex.patch.flat')), 'x')).toBe('freesurfer-patch')
    expect(sniffMeshFile(head(fixture('freesurfer', 'fsaverage.lh.V1.label')), 'x')).toBe('freesurfer-label')
    expect(sniffMeshFile(head(fixture('gifti', 'ascii.gii')), 'x')).toBe('gifti')
    expect(sniffMeshFile(new Uint8Array(0), 'lh.aparc.annot')).toBe('freesurfer-annot')
  })
})

describe('corrupted MZ3 copies', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'b2m-mz3-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const raw = () => Buffer.from(gunzipSync(readFileSync(fixture('mz3', 'cortex_5124.mz3'))))
  const write = (name: string, b: Uint8Array) => {
    const p = join(dir, name)
    writeFileSync(p, b)
    return p
  }

  it('bad magic', () => {
    const b = raw()
    b[0] = 0x00
    expectB2m(() => readMz3(write('magic.mz3', gzipSync(b))), /is not an MZ3 file: magic is 0x5a00, expected 0x5a4d/)
    expectB2m(() => readMz3(write('tiny.mz3', Buffer.from([0x4d, 0x5a]))), /smaller than the 16-byte header/)
  })

  it('truncated faces, vertices, scalars; corrupt gzip', () => {
    expectB2m(
      () => readMz3(write('cut1.mz3', raw().subarray(0, 1000))),
      /file is truncated: 10240 faces needs 122880 bytes at offset 16/
    )
    expectB2m(() => readMz3(write('cut2.mz3', raw().subarray(0, 150000))), /file is truncated: 5124 vertices/)
    const motor = gunzipSync(readFileSync(fixture('mz3', 'BrainMesh_ICBM152.lh.motor.mz3')))
    expectB2m(
      () => readMz3(write('cut3.mz3', motor.subarray(0, motor.length - 6))),
      /scalar data needs at least 163848 bytes/
    )
    expectB2m(
      () => readMz3(write('cut4.mz3', Buffer.concat([motor, Buffer.alloc(8)]))),
      /scalar data is 163856 bytes, not a whole number of 40962-vertex layers/
    )
    const gz = readFileSync(fixture('mz3', 'cortex_5124.mz3'))
    expectB2m(() => readMz3(write('cut.gz.mz3', gz.subarray(0, gz.length >> 1))), /corrupt gzip data/)
  })

  it('face index beyond the vertices; unknown attr bits', () => {
    const b = raw()
    b.writeInt32LE(5124, 16 + 12 * 7)
    expectB2m(
      () => readMz3(write('face.mz3', b)),
      /triangle 7 refers to vertex 5124, but the surface has only 5124 vertices/
    )
    const c = raw()
    c.writeUInt16LE(64 | 3, 2)
    expectB2m(() => readMz3(write('attr.mz3', c)), /MZ3 attr 67 has bits this reader does not know/)
  })
})
