import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  affineToQuaternion,
  createNiftiWriter,
  openNifti,
  quaternionToAffine,
  readMasked,
  readNifti,
  readNiftiHeader,
  writeNifti,
  type Mat4,
  type NiftiDatatypeName,
  type NiftiTypedArray
} from '../../src-main/formats/nifti'
import { FIXTURES, fixture } from '../fixtures'

const HAVE_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0
if (!HAVE_NUMPY) console.warn('nifti.test: numpy cross-checks skipped: python3 with numpy not available')

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-nifti-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

interface ManifestEntry {
  verified: {
    gz: boolean
    endian: 'little' | 'big'
    sizeof_hdr: number
    shape: number[]
    datatype: number
    bitpix: number
    pixdim: number[]
    qfac: number
    vox_offset: number
    scl_slope: number
    scl_inter: number
    xyzt_units: number
    qform_code: number
    sform_code: number
    quatern_bcd_offset: number[]
    srow: number[][]
    data_min_max: [number, number]
  }
}
const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'MANIFEST.json'), 'utf8')) as Record<string, ManifestEntry>
const NIFTI_FIXTURES = Object.keys(MANIFEST)
  .filter((k) => k.startsWith('nifti/'))
  .map((k) => k.slice('nifti/'.length))

/** Extensions each fixture carries (from SOURCES.md: two 32-byte ecode-6 comments in the nibabel 4D examples). */
const EXTENSIONS: Record<string, number> = { 'example4d.nii.gz': 2, 'example_nifti2.nii.gz': 2 }

/**
 * Independent reader in numpy: header fields by struct, voxels by np.frombuffer at vox_offset. Prints the
 * raw sum, min, max and the values at the given flat indices (x fastest), as JSON.
 */
const NUMPY_READER = `
import sys, json, gzip, struct, numpy as np
path = sys.argv[1]; idx = json.loads(sys.argv[2])
raw = open(path, 'rb').read()
if raw[:2] == b'\\x1f\\x8b': raw = gzip.decompress(raw)
for e in '<>':
    n = struct.unpack(e + 'i', raw[:4])[0]
    if n in (348, 540): break
if n == 348:
    dim = struct.unpack(e + '8h', raw[40:56]); dt = struct.unpack(e + 'h', raw[70:72])[0]
    pixdim = struct.unpack(e + '8f', raw[76:108]); vox = int(struct.unpack(e + 'f', raw[108:112])[0])
    slope, inter = struct.unpack(e + '2f', raw[112:120]); units = raw[123]
    codes = struct.unpack(e + '2h', raw[252:256]); quat = struct.unpack(e + '6f', raw[256:280])
    srow = struct.unpack(e + '12f', raw[280:328]); magic = raw[344:348]
else:
    dim = struct.unpack(e + '8q', raw[16:80]); dt = struct.unpack(e + 'h', raw[12:14])[0]
    pixdim = struct.unpack(e + '8d', raw[104:168]); vox = struct.unpack(e + 'q', raw[168:176])[0]
    slope, inter = struct.unpack(e + '2d', raw[176:192]); units = struct.unpack(e + 'i', raw[500:504])[0]
    codes = struct.unpack(e + '2i', raw[344:352]); quat = struct.unpack(e + '6d', raw[352:400])
    srow = struct.unpack(e + '12d', raw[400:496]); magic = raw[4:12]
code = {2: 'u1', 4: 'i2', 8: 'i4', 16: 'f4', 64: 'f8', 256: 'i1', 512: 'u2', 768: 'u4'}[dt]
count = int(np.prod(dim[1:dim[0] + 1]))
a = np.frombuffer(raw, dtype=np.dtype(e + code), count=count, offset=vox).astype(np.float64)
print(json.dumps({'dims': list(dim[1:dim[0] + 1]), 'datatype': dt, 'vox_offset': vox, 'sum': float(a.sum()),
  'min': float(a.min()), 'max': float(a.max()), 'voxels': [float(a[i]) for i in idx], 'slope': slope, 'inter': inter,
  'units': units, 'codes': list(codes), 'quat': list(quat), 'srow': list(srow), 'pixdim': list(pixdim),
  'magic': magic.decode('latin1')}))
`
interface NumpyView {
  dims: number[]
  datatype: number
  vox_offset: number
  sum: number
  min: number
  max: number
  voxels: number[]
  slope: number
  inter: number
  units: number
  codes: number[]
  quat: number[]
  srow: number[]
  pixdim: number[]
  magic: string
}
function numpyRead(path: string, indices: number[]): NumpyView {
  return JSON.parse(
    execFileSync('python3', ['-c', NUMPY_READER, path, JSON.stringify(indices)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24
    })
  ) as NumpyView
}

