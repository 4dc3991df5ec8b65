import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  labelMask,
  parseFreeSurferLabel,
  patchToMesh,
  readFreeSurferAnnot,
  readFreeSurferCurv,
  readFreeSurferLabel,
  readFreeSurferPatch,
  readFreeSurferSurface
} from '../../src-main/formats/freesurfer'
import { readGiftiLabels, readGiftiSurface } from '../../src-main/formats/gifti'
import { meshBounds } from '../../src-main/formats/mesh'
import { FIXTURES, fixture } from '../fixtures'

const HAVE_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0
if (!HAVE_NUMPY) console.warn('freesurfer.test: numpy cross-checks skipped (python3 with numpy not available)')

/** Runs a python snippet (numpy, gzip, hashlib, json imported; FS = fixtures/freesurfer) that prints JSON. */
function py(code: string): Record<string, unknown> {
  const r = spawnSync(
    'python3',
    ['-c', `import numpy as np, gzip, hashlib, json\nFS=${JSON.stringify(fixture('freesurfer'))}\n${code}`],
    { encoding: 'utf8', maxBuffer: 64 << 20 }
  )
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

const sha = (a: ArrayBufferView) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex')

const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'MANIFEST.json'), 'utf8')) as Record<
  string,
  { verified: Record<string, unknown> }
>
const verified = (f: string) => MANIFEST[`freesurfer/${f}`].verified

function minMax(a: ArrayLike<number>): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < a.length; i++) {
    if (a[i] < lo) lo = a[i]
    if (a[i] > hi) hi = a[i]
  }
  return [lo, hi]
}

function expectB2m(fn: () => unknown, re: RegExp): B2mError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, `expected a B2mError matching ${re}`).toBeInstanceOf(B2mError)
  expect((caught as B2mError).message).toMatch(re)
  return caught as B2mError
}

const BB = 'brainbrowser.freesurfer-binary-surface.gz'
const timings: string[] = []
function timed<T>(label: string, fn: () => T): T {
  const t0 = performance.now()
  const out = fn()
  timings.push(`${label}: ${(performance.now() - t0).toFixed(1)} ms`)
  return out
}
afterAll(() => console.log(`FreeSurfer parse times (first read, cold JIT):\n  ${timings.join('\n  ')}`))

describe('FreeSurfer triangle surface (gzip, fsaverage lh, 163842 vertices)', () => {
  it('counts, created-by line, bbox and face range match the manifest', () => {
    const s = timed(BB, () => readFreeSurferSurface(fixture('freesurfer', BB)))
    const v = verified(BB)
    expect(s.kind).toBe('triangle')
    expect([s.nVertices, s.nTriangles]).toEqual([v.n_vertices, v.n_faces])
    expect(s.createdBy).toBe(v.created)
    const b = meshBounds(s.positions)
    ;(v.bbox_min as number[]).forEach((x, a) => expect(b.min[a]).toBeCloseTo(x, 1))
    ;(v.bbox_max as number[]).forEach((x, a) => expect(b.max[a]).toBeCloseTo(x, 1))
    expect(minMax(s.triangles)).toEqual([0, v.face_idx_max])
    // the trailing volume geometry says "valid = 0": kept as text, no cras derived from it
    expect(s.volumeInfo?.valid).toMatch(/^0/)
    expect(s.cras).toBeUndefined()
    expect(s.useRealRas).toBe(false)
  })

  it.skipIf(!HAVE_NUMPY)('positions and faces equal numpy reading the raw bytes', () => {
    const ref = py(`b=gzip.open(FS+'/${BB}').read()
p=b.index(b'\\n',3)+1
if b[p:p+1]==b'\\n': p+=1
nv,nf=np.frombuffer(b[p:p+8],'>i4'); p+=8
xyz=np.frombuffer(b[p:p+nv*12],'>f4').astype('<f4'); p+=nv*12
f=np.frombuffer(b[p:p+nf*12],'>i4').astype('<u4')
print(json.dumps({'xyz':hashlib.sha256(xyz.tobytes()).hexdigest(),'f':hashlib.sha256(f.tobytes()).hexdigest(),'v0':xyz[:6].tolist()}))`)
    const s = readFreeSurferSurface(fixture('freesurfer', BB))
    expect(sha(s.positions)).toBe(ref.xyz)
    expect(sha(s.triangles)).toBe(ref.f)
    expect(Array.from(s.positions.slice(0, 6))).toEqual(ref.v0)
  })

  it('vertex k of fsaverage5 white_left lies ~1 mm from vertex k of this fsaverage surface', () => {
    const fs = readFreeSurferSurface(fixture('freesurfer', BB))
    const w5 = readGiftiSurface(fixture('fsaverage5', 'white_left.gii.gz'))
    let sum = 0
    let max = 0
    for (let k = 0; k < w5.nVertices; k++) {
      const d = Math.hypot(
        fs.positions[3 * k] - w5.positions[3 * k],
        fs.positions[3 * k + 1] - w5.positions[3 * k + 1],
        fs.positions[3 * k + 2] - w5.positions[3 * k + 2]
      )
      sum += d
      max = Math.max(max, d)
    }
    expect(sum / w5.nVertices).toBeLessThan(1.2)
    expect(max).toBeLessThan(6)
  })
})

