import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  type GiftiDocument,
  giftiToScalars,
  parseGifti,
  readGifti,
  readGiftiLabels,
  readGiftiScalars,
  readGiftiSurface
} from '../../src-main/formats/gifti'
import { meshBounds } from '../../src-main/formats/mesh'
import { FIXTURES, fixture } from '../fixtures'

const HAVE_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0
if (!HAVE_NUMPY) console.warn('gifti.test: numpy cross-checks skipped (python3 with numpy not available)')

/** Runs a python snippet (numpy, base64, zlib, gzip, re imported) that prints JSON. */
function py(code: string): unknown {
  const r = spawnSync(
    'python3',
    ['-c', `import numpy as np, base64, zlib, gzip, re, json, sys\nFIX=${JSON.stringify(FIXTURES)}\n${code}`],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20
    }
  )
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

interface ManifestArray {
  intent: string
  datatype: string
  dims: number[]
  encoding: string
  endian: string
  min_max?: [number, number]
  dataspace?: string
}
const MANIFEST = JSON.parse(readFileSync(fixture('MANIFEST.json'), 'utf8')) as Record<
  string,
  { verified?: { n_arrays: number; n_labels: number; version: string; arrays: ManifestArray[] } }
>

const expectB2m = (fn: () => unknown, re: RegExp) => {
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

const giftiFiles = [
  ...readdirSync(fixture('gifti'))
    .filter((f) => f.endsWith('.gii'))
    .map((f) => `gifti/${f}`),
  ...readdirSync(fixture('fsaverage5')).map((f) => `fsaverage5/${f}`)
]

describe('every GIfTI fixture matches its verified layout (MANIFEST.json)', () => {
  it('has the fixtures', () => expect(giftiFiles.length).toBe(29))

  it.each(giftiFiles)('%s', (name) => {
    const v = MANIFEST[name].verified!
    const doc = readGifti(fixture(...name.split('/')))
    expect(doc.version).toBe(v.version)
    expect(doc.arrays.length).toBe(v.n_arrays)
    expect(doc.labels.length).toBe(v.n_labels)
    expect(doc.warnings).toEqual([])
    v.arrays.forEach((m, i) => {
      const a = doc.arrays[i]
      expect(a.intent).toBe(m.intent)
      expect(`NIFTI_TYPE_${a.dataType}`).toBe(m.datatype)
      expect(a.dims).toEqual(m.dims)
      expect(a.data.length).toBe(m.dims.reduce((x, y) => x * y, 1))
      if (m.dataspace) expect(a.coordSystems[0].dataSpace).toBe(m.dataspace)
      if (m.min_max) {
        const [lo, hi] = minMax(a.data)
        expect(lo).toBeCloseTo(m.min_max[0], 2)
        expect(hi).toBeCloseTo(m.min_max[1], 2)
      }
    })
  })
})

describe('GIfTI encodings', () => {
  it('ASCII: ascii.gii, with metadata, transform and space', () => {
    const doc = readGifti(fixture('gifti', 'ascii.gii'))
    expect(doc.meta['Caret-Version']).toBe('5.512')
    expect(doc.arrays[0].meta.AnatomicalStructurePrimary).toBe('CortexLeft')
    expect(doc.arrays[0].encoding).toBe('ASCII')
    expect(Array.from(doc.arrays[0].coordSystems[0].matrix)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    const mesh = readGiftiSurface(fixture('gifti', 'ascii.gii'))
    expect(mesh.nVertices).toBe(3)
    expect(mesh.nTriangles).toBe(1)
    expect(Array.from(mesh.triangles)).toEqual([0, 1, 2])
    expect(mesh.positions[0]).toBeCloseTo(-16.07201, 5)
    expect(mesh.positions[8]).toBeCloseTo(21.071466, 5)
    expect(mesh.space).toBe('NIFTI_XFORM_TALAIRACH')
  })

  it("Base64Binary with nibabel's spellings: base64bin.gii holds the same data as ascii_flat_data.gii", () => {
    const b64 = readGifti(fixture('gifti', 'base64bin.gii'))
    const ascii = readGifti(fixture('gifti', 'ascii_flat_data.gii'))
    expect(b64.arrays.map((a) => [a.encoding, a.endian])).toEqual([
      ['Base64Binary', 'LittleEndian'],
      ['Base64Binary', 'LittleEndian']
    ])
    expect(b64.meta['gifticlib-version']).toMatch(/1\.08/)
    expect(Array.from(b64.arrays[1].data)).toEqual(Array.from(ascii.arrays[1].data))
    const a = b64.arrays[0].data
    const b = ascii.arrays[0].data
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4)
  })

  it('ExternalFileBinary: external.gii + external.dat is a unit cube (offsets 0 and 96)', () => {
    const doc = readGifti(fixture('gifti', 'external.gii'))
    expect(doc.arrays.map((a) => [a.externalFileName, a.externalFileOffset])).toEqual([
      ['external.dat', 0],
      ['external.dat', 96]
    ])
    const mesh = readGiftiSurface(fixture('gifti', 'external.gii'))
    expect(mesh.nVertices).toBe(8)
    expect(mesh.nTriangles).toBe(12)
    expect(Array.from(mesh.positions).every((x) => Math.abs(x) === 1)).toBe(true)
    const counts = new Array<number>(8).fill(0)
    mesh.triangles.forEach((v) => counts[v]++)
    expect(counts.every((c) => c >= 3)).toBe(true) // every corner used by a closed cube
  })

  it.skipIf(!HAVE_NUMPY)('ExternalFileBinary matches numpy reading external.dat', () => {
    const ref = py(`b=open(FIX+'/gifti/external.dat','rb').read()
print(json.dumps({'v':np.frombuffer(b[:96],'<f4').tolist(),'f':np.frombuffer(b[96:240],'<i4').tolist()}))`) as {
      v: number[]
      f: number[]
    }
    const mesh = readGiftiSurface(fixture('gifti', 'external.gii'))
    expect(Array.from(mesh.positions)).toEqual(ref.v)
    expect(Array.from(mesh.triangles)).toEqual(ref.f)
  })

  it.skipIf(!HAVE_NUMPY)('GZipBase64Binary values match numpy (gzipbase64.gii, Conte69, Human.colin)', () => {
    const files = ['gzipbase64.gii', 'Conte69.L.inflated.32k_fs_LR.surf.gii', 'Human.colin.R.FUNCTIONAL.71723.func.gii']
    const ref = py(`out={}
for f in ${JSON.stringify(files)}:
    s=open(FIX+'/gifti/'+f).read()
    ds=re.findall(r'<Data>(.*?)</Data>',s,re.S)
    arrs=[]
    for d,dt in zip(ds, re.findall(r'DataType="(\\w+)"',s)):
        a=np.frombuffer(zlib.decompress(base64.b64decode(d)),'<f4' if 'FLOAT' in dt else '<i4')
        idx=np.linspace(0,a.size-1,25).astype(int)
        arrs.append({'n':int(a.size),'idx':idx.tolist(),'val':a[idx].astype(float).tolist(),'sum':float(a.astype(np.float64).sum())})
    out[f]=arrs
print(json.dumps(out))`) as Record<string, { n: number; idx: number[]; val: number[]; sum: number }[]>
    for (const f of files) {
      const doc = readGifti(fixture('gifti', f))
      ref[f].forEach((r, k) => {
        const data = doc.arrays[k].data
        expect(data.length).toBe(r.n)
        r.idx.forEach((i, j) => expect(data[i]).toBe(r.val[j]))
        let s = 0
        for (let i = 0; i < data.length; i++) s += data[i]
        expect(s).toBeCloseTo(r.sum, 0)
      })
    }
  })

  it('whole-file gzip (.gii.gz) reads like the plain file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'b2m-gifti-'))
    try {
      const plain = join(dir, 'ascii.gii')
      copyFileSync(fixture('gifti', 'ascii.gii'), plain)
      writeFileSync(join(dir, 'ascii.gii.gz'), gzipSync(readFileSync(plain)))
      const a = readGiftiSurface(plain)
      const b = readGiftiSurface(join(dir, 'ascii.gii.gz'))
      expect(Array.from(b.positions)).toEqual(Array.from(a.positions))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Builds a small GIfTI with one array, to exercise byte order, index order and data types. */
function oneArray(attrs: Record<string, string>, data: string, extra = ''): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<GIFTI Version="1.0" NumberOfDataArrays="1">${extra}<DataArray ${a}><Data>${data}</Data></DataArray></GIFTI>`
}

describe('GIfTI byte order, index order and data types', () => {
  const values = [1.5, -2.25, 3, 4e6, -5.125, 6, 7, 8, 9, 10, 11, 12] // a 4 x 3 array, row-major
  const dims = { Dimensionality: '2', Dim0: '4', Dim1: '3' }

  function b64(typed: Float32Array | Int32Array | Int8Array | Uint8Array, bigEndian: boolean): string {
    const buf = Buffer.from(typed.buffer.slice(0))
    if (bigEndian && typed.BYTES_PER_ELEMENT === 4) buf.swap32()
    return buf.toString('base64')
  }
  const colMajor = (v: number[]) => [0, 1, 2].flatMap((j) => [0, 1, 2, 3].map((i) => v[i * 3 + j]))

  it.each([
    ['LittleEndian', 'RowMajorOrder'],
    ['BigEndian', 'RowMajorOrder'],
    ['GIFTI_ENDIAN_BIG', 'ColumnMajorOrder'],
    ['LittleEndian', 'ColumnMajorOrder']
  ])('FLOAT32 %s %s comes out row-major, native', (endian, order) => {
    const src = order === 'ColumnMajorOrder' ? colMajor(values) : values
    const big = endian.includes('BIG') || endian === 'BigEndian'
    const xml = oneArray(
      {
        Intent: 'NIFTI_INTENT_SHAPE',
        DataType: 'NIFTI_TYPE_FLOAT32',
        ...dims,
        Encoding: 'Base64Binary',
        Endian: endian,
        ArrayIndexingOrder: order
      },
      b64(new Float32Array(src), big)
    )
    const a = parseGifti(xml, 'mem.gii').arrays[0]
    expect(Array.from(a.data)).toEqual(values)
    expect(a.indexingOrder).toBe(order)
  })

  it('GZipBase64Binary, big-endian INT32, column-major', () => {
    const raw = Buffer.from(new Int32Array(colMajor(values.map((x) => Math.round(x)))).buffer)
    raw.swap32()
    const xml = oneArray(
      {
        Intent: 'NIFTI_INTENT_LABEL',
        DataType: 'NIFTI_TYPE_INT32',
        ...dims,
        Encoding: 'GZipBase64Binary',
        Endian: 'BigEndian',
        ArrayIndexingOrder: 'ColumnMajorOrder'
      },
      deflateSync(raw).toString('base64')
    )
    expect(Array.from(parseGifti(xml, 'mem.gii').arrays[0].data)).toEqual(values.map((x) => Math.round(x)))
  })

  it('3-d column-major arrays are reordered too', () => {
    const d = [2, 3, 4]
    const rowMajor = Array.from({ length: 24 }, (_, k) => k)
    const col: number[] = new Array(24)
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) col[i + 2 * (j + 3 * k)] = rowMajor[(i * 3 + j) * 4 + k]
    const xml = oneArray(
      {
        DataType: 'NIFTI_TYPE_INT32',
        Dimensionality: '3',
        Dim0: String(d[0]),
        Dim1: String(d[1]),
        Dim2: String(d[2]),
        Encoding: 'ASCII',
        ArrayIndexingOrder: 'ColumnMajorOrder'
      },
      col.join(' ')
    )
    expect(Array.from(parseGifti(xml, 'mem.gii').arrays[0].data)).toEqual(rowMajor)
  })

  it.each([
    ['NIFTI_TYPE_INT8', new Int8Array([-128, -1, 0, 5, 127]), Int8Array],
    ['NIFTI_TYPE_UINT8', new Uint8Array([0, 1, 200, 255, 7]), Uint8Array],
    ['NIFTI_TYPE_INT32', new Int32Array([-2147483648, -1, 0, 1, 2147483647]), Int32Array]
  ])('%s in ASCII and base64', (dtype, typed, ctor) => {
    const base = { Intent: 'NIFTI_INTENT_NONE', DataType: dtype, Dimensionality: '1', Dim0: '5' }
    const ascii = parseGifti(oneArray({ ...base, Encoding: 'ASCII' }, Array.from(typed).join('\n')), 'm.gii')
    const bin = parseGifti(oneArray({ ...base, Encoding: 'Base64Binary' }, b64(typed, false)), 'm.gii')
    for (const doc of [ascii, bin]) {
      expect(doc.arrays[0].data).toBeInstanceOf(ctor)
      expect(Array.from(doc.arrays[0].data)).toEqual(Array.from(typed))
    }
  })

  it('numeric intent codes and CDATA-wrapped data are understood', () => {
    const xml = oneArray(
      { Intent: '2005', DataType: 'NIFTI_TYPE_FLOAT32', Dimensionality: '1', Dim0: '3', Encoding: 'ASCII' },
      '<![CDATA[1 2 3]]>'
    )
    const a = parseGifti(xml, 'm.gii').arrays[0]
    expect(a.intent).toBe('NIFTI_INTENT_SHAPE')
    expect(Array.from(a.data)).toEqual([1, 2, 3])
  })
})

describe('GIfTI helpers: surfaces, scalars, labels', () => {
  it('ascii_flat_data.gii parses raw but is refused as a surface (indices 1123..25604 vs 10 vertices)', () => {
    const doc = readGifti(fixture('gifti', 'ascii_flat_data.gii'))
    expect(doc.arrays[1].data.length).toBe(30)
    const err = expectB2m(
      () => readGiftiSurface(fixture('gifti', 'ascii_flat_data.gii')),
      /triangle 0 refers to vertex 6402, but the surface has only 10 vertices .*1123\.\.25604/
    )
    expect(err.file).toBe(fixture('gifti', 'ascii_flat_data.gii'))
    expect(err.message).toContain('ascii_flat_data.gii')
    expectB2m(() => readGiftiSurface(fixture('gifti', 'base64bin.gii')), /only 10 vertices/)
  })

  it('Conte69 32k_fs_LR and Human.colin surfaces', () => {
    for (const f of ['Conte69.L.inflated.32k_fs_LR.surf.gii', 'Conte69.R.inflated.32k_fs_LR.surf.gii']) {
      const m = readGiftiSurface(fixture('gifti', f))
      expect([m.nVertices, m.nTriangles, m.space]).toEqual([32492, 64980, 'NIFTI_XFORM_TALAIRACH'])
    }
    const doc = readGifti(fixture('gifti', 'Conte69.L.inflated.32k_fs_LR.surf.gii'))
    expect(doc.labels).toEqual([{ key: 0, name: '???', rgba: [1, 1, 1, 0] }])
    expect(doc.arrays[0].meta.GeometricType).toBe('Inflated')
    const colin = readGiftiSurface(fixture('gifti', 'Human.colin.Cerebral.R.VERY_INFLATED.71723.surf.gii'))
    expect([colin.nVertices, colin.nTriangles]).toEqual([71723, 143112])
  })

  it('Human.colin FUNCTIONAL overlay pairs with its surface (2 maps x 71723)', () => {
    const maps = readGiftiScalars(fixture('gifti', 'Human.colin.R.FUNCTIONAL.71723.func.gii'))
    expect(maps.map((m) => m.length)).toEqual([71723, 71723])
    expect(minMax(maps[0])[0]).toBeCloseTo(-670.4, 1)
    expect(minMax(maps[1])[1]).toBeCloseTo(873, 1)
  })

  it('task.func.gii: 10 TIME_SERIES arrays of 642', () => {
    const doc = readGifti(fixture('gifti', 'task.func.gii'))
    const maps = giftiToScalars(doc)
    expect(maps.length).toBe(10)
    expect(maps.every((m) => m.values.length === 642 && m.intent === 'NIFTI_INTENT_TIME_SERIES')).toBe(true)
    expect(doc.arrays[0].meta.TimeStep).toBe('0.000000')
  })

  it('shape files as scalars: gzipbase64.gii (143479), rh.shape.curv.gii (133764)', () => {
    expect(readGiftiScalars(fixture('gifti', 'gzipbase64.gii'))[0].length).toBe(143479)
    expect(readGiftiScalars(fixture('gifti', 'rh.shape.curv.gii'))[0].length).toBe(133764)
  })

  it('label.gii: old Index= keys, no colours, 71723 vertices labelled 0..2', () => {
    const ann = readGiftiLabels(fixture('gifti', 'label.gii'))
    expect(ann.nVertices).toBe(71723)
    expect(ann.table.map((e) => [e.key, e.name])).toEqual([
      [0, '???'],
      [1, 'Positive'],
      [2, 'Negative']
    ])
    expect(ann.table.every((e) => e.rgba[3] === 1)).toBe(true) // fallback colours are visible
    expect(new Set(ann.table.map((e) => e.rgba.join()))).toHaveProperty('size', 3)
    expect(minMax(ann.labels)).toEqual([0, 2])
  })

  it.skipIf(!HAVE_NUMPY)('label.gii counts per label match an independent count', () => {
    const ref = py(`s=open(FIX+'/gifti/label.gii').read()
d=re.search(r'<Data>(.*?)</Data>',s,re.S).group(1)
a=np.array(d.split(),dtype=int)
print(json.dumps(np.bincount(a).tolist()))`) as number[]
    const ann = readGiftiLabels(fixture('gifti', 'label.gii'))
    const counts = [0, 0, 0]
    ann.labels.forEach((l) => counts[l]++)
    expect(counts).toEqual(ref)
  })

  it('rh.aparc.annot.gii: 36 labels keyed by packed RGB; value 0 (not in the table) becomes -1', () => {
    const ann = readGiftiLabels(fixture('gifti', 'rh.aparc.annot.gii'))
    expect(ann.nVertices).toBe(151533)
    expect(ann.table.length).toBe(36)
    expect(ann.table.slice(0, 3).map((e) => e.name)).toEqual(['unknown', 'bankssts', 'caudalanteriorcingulate'])
    const bankssts = ann.table[1]
    expect(bankssts.key).toBe(2647065)
    expect(bankssts.rgba[0]).toBeCloseTo(25 / 255, 5)
    expect(bankssts.key).toBe(25 + 100 * 256 + 40 * 65536)
    // 8771 vertices hold 0, which is no Key in the table (unknown is 1639705): they map to -1
    expect(ann.labels.filter((l) => l === -1).length).toBe(8771)
    expect(new Set(ann.labels).size).toBe(35)
  })

  it('asking for the wrong kind of content is a clear error', () => {
    expectB2m(
      () => readGiftiSurface(fixture('gifti', 'label.gii')),
      /needs a NIFTI_INTENT_POINTSET.*found NIFTI_INTENT_LABEL/
    )
    expectB2m(() => readGiftiLabels(fixture('gifti', 'gzipbase64.gii')), /no NIFTI_INTENT_LABEL array/)
    expectB2m(() => readGiftiScalars(fixture('gifti', 'ascii.gii')), /no per-vertex data arrays/)
  })
})

describe('fsaverage5 (nilearn): morph targets share vertex order', () => {
  const kinds = ['pial', 'white', 'infl', 'sphere', 'flat'] as const
  for (const hemi of ['left', 'right'] as const) {
    it(`${hemi}: counts, shared triangles, sphere radius, flat z, overlays`, () => {
      const meshes = Object.fromEntries(
        kinds.map((k) => [k, readGiftiSurface(fixture('fsaverage5', `${k}_${hemi}.gii.gz`))])
      )
      for (const k of kinds) expect(meshes[k].nVertices).toBe(10242)
      for (const k of ['white', 'infl', 'sphere'] as const) {
        expect(meshes[k].nTriangles).toBe(20480)
        expect(Buffer.from(meshes[k].triangles.buffer).equals(Buffer.from(meshes.pial.triangles.buffer))).toBe(true)
      }
      expect(meshes.flat.nTriangles).toBe(hemi === 'left' ? 18654 : 18790)
      const sphere = meshes.sphere.positions
      let worst = 0
      for (let v = 0; v < 10242; v++) {
        worst = Math.max(worst, Math.abs(Math.hypot(sphere[3 * v], sphere[3 * v + 1], sphere[3 * v + 2]) - 100))
      }
      expect(worst).toBeLessThan(0.01)
      // z = 0 only on the vertices the flat triangles use; the medial-wall vertices left out of the
      // cut keep non-flat coordinates (|z| up to 58 mm), so a viewer must hide unreferenced vertices
      const flat = meshes.flat
      const used = new Uint8Array(10242)
      flat.triangles.forEach((v) => (used[v] = 1))
      let nUsed = 0
      let maxZ = 0
      for (let v = 0; v < 10242; v++) {
        if (!used[v]) continue
        nUsed++
        maxZ = Math.max(maxZ, Math.abs(flat.positions[3 * v + 2]))
      }
      expect(nUsed).toBe(hemi === 'left' ? 9465 : 9537)
      expect(maxZ).toBe(0)
      expect(meshBounds(flat.positions).max[2]).toBeGreaterThan(40)
      const infl = meshBounds(meshes.infl.positions)
      expect(Math.max(...infl.max.map(Math.abs), ...infl.min.map(Math.abs))).toBeLessThan(108.5)
      const ranges: Record<string, [number, number]> = { curv: [-0.41, 0.35], sulc: [-1.5, 1.85], thick: [-0.01, 4.71] }
      for (const [k, [lo, hi]] of Object.entries(ranges)) {
        const [vals] = readGiftiScalars(fixture('fsaverage5', `${k}_${hemi}.gii.gz`))
        expect(vals.length).toBe(10242)
        const [a, b] = minMax(vals)
        expect(a).toBeGreaterThanOrEqual(lo)
        expect(b).toBeLessThanOrEqual(hi)
      }
    })
  }
})

describe('corrupted GIfTI copies fail with specific errors', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'b2m-gifti-bad-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const write = (name: string, content: string | Uint8Array) => {
    const p = join(dir, name)
    writeFileSync(p, content)
    return p
  }
  const src = (f: string) => readFileSync(fixture('gifti', f), 'utf8')

  it('bad base64', () => {
    const s = src('base64bin.gii').replace('5ywbQ7+U', '5ywb!7+U')
    expectB2m(() => readGifti(write('badb64.gii', s)), /DataArray 0: data is not valid base64 \(invalid character '!'/)
  })

  it('bad zlib stream inside GZipBase64Binary', () => {
    const s = src('task.func.gii')
    const m = /<Data>([^<]+)<\/Data>/.exec(s)!
    const bytes = Buffer.from(m[1], 'base64')
    for (let i = 10; i < bytes.length; i += 7) bytes[i] ^= 0x5a
    const bad = s.replace(m[1], bytes.toString('base64'))
    expectB2m(() => readGifti(write('badzlib.gii', bad)), /DataArray 0: compressed data is corrupt/)
  })

  it('corrupt whole-file gzip', () => {
    const gz = readFileSync(fixture('fsaverage5', 'curv_left.gii.gz'))
    const cut = gz.subarray(0, gz.length >> 1)
    expectB2m(() => readGifti(write('cut.gii.gz', cut)), /corrupt gzip data/)
  })

  it('array shorter than its Dims (binary and ASCII)', () => {
    const b = src('base64bin.gii').replace('Dim0="10"', 'Dim0="11"')
    expectB2m(
      () => readGifti(write('short.gii', b)),
      /DataArray 0: data holds 120 bytes, but 33 FLOAT32 values \(its Dims\) need 132/
    )
    const a = src('ascii.gii').replace('Dim0="3"', 'Dim0="4"')
    expectB2m(
      () => readGifti(write('shortascii.gii', a)),
      /DataArray 0: ASCII data holds 9 values, but its Dims declare 12/
    )
    const long = src('ascii.gii').replace('Dim0="3"', 'Dim0="2"')
    expectB2m(() => readGifti(write('longascii.gii', long)), /more than the 6 values/)
  })

  it('bad numbers, unknown encodings and types, missing Dim', () => {
    expectB2m(
      () => readGifti(write('nan.gii', src('ascii.gii').replace('-16.705893', '-16.7x5893'))),
      /'-16\.7x5893' is not a number/
    )
    expectB2m(
      () => readGifti(write('enc.gii', src('ascii.gii').replace('Encoding="ASCII"', 'Encoding="Base32"'))),
      /unknown Encoding 'Base32'/
    )
    expectB2m(
      () => readGifti(write('type.gii', src('ascii.gii').replace('NIFTI_TYPE_FLOAT32', 'NIFTI_TYPE_COMPLEX64'))),
      /DataType 'NIFTI_TYPE_COMPLEX64' is not supported/
    )
    expectB2m(() => readGifti(write('dim.gii', src('ascii.gii').replace('Dim1="3"', ''))), /Dim1 is missing/)
    expectB2m(
      () => readGifti(write('int.gii', src('ascii.gii').replace('0 1 2', '0 1 2.5'))),
      /value 2 \('2\.5'\) is not a valid INT32 integer/
    )
  })

  it('truncated XML, wrong root, not XML at all, empty file', () => {
    const s = src('ascii.gii')
    expectB2m(
      () => readGifti(write('trunc.gii', s.slice(0, s.length - 40))),
      /is not well-formed XML: .*\(line \d+, column \d+\)/
    )
    const big = src('Conte69.L.inflated.32k_fs_LR.surf.gii')
    expectB2m(() => readGifti(write('half.gii', big.slice(0, big.length >> 1))), /is not well-formed XML/)
    // the skeleton the validator sees keeps the payload's newlines: reported lines are true lines
    const at = s.split('\n').findIndex((l) => l.includes('</GIFTI>'))
    const err = expectB2m(
      () => readGifti(write('tag.gii', s.replace('</GIFTI>', '</GIFTY>'))),
      /is not well-formed XML/
    )
    expect(err.message).toContain(`line ${at + 1},`)
    expectB2m(
      () => readGifti(write('root.gii', '<?xml version="1.0"?><NIFTI/>')),
      /root element is <NIFTI>, not <GIFTI>/
    )
    expectB2m(() => readGifti(write('bin.gii', new Uint8Array([0xff, 0xff, 0xfe, 0, 1]))), /does not start with XML/)
    expectB2m(() => readGifti(write('empty.gii', '')), /does not start with XML/)
  })

  it('missing or short external data file', () => {
    copyFileSync(fixture('gifti', 'external.gii'), join(dir, 'external.gii'))
    expectB2m(
      () => readGifti(join(dir, 'external.gii')),
      /DataArray 0: cannot read external data file 'external.dat' \(ENOENT\)/
    )
    writeFileSync(join(dir, 'external.dat'), readFileSync(fixture('gifti', 'external.dat')).subarray(0, 200))
    expectB2m(
      () => readGifti(join(dir, 'external.gii')),
      /DataArray 1: external file 'external.dat' has 200 bytes, but .* need 240/
    )
  })

  it('a missing file is not_found', () => {
    let caught: unknown
    try {
      readGifti(join(dir, 'nope.gii'))
    } catch (err) {
      caught = err
    }
    expect((caught as B2mError).code).toBe('not_found')
  })

  it('NumberOfDataArrays disagreeing is kept as a warning (as nibabel does)', () => {
    const doc: GiftiDocument = readGifti(
      write('count.gii', src('ascii.gii').replace('NumberOfDataArrays="2"', 'NumberOfDataArrays="3"'))
    )
    expect(doc.warnings[0]).toMatch(/NumberOfDataArrays says 3, but the file holds 2/)
  })
})