/** Close within a relative tolerance (absolute below 1). */
function expectClose(actual: number, expected: number, rel: number, what = '') {
  const tol = rel * Math.max(1, Math.abs(expected))
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: ${actual} differs from ${expected} by more than ${tol}`)
  }
}
function expectMatClose(a: Mat4, b: number[][], rel: number, what = 'affine') {
  for (let i = 0; i < b.length; i++)
    for (let j = 0; j < 4; j++) expectClose(a[i][j], b[i][j], rel, `${what}[${i}][${j}]`)
}

async function expectB2m(p: Promise<unknown>, file: string, pattern: RegExp): Promise<B2mError> {
  let caught: unknown
  try {
    await p
  } catch (err) {
    caught = err
  }
  expect(caught, 'expected a B2mError').toBeInstanceOf(B2mError)
  const e = caught as B2mError
  expect(e.file).toBe(file)
  expect(e.message).toContain(file)
  expect(e.message).toMatch(pattern)
  return e
}

const bytesOf = (a: NiftiTypedArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

function sumOf(a: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]
  return s
}

describe('NIfTI fixture headers match MANIFEST.json (independently verified values)', () => {
  it('covers every nifti fixture', () => {
    expect(NIFTI_FIXTURES.sort()).toEqual(readdirSync(join(FIXTURES, 'nifti')).sort())
  })

  for (const name of NIFTI_FIXTURES) {
    it(name, async () => {
      const v = MANIFEST[`nifti/${name}`].verified
      const path = fixture('nifti', name)
      const h = await readNiftiHeader(path)
      expect(h.path).toBe(path)
      expect(h.version).toBe(v.sizeof_hdr === 540 ? 2 : 1)
      expect(h.sizeofHdr).toBe(v.sizeof_hdr)
      expect(h.littleEndian).toBe(v.endian === 'little')
      expect(h.gzipped).toBe(v.gz)
      expect(h.dims).toEqual(v.shape)
      expect(h.datatype).toBe(v.datatype)
      expect(h.bitpix).toBe(v.bitpix)
      v.pixdim.forEach((p, k) => expectClose(h.pixdim[k + 1], p, 1e-6, `pixdim[${k + 1}]`))
      expect(h.quaternion.qfac).toBe(v.qfac)
      expect(h.voxOffset).toBe(v.vox_offset)
      expectClose(h.sclSlope, v.scl_slope, 1e-7, 'scl_slope')
      expectClose(h.sclInter, v.scl_inter, 1e-7, 'scl_inter')
      expect(h.xyztUnits).toBe(v.xyzt_units)
      expect(h.qformCode).toBe(v.qform_code)
      expect(h.sformCode).toBe(v.sform_code)
      const [b, c, d, qx, qy, qz] = v.quatern_bcd_offset
      // MANIFEST rounds to 3 decimals
      expectClose(h.quaternion.b, b, 1e-3, 'quatern_b')
      expectClose(h.quaternion.c, c, 1e-3, 'quatern_c')
      expectClose(h.quaternion.d, d, 1e-3, 'quatern_d')
      expectClose(h.quaternion.qx, qx, 1e-3, 'qoffset_x')
      expectClose(h.quaternion.qy, qy, 1e-3, 'qoffset_y')
      expectClose(h.quaternion.qz, qz, 1e-3, 'qoffset_z')
      v.srow.forEach((row, i) => row.forEach((x, j) => expectClose(h.srow[i][j], x, 1e-3, `srow[${i}][${j}]`)))
      // every fixture has sform_code > 0: the sform is the affine
      expect(h.affineSource).toBe('sform')
      expectMatClose(h.affine, v.srow, 1e-3)
      // where a qform is set, the quaternion gives the same affine as the srow (these fixtures are not sheared)
      if (h.qform) expectMatClose(h.qform, v.srow, 2e-3, 'qform')
      else expect(v.qform_code).toBe(0)
      expect(h.extensions.length).toBe(EXTENSIONS[name] ?? 0)
      expect(h.volumes).toBe(v.shape.slice(3).reduce((a, x) => a * x, 1))
      expect(h.dataBytes).toBe(v.shape.reduce((a, x) => a * x, 1) * (v.bitpix / 8))
    })
  }

  it('example4d.nii.gz: two ecode-6 comment extensions of 32 bytes, kept raw', async () => {
    const h = await readNiftiHeader(fixture('nifti', 'example4d.nii.gz'))
    expect(h.extensions.map((e) => [e.ecode, e.esize, e.data.length])).toEqual([
      [6, 32, 24],
      [6, 32, 24]
    ])
    expect(Buffer.from(h.extensions[0].data).toString('latin1').replace(/\0+$/, '')).toBe('extcomment1')
    expect(Buffer.from(h.extensions[1].data).toString('latin1').replace(/\0+$/, '')).toBe('extlongcomment2')
    // descrip holds 'FSL3.3\0 v2.25 NIfTI-1 Single file format': a C string ends at its first NUL
    expect(h.descrip).toBe('FSL3.3')
    expect(h.spatialUnit).toBe('mm')
    expect(h.temporalUnit).toBe('s')
  })

  it('the TR-in-milliseconds quirk is caught: pixdim[4] = 2000 with units of seconds -> TR 2 s and a warning', async () => {
    for (const name of ['example4d.nii.gz', 'example_nifti2.nii.gz']) {
      const path = fixture('nifti', name)
      const h = await readNiftiHeader(path)
      expect(h.pixdim[4]).toBe(2000)
      expect(h.tr).toBe(2)
      expect(h.warnings).toHaveLength(1)
      expect(h.warnings[0]).toContain(path)
      expect(h.warnings[0]).toMatch(/seconds.*2000.*milliseconds.*2 s/)
    }
    const f = await readNiftiHeader(fixture('nifti', 'functional.nii'))
    expect(f.tr).toBe(2)
    expect(f.warnings).toEqual([])
    expect((await readNiftiHeader(fixture('nifti', 'anatomical.nii'))).tr).toBeNull()
  })

  it('NIfTI-2: 64-bit dims and offsets, double pixdim, magic n+2', async () => {
    const h = await readNiftiHeader(fixture('nifti', 'example_nifti2.nii.gz'))
    expect(h.version).toBe(2)
    expect(h.magic).toBe('n+2')
    expect(h.shape).toEqual([32, 20, 12])
    expect(h.volumes).toBe(2)
    expect(h.voxOffset).toBe(608)
  })

  it('functional.nii: scl_slope/scl_inter are applied, raw values stay available', async () => {
    const path = fixture('nifti', 'functional.nii')
    const h = await readNiftiHeader(path)
    expect(h.scaling.applied).toBe(true)
    const raw = await readNifti(path, { raw: true })
    const scaled = await readNifti(path)
    expect(raw.data).toBeInstanceOf(Int16Array)
    expect(scaled.data).toBeInstanceOf(Float32Array)
    for (const i of [0, 1, 17, 500, raw.data.length - 1]) {
      expect(scaled.data[i]).toBe(Math.fround(raw.data[i] * h.sclSlope + h.sclInter))
    }
  })
})

describe('NIfTI voxel data cross-checked against numpy (np.frombuffer at vox_offset)', () => {
  for (const name of NIFTI_FIXTURES) {
    it.skipIf(!HAVE_NUMPY)(name, async () => {
      const path = fixture('nifti', name)
      const v = MANIFEST[`nifti/${name}`].verified
      const { header, data } = await readNifti(path, { raw: true })
      const n = data.length
      const indices = [0, 1, Math.floor(n / 3), Math.floor(n / 2) + 7, n - 2, n - 1]
      const np = numpyRead(path, indices)
      expect(np.dims).toEqual(header.dims)
      expect(np.vox_offset).toBe(header.voxOffset)
      expect(indices.map((i) => data[i])).toEqual(np.voxels)
      let min = Infinity
      let max = -Infinity
      for (let i = 0; i < n; i++) {
        if (data[i] < min) min = data[i]
        if (data[i] > max) max = data[i]
      }
      expect([min, max]).toEqual([np.min, np.max])
      expect([min, max]).toEqual(v.data_min_max)
      expectClose(sumOf(data), np.sum, header.datatype === 16 ? 1e-9 : 0, 'sum')
    })
  }
})

describe('streaming by volume', () => {
  it('openNifti yields each volume as scaled float32, equal to the whole-array read', async () => {
    for (const name of ['example4d.nii.gz', 'functional.nii', 'example_nifti2.nii.gz', 'anatomical.nii']) {
      const path = fixture('nifti', name)
      const whole = await readNifti(path)
      const reader = await openNifti(path)
      const n = reader.header.voxelsPerVolume
      let t = 0
      for await (const vol of reader) {
        expect(vol).toBeInstanceOf(Float32Array)
        expect(vol.length).toBe(n)
        expect(bytesOf(vol).equals(bytesOf(whole.data.subarray(t * n, (t + 1) * n)))).toBe(true)
        t++
      }
      expect(t).toBe(reader.header.volumes)
    }
  })

  it('{ raw: true } yields the stored datatype in native order (big-endian file converted)', async () => {
    const path = fixture('nifti', 'anatomical.nii')
    const reader = await openNifti(path, { raw: true })
    expect(reader.header.littleEndian).toBe(false)
    const vols: NiftiTypedArray[] = []
    for await (const v of reader) vols.push(v)
    expect(vols).toHaveLength(1)
    expect(vols[0]).toBeInstanceOf(Int16Array)
    if (HAVE_NUMPY) {
      const np = numpyRead(path, [0, 1234, 20000])
      expect([vols[0][0], vols[0][1234], vols[0][20000]]).toEqual(np.voxels)
    }
  })

  it('breaking out early closes the file; a reader iterates only once; close() without iterating is fine', async () => {
    const path = fixture('nifti', 'functional.nii')
    const r = await openNifti(path)
    for await (const v of r) {
      expect(v.length).toBe(17 * 21 * 3)
      break
    }
    await expectB2m(
      (async () => {
        for await (const _ of r) void _
      })(),
      path,
      /iterated only once/
    )
    const r2 = await openNifti(fixture('nifti', 'example4d.nii.gz'))
    await r2.close()
    await r2.close()
  })

  it('an AbortSignal stops the stream between volumes', async () => {
    const ac = new AbortController()
    const r = await openNifti(fixture('nifti', 'functional.nii'), { signal: ac.signal })
    let seen = 0
    await expect(
      (async () => {
        for await (const _ of r) {
          void _
          if (++seen === 3) ac.abort()
        }
      })()
    ).rejects.toThrow(/abort/i)
    expect(seen).toBe(3)
  })

  it('readMasked gives the T x V matrix of the masked voxels, scaled', async () => {
    const path = fixture('nifti', 'functional.nii')
    const whole = await readNifti(path)
    const n = 17 * 21 * 3
    const mask = new Uint8Array(n)
    for (let i = 0; i < n; i += 7) mask[i] = 1
    const m = await readMasked(path, mask)
    const V = Math.ceil(n / 7)
    expect(m.shape).toEqual([20, V])
    expect(m.data.length).toBe(20 * V)
    expect(Array.from(m.voxels.subarray(0, 3))).toEqual([0, 7, 14])
    for (const t of [0, 9, 19]) {
      for (const j of [0, 5, V - 1]) expect(m.data[t * V + j]).toBe(whole.data[t * n + m.voxels[j]])
    }
    await expectB2m(readMasked(path, new Uint8Array(10)), path, /mask has 10 voxels.*17x21x3 = 1071/)
    await expectB2m(readMasked(path, new Uint8Array(n)), path, /selects no voxels/)
  })
})

/** A proper rotation (unit quaternion) times spacings, with a reflection and an offset: exactly what a qform can hold. */
function obliqueAffine(): Mat4 {
  const { b, c, d } = { b: 0.1, c: -0.2, d: 0.3 }
  const rot = quaternionToAffine({ b, c, d, qx: -90.5, qy: 110.25, qz: -60.125, qfac: -1 }, [2, 2.5, 3])
  return rot
}

const DTYPES: { name: NiftiDatatypeName; make: (n: number) => NiftiTypedArray }[] = [
  { name: 'uint8', make: (n) => Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256) },
  { name: 'int8', make: (n) => Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128) },
  { name: 'int16', make: (n) => Int16Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * ((i * 1237) % 32768)) },
  { name: 'uint16', make: (n) => Uint16Array.from({ length: n }, (_, i) => (i * 4099) % 65536) },
  {
    name: 'int32',
    make: (n) => Int32Array.from({ length: n }, (_, i) => (i === 0 ? -2147483648 : (i * 104729 - 5e6) | 0))
  },
  { name: 'uint32', make: (n) => Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) % 4294967296) },
  { name: 'float32', make: (n) => Float32Array.from({ length: n }, (_, i) => (i - 3) * 0.25 + (i === 1 ? 1e30 : 0)) },
  { name: 'float64', make: (n) => Float64Array.from({ length: n }, (_, i) => Math.PI * (i - 2)) }
]

describe('write -> read round trips', () => {
  const dims = [5, 4, 3, 2]
  const n = 5 * 4 * 3 * 2
  for (const ext of ['.nii', '.nii.gz']) {
    for (const { name, make } of DTYPES) {
      it(`${name} ${ext}: data, dims, affine (sform and qform to 1e-6), TR and descrip survive`, async () => {
        const path = join(dir, `roundtrip-${name}${ext}`)
        const data = make(n)
        const affine = obliqueAffine()
        await writeNifti(path, { dims, data, affine, tr: 1.5, descrip: `round trip ${name}` })
        const { header: h, data: back } = await readNifti(path, { raw: true })
        expect(h.gzipped).toBe(ext === '.nii.gz')
        expect(h.dims).toEqual(dims)
        expect(h.datatypeName).toBe(name)
        expect(back.constructor).toBe(data.constructor)
        expect(Array.from(back)).toEqual(Array.from(data))
        expect(h.affineSource).toBe('sform')
        expectMatClose(h.sform!, affine, 1e-6, 'sform')
        expectMatClose(h.qform!, affine, 1e-6, 'qform')
        expect(h.quaternion.qfac).toBe(-1)
        expect(h.tr).toBe(1.5)
        expect(h.temporalUnit).toBe('s')
        expect(h.spatialUnit).toBe('mm')
        expect(h.descrip).toBe(`round trip ${name}`)
        expect(h.warnings).toEqual([])
        if (HAVE_NUMPY) {
          const np = numpyRead(path, [0, 1, n - 1])
          expect(np.magic).toBe('n+1\u0000')
          expect(np.voxels).toEqual([data[0], data[1], data[n - 1]])
          expect(np.codes).toEqual([1, 2])
          expectClose(np.sum, sumOf(data), 1e-12, 'sum')
        }
        // no temporary file left beside the target
        expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([])
      })
    }
  }

  it('quaternion maths: affine -> quaternion -> affine for right- and left-handed oblique affines', () => {
    for (const qfac of [1, -1]) {
      const a = quaternionToAffine({ b: -0.4, c: 0.5, d: 0.1, qx: 1, qy: 2, qz: 3, qfac }, [1.5, 2, 4])
      const { quaternion, pixdim } = affineToQuaternion(a)
      expect(quaternion.qfac).toBe(qfac)
      pixdim.forEach((p, k) => expectClose(p, [1.5, 2, 4][k], 1e-12))
      expectMatClose(quaternionToAffine(quaternion, pixdim), a, 1e-12)
    }
    // a 180-degree rotation (a = 0) and the identity
    for (const q of [
      { b: 1, c: 0, d: 0 },
      { b: 0, c: 0, d: 0 }
    ]) {
      const a = quaternionToAffine({ ...q, qx: 0, qy: 0, qz: 0, qfac: 1 }, [1, 1, 1])
      expectMatClose(quaternionToAffine(affineToQuaternion(a).quaternion, [1, 1, 1]), a, 1e-12)
    }
  })

  it('the fixture example4d affine (sheared srow) writes exactly into the sform and approximately into the qform', async () => {
    const src = await readNifti(fixture('nifti', 'example4d.nii.gz'), { raw: true })
    const path = join(dir, 'example4d-copy.nii.gz')
    await writeNifti(path, {
      dims: src.header.dims,
      data: src.data,
      affine: src.header.affine,
      pixdim: [2, 2, 2.2, 2],
      extensions: src.header.extensions
    })
    const h = await readNiftiHeader(path)
    expectMatClose(h.sform!, src.header.affine, 1e-6, 'sform')
    expectMatClose(h.qform!, src.header.affine, 2e-3, 'qform')
    expect(h.tr).toBe(2)
    expect(h.extensions.map((e) => e.ecode)).toEqual([6, 6])
    expect(Buffer.from(h.extensions[0].data)).toEqual(Buffer.from(src.header.extensions[0].data))
    expect(bytesOf((await readNifti(path, { raw: true })).data).equals(bytesOf(src.data))).toBe(true)
  })

  it('scl_slope/scl_inter written are applied on read; qform-only and no-transform files choose the right affine', async () => {
    const p1 = join(dir, 'scaled.nii')
    await writeNifti(p1, { dims: [2, 2, 1], data: Int16Array.from([0, 1, 2, 3]), sclSlope: 0.5, sclInter: 10 })
    expect(Array.from((await readNifti(p1)).data)).toEqual([10, 10.5, 11, 11.5])
    const affine = obliqueAffine()
    const p2 = join(dir, 'qform-only.nii')
    await writeNifti(p2, { dims: [2, 2, 2], data: new Float32Array(8), affine, sformCode: 0 })
    const h2 = await readNiftiHeader(p2)
    expect(h2.affineSource).toBe('qform')
    expect(h2.sform).toBeNull()
    expectMatClose(h2.affine, affine, 1e-6)
    const p3 = join(dir, 'no-transform.nii')
    await writeNifti(p3, { dims: [2, 2, 2], data: new Float32Array(8), pixdim: [3, 4, 5], sformCode: 0, qformCode: 0 })
    const h3 = await readNiftiHeader(p3)
    expect(h3.affineSource).toBe('pixdim')
    expect(h3.affine).toEqual([
      [3, 0, 0, 0],
      [0, 4, 0, 0],
      [0, 0, 5, 0],
      [0, 0, 0, 1]
    ])
  })

  it('converts float data to an integer datatype on request, refusing values that do not fit', async () => {
    const p = join(dir, 'converted.nii')
    await writeNifti(p, { dims: [3, 1, 1], data: Float32Array.from([1.4, -2.6, 300]), datatype: 'int16' })
    expect(Array.from((await readNifti(p, { raw: true })).data)).toEqual([1, -3, 300])
    const q = join(dir, 'overflow.nii')
    await expectB2m(
      writeNifti(q, { dims: [2, 1, 1], data: Float32Array.from([1, 300]), datatype: 'uint8' }),
      q,
      /300 .*cannot be stored as uint8/
    )
    expect(readdirSync(dir).filter((f) => f.startsWith('overflow') || f.includes('overflow.nii.'))).toEqual([])
  })

  it('writer faults: wrong data length, bad dims, unknown datatype, too few volumes', async () => {
    const p = join(dir, 'bad-write.nii')
    await expectB2m(writeNifti(p, { dims: [2, 2, 2], data: new Float32Array(7) }), p, /7 values.*need 8/)
    await expectB2m(writeNifti(p, { dims: [2, 0, 2], data: new Float32Array(0) }), p, /dim 2 is 0/)
    await expectB2m(writeNifti(p, { dims: [2], data: new Float32Array(2), datatype: 9999 }), p, /datatype 9999/)
    const w = await createNiftiWriter(p, { dims: [2, 1, 1, 3], datatype: 'int16' })
    await w.write(Int16Array.from([1, 2]))
    await expectB2m(w.close(), p, /closed after 1 of 3 volumes/)
    expect(() => statSync(p)).toThrow()
    expect(readdirSync(dir).filter((f) => f.includes('bad-write'))).toEqual([])
  })
})

describe('bad input: each a B2mError naming the file and the fault', () => {
  const src = () => readFileSync(fixture('nifti', 'functional.nii'))
  const put = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name)
    writeFileSync(p, bytes)
    return p
  }
  const patch = (bytes: Buffer, fn: (dv: DataView) => void) => {
    const b = Buffer.from(bytes)
    fn(new DataView(b.buffer, b.byteOffset, b.byteLength))
    return b
  }

  it('0-byte file and missing file', async () => {
    const p = put('empty.nii.gz', new Uint8Array(0))
    await expectB2m(readNiftiHeader(p), p, /empty file \(0 bytes\)/)
    const missing = join(dir, 'no-such-file.nii')
    const e = await expectB2m(readNiftiHeader(missing), missing, /not found/)
    expect(e.code).toBe('not_found')
  })

  it('truncated header, truncated data (.nii and .nii.gz)', async () => {
    const p1 = put('truncated-header.nii', src().subarray(0, 200))
    await expectB2m(readNiftiHeader(p1), p1, /truncated header: NIfTI-1 needs 348 bytes.*only 200/)
    const p2 = put('truncated-data.nii', src().subarray(0, 30000))
    const e2 = await expectB2m(readNiftiHeader(p2), p2, /data truncated: dims 17x21x3x20 int16 need 42840 bytes/)
    expect(e2.code).toBe('bad_request')
    await expectB2m(openNifti(p2), p2, /data truncated/)
    // gzip of a truncated .nii: the header reads, the stream comes up short
    const p3 = put('truncated-data.nii.gz', gzipSync(src().subarray(0, 30000)))
    const h3 = await readNiftiHeader(p3)
    expect(h3.dims).toEqual([17, 21, 3, 20])
    await expectB2m(readNifti(p3), p3, /data truncated: .*decompressed stream holds only 29648/)
    // a gzip file cut in the middle of its deflate stream
    const gz = readFileSync(fixture('nifti', 'example4d.nii.gz'))
    const p4 = put('cut-gzip.nii.gz', gz.subarray(0, gz.length >> 1))
    await expectB2m(readNifti(p4), p4, /gzip stream is truncated/)
  })

  it('bad magic, bad sizeof_hdr, .hdr/.img pair header', async () => {
    const p1 = put(
      'bad-magic.nii',
      patch(src(), (dv) => dv.setUint8(345, 'x'.charCodeAt(0)))
    )
    await expectB2m(readNiftiHeader(p1), p1, /bad magic "nx1" at byte 344/)
    const p2 = put(
      'bad-sizeof-hdr.nii',
      patch(src(), (dv) => dv.setInt32(0, 1234, true))
    )
    await expectB2m(readNiftiHeader(p2), p2, /not a NIfTI file: sizeof_hdr is 1234/)
    const p3 = put(
      'pair-header.nii',
      patch(src(), (dv) => dv.setUint8(345, 'i'.charCodeAt(0)))
    )
    await expectB2m(readNiftiHeader(p3), p3, /\.hdr\/\.img pair/)
    const nifti2 = gunzipSync(readFileSync(fixture('nifti', 'example_nifti2.nii.gz')))
    const p4 = put(
      'bad-magic-2.nii',
      patch(nifti2, (dv) => dv.setUint8(8, 0))
    )
    await expectB2m(readNiftiHeader(p4), p4, /bad magic .* for NIfTI-2/)
  })

  it('garbage gzip: random bytes named .gz, a gzip header followed by garbage', async () => {
    const random = Buffer.alloc(1000)
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 251
    const p1 = put('garbage.nii.gz', random)
    await expectB2m(readNiftiHeader(p1), p1, /not gzip data \(starts with 0x0d 0x97, gzip starts 0x1f 0x8b\)/)
    const p2 = put(
      'garbage-after-magic.nii.gz',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), random])
    )
    await expectB2m(readNiftiHeader(p2), p2, /bad gzip data/)
    const p3 = put('bad-gzip-magic-byte.nii.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 99]), random]))
    await expectB2m(readNiftiHeader(p3), p3, /bad gzip data: .*(unknown compression method|incorrect header)/)
  })

  it('zero or negative dims, dim[0] out of range', async () => {
    const p0 = put(
      'dim-zero.nii',
      patch(src(), (dv) => dv.setInt16(44, 0, true))
    )
    await expectB2m(readNiftiHeader(p0), p0, /dim\[2\] is 0: every dimension must be positive/)
    const p1 = put(
      'dim-negative.nii',
      patch(src(), (dv) => dv.setInt16(48, -1, true))
    )
    await expectB2m(readNiftiHeader(p1), p1, /dim\[4\] is -1/)
    const p2 = put(
      'dim0-nine.nii',
      patch(src(), (dv) => dv.setInt16(40, 9, true))
    )
    await expectB2m(readNiftiHeader(p2), p2, /dim\[0\] is 9/)
  })

  it('unknown and unsupported datatypes', async () => {
    const p1 = put(
      'datatype-9999.nii',
      patch(src(), (dv) => dv.setInt16(70, 9999, true))
    )
    await expectB2m(readNiftiHeader(p1), p1, /unknown datatype 9999/)
    const p2 = put(
      'datatype-complex.nii',
      patch(src(), (dv) => dv.setInt16(70, 32, true))
    )
    await expectB2m(readNiftiHeader(p2), p2, /unsupported datatype 32 \(complex64\)/)
  })

  it('vox_offset beyond the file, or not a whole number', async () => {
    const p1 = put(
      'vox-offset-beyond.nii',
      patch(src(), (dv) => dv.setFloat32(108, 1e6, true))
    )
    await expectB2m(readNiftiHeader(p1), p1, /vox_offset 1000000 is beyond the end of the file \(43192 bytes\)/)
    const p2 = put('vox-offset-beyond.nii.gz', gzipSync(patch(src(), (dv) => dv.setFloat32(108, 1e6, true))))
    await expectB2m(readNiftiHeader(p2), p2, /vox_offset 1000000 is beyond the end of the decompressed data/)
    const p3 = put(
      'vox-offset-fraction.nii',
      patch(src(), (dv) => dv.setFloat32(108, 352.5, true))
    )
    await expectB2m(readNiftiHeader(p3), p3, /vox_offset 352.5 is not a whole byte offset/)
  })

  it('a file copied under a .gz name while uncompressed still reads (detected by content)', async () => {
    const p = join(dir, 'plain-named-gz.nii.gz')
    copyFileSync(fixture('nifti', 'functional.nii'), p)
    const h = await readNiftiHeader(p)
    expect(h.gzipped).toBe(false)
    expect(h.dims).toEqual([17, 21, 3, 20])
  })
})

/** A callable gc for honest memory measurements (V8 flag set at runtime, then fetched from a fresh context). */
function getGc(): () => void {
  setFlagsFromString('--expose_gc')
  return runInNewContext('gc') as () => void
}

describe('streaming keeps memory far below the file size', () => {
  // 96x96x68 int16 volumes as in ds003720; 160 volumes = 200 MB
  const [X, Y, Z] = [96, 96, 68]
  const V = X * Y * Z
  const fill = (vol: Int16Array, t: number) => {
    for (let i = 0; i < V; i++) vol[i] = ((i * 31 + t * 977) % 4001) - 2000
  }
  const expectedSum = (T: number) => {
    let s = 0
    const vol = new Int16Array(V)
    for (let t = 0; t < T; t++) {
      fill(vol, t)
      s += sumOf(vol)
    }
    return s
  }

  async function writeSynthetic(path: string, T: number) {
    const w = await createNiftiWriter(path, { dims: [X, Y, Z, T], datatype: 'int16', tr: 1.5, gzipLevel: 1 })
    const vol = new Int16Array(V)
    for (let t = 0; t < T; t++) {
      fill(vol, t)
      await w.write(vol)
    }
    await w.close()
  }

  /** Peak RSS growth while streaming every volume (fresh arrays, or one reused array). */
  async function measure(path: string, T: number, reuse: boolean) {
    const gc = getGc()
    gc()
    const base = process.memoryUsage().rss
    let peak = base
    let sum = 0
    let t = 0
    for await (const vol of await openNifti(path, { reuse })) {
      sum += sumOf(vol)
      t++
      peak = Math.max(peak, process.memoryUsage().rss)
    }
    expect(t).toBe(T)
    return { growth: peak - base, sum }
  }

  /**
   * Fresh arrays per volume: the growth is mostly garbage awaiting V8's external-memory GC trigger (roughly
   * constant, ~60-80 MB here, not proportional to the file), hence the generous bound. With `reuse` what remains
   * is the reader's own footprint (two 8 MB read buffers and a volume for .nii; two volumes and gunzip output
   * chunks awaiting collection for .nii.gz); it is measured first, since RSS does not shrink back after a run.
   */
  async function expectStreams(path: string, T: number, rawBytes: number, what: string) {
    const want = expectedSum(T)
    for (const reuse of [true, false]) {
      const { growth, sum } = await measure(path, T, reuse)
      expect(sum).toBe(want)
      console.info(
        `nifti.test: ${what} of ${(rawBytes / 1e6).toFixed(0)} MB streamed${reuse ? ' (reuse)' : ''}, ` +
          `peak RSS growth ${(growth / 1e6).toFixed(1)} MB`
      )
      expect(growth).toBeLessThan(rawBytes * (reuse ? 0.25 : 0.5))
    }
  }

  it('a 200 MB int16 .nii read volume by volume, and through a mask', { timeout: 180_000 }, async () => {
    const T = 160
    const path = join(dir, 'synthetic-200MB-int16.nii')
    await writeSynthetic(path, T)
    try {
      const size = statSync(path).size
      expect(size).toBe(352 + V * T * 2)
      await expectStreams(path, T, size, '.nii')

      // readMasked: the T x V float32 result plus a few volumes
      const mask = new Uint8Array(V)
      for (let i = 0; i < V; i += 10) mask[i] = 1
      const gc = getGc()
      gc()
      const base = process.memoryUsage().rss
      const m = await readMasked(path, mask)
      const mGrowth = process.memoryUsage().rss - base
      const resultBytes = m.data.byteLength
      expect(m.shape).toEqual([T, Math.ceil(V / 10)])
      const check = new Int16Array(V)
      fill(check, T - 1)
      expect(m.data[(T - 1) * m.shape[1] + 5]).toBe(check[m.voxels[5]])
      console.info(
        `nifti.test: readMasked result ${(resultBytes / 1e6).toFixed(1)} MB, RSS growth ${(mGrowth / 1e6).toFixed(1)} MB`
      )
      expect(mGrowth).toBeLessThan(resultBytes + size * 0.25)
    } finally {
      rmSync(path, { force: true })
    }
  })

  it('a 200 MB int16 .nii.gz read volume by volume through the streaming gunzip', { timeout: 180_000 }, async () => {
    const T = 160
    const path = join(dir, 'synthetic-200MB-int16.nii.gz')
    await writeSynthetic(path, T)
    try {
      await expectStreams(path, T, 352 + V * T * 2, '.nii.gz')
    } finally {
      rmSync(path, { force: true })
    }
  })
})