describe('FreeSurfer quad surface (bert.lh.inflated.nofix, magic FF FF FD)', () => {
  it('3-byte counts, quads split into FreeSurfer triangles, trailing tags read', () => {
    const s = timed('bert.lh.inflated.nofix', () =>
      readFreeSurferSurface(fixture('freesurfer', 'bert.lh.inflated.nofix'))
    )
    expect(s.kind).toBe('quad')
    expect([s.nVertices, s.nQuads, s.nTriangles]).toEqual([147559, 147644, 2 * 147644])
    expect(minMax(s.triangles)[1]).toBeLessThan(147559)
    // the 1240 trailing bytes: useRealRAS 0, a valid volume geometry, three command lines
    expect(s.volumeInfo?.filename).toBe('../mri/filled.mgz')
    expect(s.cras).toEqual([5.3997, 18, 0])
    expect(s.cmdlines?.map((c) => c.split(' ')[0])).toEqual(['mri_tessellate', 'mris_smooth', 'mris_inflate'])
  })

  it.skipIf(!HAVE_NUMPY)('triangles equal an independent numpy split with WHICH_FACE_SPLIT', () => {
    const ref = py(`b=open(FS+'/bert.lh.inflated.nofix','rb').read()
def r3(a): return (a[:,0].astype(np.int64)<<16)|(a[:,1].astype(np.int64)<<8)|a[:,2]
nv,nq=r3(np.frombuffer(b[3:9],np.uint8).reshape(2,3))
xyz=np.frombuffer(b[9:9+nv*12],'>f4').astype('<f4')
q=r3(np.frombuffer(b[9+nv*12:9+nv*12+nq*12],np.uint8).reshape(-1,3)).reshape(-1,4)
which=np.floor(np.sqrt(1.9*q[:,0])+np.sqrt(3.5*q[:,1])+0.5).astype(np.int64)
ev=(which%2)==0
t=np.where(ev[:,None], np.c_[q[:,0],q[:,1],q[:,3],q[:,2],q[:,3],q[:,1]], np.c_[q[:,0],q[:,1],q[:,2],q[:,0],q[:,2],q[:,3]])
print(json.dumps({'xyz':hashlib.sha256(xyz.tobytes()).hexdigest(),'t':hashlib.sha256(t.astype('<u4').tobytes()).hexdigest(),'even':int(ev.sum())}))`)
    const s = readFreeSurferSurface(fixture('freesurfer', 'bert.lh.inflated.nofix'))
    expect(sha(s.positions)).toBe(ref.xyz)
    expect(sha(s.triangles)).toBe(ref.t)
    expect(ref.even).toBeGreaterThan(0)
    expect(ref.even).toBeLessThan(147644) // both diagonals occur
  })
})

describe('FreeSurfer curv (new format FF FF FF)', () => {
  const files = [
    'fsaverage.lh.curv',
    'fsaverage.rh.curv',
    'fsaverage.lh.sulc',
    'fsaverage.rh.sulc',
    'fsaverage.lh.thickness'
  ]
  it.each(files)('%s: 163842 values within the manifest range', (f) => {
    const c = timed(f, () => readFreeSurferCurv(fixture('freesurfer', f)))
    const v = verified(f)
    expect([c.nVertices, c.nFaces, c.format]).toEqual([v.n_vertices, v.n_faces, 'new'])
    const [lo, hi] = minMax(c.values)
    expect(lo).toBeCloseTo((v.min_max as number[])[0], 2)
    expect(hi).toBeCloseTo((v.min_max as number[])[1], 2)
  })

  it.skipIf(!HAVE_NUMPY)('values equal numpy (>f4 after the 15-byte header)', () => {
    const ref = py(
      `print(json.dumps({f: hashlib.sha256(np.fromfile(FS+'/'+f,'>f4',offset=15).astype('<f4').tobytes()).hexdigest() for f in ${JSON.stringify(files)}}))`
    )
    for (const f of files) expect(sha(readFreeSurferCurv(fixture('freesurfer', f)).values)).toBe(ref[f])
  })

  it('the ICBM152 curv in mz3/ has 40962 values', () => {
    const c = readFreeSurferCurv(fixture('mz3', 'BrainMesh_ICBM152.lh.curv'))
    expect([c.nVertices, c.nFaces]).toEqual([40962, 81920])
  })
})

describe('FreeSurfer annot (colour table version 2)', () => {
  const files = ['fsaverage.lh.aparc.annot', 'fsaverage.rh.aparc.annot', 'nilearn.test.annot']
  it.each(files)('%s: 36 entries, names, packed-RGB keys', (f) => {
    const a = timed(f, () => readFreeSurferAnnot(fixture('freesurfer', f)))
    const v = verified(f)
    expect(a.nVertices).toBe(v.n_vertices)
    expect(a.table.length).toBe(36)
    expect(a.ctabVersion).toBe(2)
    expect(a.origTable).toBe(v.ctab_orig_file)
    expect(a.table.slice(0, 4).map((e) => e.name)).toEqual(v.first_names)
    for (const e of a.table) {
      expect(e.key).toBe(
        Math.round(e.rgba[0] * 255) + Math.round(e.rgba[1] * 255) * 256 + Math.round(e.rgba[2] * 255) * 65536
      )
    }
    expect(a.table.map((e) => e.index)).toEqual(Array.from({ length: 36 }, (_, i) => i))
    expect(new Set(a.labels).size).toBe(v.n_unique_labels)
    expect(minMax(a.labels)[0]).toBeGreaterThanOrEqual(0)
  })

  it.skipIf(!HAVE_NUMPY)("per-vertex table indices equal numpy implementing nibabel's read_annot", () => {
    const ref = py(`out={}
for f in ${JSON.stringify(files)}:
    b=open(FS+'/'+f,'rb').read(); p=0
    def i4():
        global p; v=int(np.frombuffer(b[p:p+4],'>i4')[0]); p+=4; return v
    n=i4(); pr=np.frombuffer(b[p:p+8*n],'>i4').reshape(-1,2); p+=8*n
    lab=np.zeros(n,np.int64); lab[pr[:,0]]=pr[:,1]
    assert i4()==1; ver=-i4(); mx=i4(); L=i4(); p+=L; ne=i4(); keys=[]
    for _ in range(ne):
        i4(); L=i4(); p+=L; r,g,bl,t=[i4() for _ in range(4)]; keys.append(r+g*256+bl*65536)
    keys=np.array(keys); idx=np.full(n,-1,np.int64)
    for k,key in enumerate(keys[::-1]): idx[lab==key]=len(keys)-1-k
    idx[lab==0]=-1
    out[f]=hashlib.sha256(idx.astype('<i4').tobytes()).hexdigest()
print(json.dumps(out))`)
    for (const f of files) expect(sha(readFreeSurferAnnot(fixture('freesurfer', f)).labels)).toBe(ref[f])
  })

  it('same aparc table as the GIfTI rh.aparc.annot.gii: names agree, keys agree but for temporalpole', () => {
    const fs = readFreeSurferAnnot(fixture('freesurfer', 'fsaverage.rh.aparc.annot'))
    const gii = readGiftiLabels(fixture('gifti', 'rh.aparc.annot.gii'))
    expect(gii.table.map((e) => e.name)).toEqual(fs.table.map((e) => e.name))
    const differ = fs.table.filter((e, i) => gii.table[i].key !== e.key).map((e) => e.name)
    // FreeSurfer's colour for temporalpole changed between releases: (70,70,70) here, (70,20,170) in the GIfTI
    expect(differ).toEqual(['temporalpole'])
    expect(fs.table.find((e) => e.name === 'temporalpole')?.key).toBe(70 + 70 * 256 + 70 * 65536)
    expect(gii.table.find((e) => e.name === 'temporalpole')?.key).toBe(70 + 20 * 256 + 170 * 65536)
  })

  it('nilearn.test.annot labels the 10242 fsaverage5 vertices', () => {
    const a = readFreeSurferAnnot(fixture('freesurfer', 'nilearn.test.annot'))
    expect(a.nVertices).toBe(readGiftiSurface(fixture('fsaverage5', 'pial_left.gii.gz')).nVertices)
  })
})

describe('FreeSurfer ASCII label', () => {
  it('fsaverage.lh.V1.label: 4641 rows', () => {
    const l = timed('fsaverage.lh.V1.label', () => readFreeSurferLabel(fixture('freesurfer', 'fsaverage.lh.V1.label')))
    expect(l.nPoints).toBe(4641)
    expect(l.comment).toMatch(/^ascii label/)
    expect(l.subject).toBeUndefined()
    expect([l.vertices[0], l.positions[0], l.positions[1], l.positions[2], l.values[0]]).toEqual([
      87737,
      Math.fround(-21.238),
      Math.fround(-74.515),
      Math.fround(6.206),
      Math.fround(0.7)
    ])
    const mask = labelMask(l, 163842)
    expect(mask.reduce((a, b) => a + b, 0)).toBe(new Set(l.vertices).size)
    expectB2m(() => labelMask(l, 10242), /label names vertex \d+, but the surface has only 10242 vertices/)
  })

  it.skipIf(!HAVE_NUMPY)('rows equal numpy.loadtxt', () => {
    const ref = py(`a=np.loadtxt(FS+'/fsaverage.lh.V1.label',skiprows=2)
print(json.dumps({'v':hashlib.sha256(a[:,0].astype('<i4').tobytes()).hexdigest(),'xyz':hashlib.sha256(a[:,1:4].astype('<f4').tobytes()).hexdigest(),'val':hashlib.sha256(a[:,4].astype('<f4').tobytes()).hexdigest()}))`)
    const l = readFreeSurferLabel(fixture('freesurfer', 'fsaverage.lh.V1.label'))
    expect([sha(l.vertices), sha(l.positions), sha(l.values)]).toEqual([ref.v, ref.xyz, ref.val])
  })

  it('nilearn.test.label (header 326, 10 rows) is refused as truncated', () => {
    const err = expectB2m(
      () => readFreeSurferLabel(fixture('freesurfer', 'nilearn.test.label')),
      /label header says 326 points, but the file holds only 10 rows \(truncated\?\)/
    )
    expect(err.file).toBe(fixture('freesurfer', 'nilearn.test.label'))
  })

  it('malformed labels', () => {
    expectB2m(() => parseFreeSurferLabel('1\n2\n', 'x.label'), /first line must be a '#' comment/)
    expectB2m(() => parseFreeSurferLabel('#c\nfour\n', 'x.label'), /line 2 should be the point count/)
    expectB2m(
      () => parseFreeSurferLabel('#c\n1\n1 2 3\n', 'x.label'),
      /label row 1 \('1 2 3'\) is not 'vno x y z value'/
    )
    expectB2m(
      () => parseFreeSurferLabel('#c\n1\n1 2 3 4 5\n6 7 8 9 0\n', 'x.label'),
      /says 1 points, but the file holds 2 rows/
    )
    expect(
      parseFreeSurferLabel('#!ascii label , from subject bert vox2ras=TkReg\r\n1\r\n-1 1 2 3 0.5\r\n', 'x').subject
    ).toBe('bert')
  })
})

describe('FreeSurfer flat patch', () => {
  it('149297 points, 1649 border, z = 0, extent 306 x 375 mm', () => {
    const p = timed('fsaverage.lh.cortex.patch.flat', () =>
      readFreeSurferPatch(fixture('freesurfer', 'fsaverage.lh.cortex.patch.flat'))
    )
    const v = verified('fsaverage.lh.cortex.patch.flat')
    expect([p.nPoints, p.nBorder]).toEqual([v.n_points, v.n_border])
    expect(minMax(p.vertices)).toEqual([0, v.max_vertex])
    expect(new Set(p.vertices).size).toBe(p.nPoints)
    const b = meshBounds(p.positions)
    expect([b.min[2], b.max[2]]).toEqual([0, 0])
    expect(b.max[0] - b.min[0]).toBeCloseTo((v.xy_extent as number[])[0], 0)
    expect(b.max[1] - b.min[1]).toBeCloseTo((v.xy_extent as number[])[1], 0)
  })

  it.skipIf(!HAVE_NUMPY)('points equal numpy (vno = |i| - 1, negative = border)', () => {
    const ref =
      py(`r=np.fromfile(FS+'/fsaverage.lh.cortex.patch.flat',dtype=[('v','>i4'),('x','>f4'),('y','>f4'),('z','>f4')],offset=8)
xyz=np.stack([r['x'],r['y'],r['z']],1).astype('<f4')
print(json.dumps({'v':hashlib.sha256((np.abs(r['v'])-1).astype('<i4').tobytes()).hexdigest(),'xyz':hashlib.sha256(xyz.tobytes()).hexdigest(),'b':hashlib.sha256((r['v']<0).astype(np.uint8).tobytes()).hexdigest()}))`)
    const p = readFreeSurferPatch(fixture('freesurfer', 'fsaverage.lh.cortex.patch.flat'))
    expect([sha(p.vertices), sha(p.positions), sha(p.border)]).toEqual([ref.v, ref.xyz, ref.b])
  })

  it('laid over the fsaverage lh surface it keeps vertex order and only in-patch triangles', () => {
    const surf = readFreeSurferSurface(fixture('freesurfer', BB))
    const p = readFreeSurferPatch(fixture('freesurfer', 'fsaverage.lh.cortex.patch.flat'))
    const flat = timed('patchToMesh', () => patchToMesh(p, surf))
    expect(flat.nVertices).toBe(163842)
    expect(flat.inPatch.reduce((a, b) => a + b, 0)).toBe(149297)
    expect(flat.nTriangles).toBeGreaterThan(280000)
    expect(flat.nTriangles).toBeLessThan(surf.nTriangles)
    expect(flat.triangles.every((v) => flat.inPatch[v] === 1)).toBe(true)
    const k = p.vertices[0]
    expect(flat.positions[3 * k]).toBe(p.positions[0])
  })
})

describe('gzip and corrupted FreeSurfer files', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'b2m-fs-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, b: Uint8Array | string) => {
    const p = join(dir, name)
    writeFileSync(p, b)
    return p
  }
  const bytes = (f: string) => readFileSync(fixture('freesurfer', f))

  it('gz-compressed curv, annot, label and patch read like the plain files', () => {
    expect(sha(readFreeSurferCurv(write('lh.curv.gz', gzipSync(bytes('fsaverage.lh.curv')))).values)).toBe(
      sha(readFreeSurferCurv(fixture('freesurfer', 'fsaverage.lh.curv')).values)
    )
    expect(sha(readFreeSurferAnnot(write('lh.annot.gz', gzipSync(bytes('nilearn.test.annot')))).labels)).toBe(
      sha(readFreeSurferAnnot(fixture('freesurfer', 'nilearn.test.annot')).labels)
    )
    expect(readFreeSurferLabel(write('v1.label.gz', gzipSync(bytes('fsaverage.lh.V1.label')))).nPoints).toBe(4641)
    expect(readFreeSurferPatch(write('flat.gz', gzipSync(bytes('fsaverage.lh.cortex.patch.flat')))).nBorder).toBe(1649)
  })

  it('bad magic, wrong kind of file', () => {
    const s = Buffer.from(bytes('bert.lh.inflated.nofix'))
    s[2] = 0x00
    expectB2m(
      () => readFreeSurferSurface(write('bad.surf', s)),
      /is not a FreeSurfer surface: magic bytes are FF FF 00/
    )
    expectB2m(
      () => readFreeSurferSurface(fixture('freesurfer', 'fsaverage.lh.curv')),
      /is a FreeSurfer curv \(per-vertex values\) file, not a surface/
    )
    expectB2m(
      () => readFreeSurferCurv(fixture('freesurfer', 'fsaverage.lh.V1.label')),
      /is not a FreeSurfer curv file: magic bytes are 23 21 61/
    )
    expectB2m(() => readFreeSurferSurface(write('empty', new Uint8Array(0))), /\(empty file\)/)
  })

  it('truncated surface, curv, annot, patch; corrupt gzip', () => {
    const tri = gzipSync(Buffer.from(readFreeSurferSurfaceBytes()).subarray(0, 2_000_000))
    expectB2m(
      () => readFreeSurferSurface(write('cut.surf.gz', tri)),
      /file is truncated: 163842 vertices and 327680 triangles needs 5898264 bytes/
    )
    expectB2m(
      () => readFreeSurferSurface(write('cut.quad', bytes('bert.lh.inflated.nofix').subarray(0, 100000))),
      /file is truncated: 147559 vertices and 147644 quads/
    )
    expectB2m(
      () => readFreeSurferCurv(write('cut.curv', bytes('fsaverage.lh.curv').subarray(0, 1000))),
      /file is truncated: 163842 float32 values/
    )
    expectB2m(
      () => readFreeSurferAnnot(write('cut.annot', bytes('nilearn.test.annot').subarray(0, 50000))),
      /file is truncated: 10242 \(vertex, label\) pairs/
    )
    expectB2m(
      () => readFreeSurferAnnot(write('cut2.annot', bytes('nilearn.test.annot').subarray(0, 83000))),
      /file is truncated: colour-table entry/
    )
    expectB2m(
      () => readFreeSurferPatch(write('cut.patch', bytes('fsaverage.lh.cortex.patch.flat').subarray(0, 5000))),
      /file is truncated: 149297 patch points/
    )
    const gz = Buffer.from(bytes(BB))
    expectB2m(() => readFreeSurferSurface(write('bad.gz', gz.subarray(0, gz.length - 5000))), /corrupt gzip data/)
  })

  it('out-of-range face index and annot vertex, unsupported colour table version', () => {
    const raw = Buffer.from(readFreeSurferSurfaceBytes())
    const faceStart = raw.length - 246 - 327680 * 12
    raw.writeInt32BE(163842, faceStart + 12 * 5 + 4)
    expectB2m(
      () => readFreeSurferSurface(write('badface.surf', raw)),
      /triangle 5 refers to vertex 163842, but the surface has only 163842 vertices/
    )
    const a = Buffer.from(bytes('nilearn.test.annot'))
    a.writeInt32BE(99999, 4 + 8 * 3)
    expectB2m(
      () => readFreeSurferAnnot(write('badvno.annot', a)),
      /annot pair 3 names vertex 99999, outside 0\.\.10241/
    )
    const c = Buffer.from(bytes('nilearn.test.annot'))
    c.writeInt32BE(-3, 4 + 8 * 10242 + 4)
    expectB2m(() => readFreeSurferAnnot(write('v3.annot', c)), /colour table version 3 is not supported/)
    const n = Buffer.from(bytes('nilearn.test.annot')).subarray(0, 4 + 8 * 10242)
    expectB2m(() => readFreeSurferAnnot(write('noctab.annot', n)), /annotation has no colour table/)
  })

  it('a missing file is not_found', () => {
    const err = expectB2m(() => readFreeSurferCurv(join(dir, 'lh.nope')), /file not found/)
    expect(err.code).toBe('not_found')
  })

  function readFreeSurferSurfaceBytes(): Uint8Array {
    return gunzipSync(bytes(BB))
  }
})
