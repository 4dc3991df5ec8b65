import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  type NdArray,
  type NpyDtype,
  NPY_DTYPES,
  encodeNpy,
  parseNpy,
  readNpy,
  readNpyHeader,
  shapeSize,
  writeNpy
} from '../../src-main/formats/npy'

const numpyCheck = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' })
const HAVE_NUMPY = numpyCheck.status === 0
if (!HAVE_NUMPY) {
  console.warn(
    `npy.test: numpy interoperability tests skipped: python3 with numpy not available (${
      numpyCheck.error?.message ?? numpyCheck.stderr?.trim() ?? 'unknown'
    })`
  )
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-npy-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function python(script: string): string {
  return execFileSync('python3', ['-c', script], { encoding: 'utf8', maxBuffer: 64 << 20 })
}

/** Deterministic values that exercise each dtype (negatives, fractions, extremes). */
function makeArray(dtype: NpyDtype, shape: number[]): NdArray {
  const n = shapeSize(shape)
  const data = (() => {
    switch (dtype) {
      case 'float32':
        return Float32Array.from({ length: n }, (_, i) => (i - 3) * 0.25 + (i === 1 ? 1e30 : 0))
      case 'float64':
        return Float64Array.from({ length: n }, (_, i) => Math.PI * (i - 2) + (i === 0 ? Number.MIN_VALUE : 0))
      case 'int16':
        return Int16Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * ((i * 1237) % 32768))
      case 'int32':
        return Int32Array.from({ length: n }, (_, i) => (i === 0 ? -2147483648 : (i * 104729 - 50000) | 0))
      case 'uint8':
        return Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256)
      case 'bool':
        return Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0))
    }
  })()
  return { dtype, shape, data }
}

function parseNpyHeaderOf(bytes: Uint8Array): number {
  return 10 + (bytes[8] | (bytes[9] << 8))
}

const SHAPES: number[][] = [[], [0], [7], [3, 4], [2, 3, 4], [3, 0, 2], [2, 1, 3, 2]]

describe('npy round trips', () => {
  for (const dtype of NPY_DTYPES) {
    for (const shape of SHAPES) {
      for (const fortranOrder of [false, true]) {
        it(`${dtype} shape (${shape.join(',')}) ${fortranOrder ? 'F' : 'C'} order`, () => {
          const arr = makeArray(dtype, shape)
          const bytes = encodeNpy(arr, { fortranOrder })
          // v1.0 header: data starts at a multiple of 64
          expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
          const headerLen = bytes[8] | (bytes[9] << 8)
          expect((10 + headerLen) % 64).toBe(0)
          expect(bytes[10 + headerLen - 1]).toBe(0x0a)
          const back = parseNpy(bytes)
          expect(back.dtype).toBe(dtype)
          expect(back.shape).toEqual(shape)
          expect(back.data.constructor).toBe(arr.data.constructor)
          expect(Array.from(back.data)).toEqual(Array.from(arr.data))
          const wroteFortran = fortranOrder && shape.length >= 2
          expect(back.fortranOrder === true).toBe(wroteFortran)
        })
      }
    }
  }

  it('Fortran order lays elements out column-major in the file', () => {
    const arr: NdArray = { dtype: 'int32', shape: [2, 3], data: Int32Array.from([1, 2, 3, 4, 5, 6]) }
    const bytes = encodeNpy(arr, { fortranOrder: true })
    const dataOffset = parseNpyHeaderOf(bytes)
    const text = new TextDecoder('latin1').decode(bytes.subarray(10, dataOffset))
    expect(text).toContain("'fortran_order': True")
    const payload = new Int32Array(bytes.slice(dataOffset).buffer)
    expect(Array.from(payload)).toEqual([1, 4, 2, 5, 3, 6])
  })

  it('writes a v2.0 header when the header exceeds 65535 bytes', () => {
    const shape = new Array<number>(25000).fill(1)
    const arr: NdArray = { dtype: 'float32', shape, data: Float32Array.from([42]) }
    const bytes = encodeNpy(arr)
    expect(bytes[6]).toBe(2)
    const headerLen = new DataView(bytes.buffer).getUint32(8, true)
    expect(headerLen).toBeGreaterThan(65535)
    expect((12 + headerLen) % 64).toBe(0)
    const back = parseNpy(bytes)
    expect(back.shape.length).toBe(25000)
    expect(Array.from(back.data)).toEqual([42])
  })

  it('normalises bool values to 0/1', () => {
    const arr: NdArray = { dtype: 'bool', shape: [3], data: Uint8Array.from([0, 7, 255]) }
    expect(Array.from(parseNpy(encodeNpy(arr)).data)).toEqual([0, 1, 1])
  })

  it('never aliases the input buffer and copes with unaligned data offsets', () => {
    const inner = encodeNpy(makeArray('float64', [5]))
    const padded = new Uint8Array(inner.length + 3)
    padded.set(inner, 3)
    const back = parseNpy(padded.subarray(3))
    expect(Array.from(back.data)).toEqual(Array.from(makeArray('float64', [5]).data))
    padded.fill(0)
    expect(back.data[1]).not.toBe(0)
  })

  it('writeNpy / readNpy / readNpyHeader on real files', () => {
    const p = join(dir, 'file.npy')
    const arr = makeArray('int16', [4, 5])
    writeNpy(p, arr)
    expect(Array.from(readNpy(p).data)).toEqual(Array.from(arr.data))
    const h = readNpyHeader(p)
    expect(h).toMatchObject({
      version: [1, 0],
      dtype: 'int16',
      descr: '<i2',
      shape: [4, 5],
      fortranOrder: false,
      size: 20
    })
    expect(h.dataOffset).toBe(128) // numpy's layout: 21 digits of growth room for the first axis
    expect(h.dataBytes).toBe(40)
  })
})

function expectBad(fn: () => unknown, pattern: RegExp, file?: string): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, 'expected an error').toBeInstanceOf(B2mError)
  const e = caught as B2mError
  expect(e.code).toBe('bad_request')
  expect(e.message).toMatch(pattern)
  if (file) expect(e.file).toBe(file)
}

/** Builds a v1.0 file by hand from a header dict and raw payload. */
function handMade(dict: string, payload: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64
  const header = dict.padEnd(total - prefix - 1, ' ') + '\n'
  const out = new Uint8Array(total + payload.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0])
  const v = new DataView(out.buffer)
  if (major === 1) v.setUint16(8, header.length, true)
  else v.setUint32(8, header.length, true)
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i)
  out.set(payload, total)
  return out
}

describe('npy bad input', () => {
  const f = '/data/x.npy'
  it('bad magic', () => {
    expectBad(() => parseNpy(new TextEncoder().encode('PK\x03\x04 this is a zip file'), f), /bad magic/, f)
    expectBad(() => parseNpy(new Uint8Array(0), f), /bad magic/, f)
  })
  it('unsupported version', () => {
    const b = encodeNpy(makeArray('uint8', [2]))
    b[6] = 4
    expectBad(() => parseNpy(b, f), /version 4\.0/, f)
  })
  it('truncated header', () => {
    expectBad(() => parseNpy(encodeNpy(makeArray('uint8', [2])).subarray(0, 40), f), /truncated NPY file/, f)
  })
  it('truncated data', () => {
    const b = encodeNpy(makeArray('float32', [10]))
    expectBad(() => parseNpy(b.subarray(0, b.length - 4), f), /truncated NPY data.*needs 40 bytes, file has 36/, f)
  })
  it('extra data (shape/size mismatch)', () => {
    const b = encodeNpy(makeArray('float32', [10]))
    const longer = new Uint8Array(b.length + 8)
    longer.set(b)
    expectBad(() => parseNpy(longer, f), /size mismatch.*8 extra/, f)
  })
  it('unsupported dtypes', () => {
    for (const descr of ['<c8', '<u2', '<i8', '|O', '<U5', '<f2']) {
      expectBad(
        () =>
          parseNpy(handMade(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(16)), f),
        /unsupported NPY dtype/,
        f
      )
    }
    expectBad(
      () =>
        parseNpy(
          handMade(
            "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
            new Uint8Array(8)
          ),
          f
        ),
      /structured/,
      f
    )
  })
  it('malformed headers', () => {
    expectBad(() => parseNpy(handMade("{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4)), f), /fortran_order/, f)
    expectBad(
      () => parseNpy(handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", new Uint8Array(4)), f),
      /bad dimension/,
      f
    )
    expectBad(() => parseNpy(handMade('not a dict', new Uint8Array(4)), f), /not a dict/, f)
  })
  it('encode refuses inconsistent arrays', () => {
    expectBad(
      () => encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) }),
      /holds 6 elements but data has 5/
    )
    expectBad(
      () => encodeNpy({ dtype: 'float32', shape: [2], data: new Float64Array(2) }),
      /does not match data of type Float64Array/
    )
    expectBad(
      () => encodeNpy({ dtype: 'complex64' as NpyDtype, shape: [1], data: new Float32Array(2) }),
      /unsupported dtype/
    )
    expectBad(() => encodeNpy({ dtype: 'int32', shape: [1.5], data: new Int32Array(1) }), /bad shape/)
  })
  it('file helpers name the file', () => {
    const p = join(dir, 'broken.npy')
    const b = encodeNpy(makeArray('int32', [100]))
    writeFileSync(p, b.subarray(0, b.length - 1))
    expectBad(() => readNpy(p), /truncated NPY data/, p)
    expectBad(() => readNpyHeader(p), /truncated NPY data/, p)
    writeFileSync(p, 'hello')
    expectBad(() => readNpyHeader(p), /bad magic/, p)
    let e: unknown
    try {
      readNpy(join(dir, 'nope.npy'))
    } catch (err) {
      e = err
    }
    expect(e).toBeInstanceOf(B2mError)
    expect((e as B2mError).code).toBe('not_found')
  })
})

describe.skipIf(!HAVE_NUMPY)('npy interoperability with numpy', () => {
  const DESCRS: Record<string, NpyDtype> = {
    '<f4': 'float32',
    '<f8': 'float64',
    '<i2': 'int16',
    '<i4': 'int32',
    '|u1': 'uint8',
    '|b1': 'bool',
    '>f4': 'float32',
    '>f8': 'float64',
    '>i2': 'int16',
    '>i4': 'int32'
  }

  it('reads files numpy wrote: every dtype, both byte orders, C/F order, 0-d, empty, v1/v2/v3', () => {
    const out = join(dir, 'from-numpy')
    const cases = python(`
import numpy as np, json, os
out = ${JSON.stringify(out)}
os.makedirs(out, exist_ok=True)
descrs = ${JSON.stringify(Object.keys(DESCRS))}
shapes = [(), (0,), (5,), (3, 4), (2, 3, 4), (3, 0, 2)]
cases = []
i = 0
for d in descrs:
    for shape in shapes:
        for order in 'CF':
            for version in [(1, 0), (2, 0), (3, 0)]:
                n = int(np.prod(shape))
                base = (np.arange(n) * 7 - 11)
                if d.endswith('b1'):
                    a = (base % 3 == 0)
                elif d[1] == 'f':
                    a = base * 0.375 + 0.125
                else:
                    a = base
                a = np.asarray(a).astype(np.dtype(d)).reshape(shape, order='C')
                a = a.copy(order=order)  # keeps 0-d arrays 0-d (asfortranarray would not)
                p = os.path.join(out, f'{i}.npy')
                with open(p, 'wb') as f:
                    np.lib.format.write_array(f, a, version=version, allow_pickle=False)
                cases.append(dict(path=p, descr=d, shape=list(shape), order=order, version=list(version),
                                  values=[float(x) for x in a.ravel(order='C').tolist()],
                                  fortran=bool(a.flags.f_contiguous and not a.flags.c_contiguous)))
                i += 1
print(json.dumps(cases))
`)
    const list = JSON.parse(cases) as {
      path: string
      descr: string
      shape: number[]
      version: number[]
      values: number[]
      fortran: boolean
    }[]
    expect(list.length).toBe(10 * 6 * 2 * 3)
    let fortranSeen = 0
    for (const c of list) {
      const arr = readNpy(c.path)
      const label = `${c.path} ${c.descr} (${c.shape}) v${c.version.join('.')}`
      expect(arr.dtype, label).toBe(DESCRS[c.descr])
      expect(arr.shape, label).toEqual(c.shape)
      expect(Array.from(arr.data, Number), label).toEqual(c.values)
      expect(arr.fortranOrder === true, label).toBe(c.fortran)
      if (c.fortran) fortranSeen++
      const h = readNpyHeader(c.path)
      expect(h.version, label).toEqual(c.version)
      expect(h.littleEndian, label).toBe(!c.descr.startsWith('>'))
    }
    expect(fortranSeen).toBeGreaterThan(0)
  })

  it('numpy reads the files we write (C and Fortran order)', () => {
    const written: { path: string; arr: NdArray; fortranOrder: boolean }[] = []
    let i = 0
    for (const dtype of NPY_DTYPES) {
      for (const shape of SHAPES) {
        for (const fortranOrder of [false, true]) {
          const arr = makeArray(dtype, shape)
          const path = join(dir, `ours-${i++}.npy`)
          writeNpy(path, arr, { fortranOrder })
          written.push({ path, arr, fortranOrder })
        }
      }
    }
    const result = JSON.parse(
      python(`
import numpy as np, json
paths = ${JSON.stringify(written.map((w) => w.path))}
res = []
for p in paths:
    a = np.load(p, allow_pickle=False)
    res.append(dict(dtype=str(a.dtype), shape=list(a.shape), f=bool(a.flags.f_contiguous and not a.flags.c_contiguous),
                    values=[float(x) for x in a.ravel(order='C').tolist()]))
print(json.dumps(res))
`)
    ) as { dtype: string; shape: number[]; f: boolean; values: number[] }[]
    expect(result.length).toBe(written.length)
    result.forEach((r, k) => {
      const w = written[k]
      const label = `${w.path} ${w.arr.dtype} (${w.arr.shape})`
      expect(r.dtype, label).toBe(w.arr.dtype)
      expect(r.shape, label).toEqual(w.arr.shape)
      expect(r.values, label).toEqual(Array.from(w.arr.data, Number))
      // numpy calls an array Fortran-ordered only when it is not also C-contiguous
      const fortranOnly = w.fortranOrder && shapeSize(w.arr.shape) > 0 && w.arr.shape.filter((d) => d > 1).length >= 2
      expect(r.f, label).toBe(fortranOnly)
    })
  })

  it('our files are byte-identical to np.save (header layout, padding, data)', () => {
    const cases: { dtype: NpyDtype; shape: number[]; fortranOrder: boolean }[] = []
    for (const dtype of NPY_DTYPES)
      for (const shape of [
        [],
        [0],
        [7],
        [3, 4],
        [123456, 0],
        [2, 3, 4],
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
      ])
        for (const fortranOrder of [false, true]) cases.push({ dtype, shape, fortranOrder })
    const paths = cases.map((_, k) => join(dir, `np-ref-${k}.npy`))
    const srcs = cases.map((_, k) => join(dir, `np-src-${k}.npy`))
    cases.forEach((c, k) => writeNpy(srcs[k], makeArray(c.dtype, c.shape)))
    python(`
import numpy as np, json
cases = json.loads(${JSON.stringify(JSON.stringify(cases.map((c, k) => ({ src: srcs[k], dst: paths[k], f: c.fortranOrder }))))})
for c in cases:
    a = np.load(c['src'])
    if c['f']:
        a = np.asfortranarray(a) if a.ndim > 0 else a
    np.save(c['dst'], a)
`)
    let compared = 0
    cases.forEach((c, k) => {
      const fortranOnly = c.fortranOrder && shapeSize(c.shape) > 0 && c.shape.filter((d) => d > 1).length >= 2
      const ours = encodeNpy(makeArray(c.dtype, c.shape), { fortranOrder: fortranOnly })
      const label = `${c.dtype} (${c.shape}) ${c.fortranOrder ? 'F' : 'C'}`
      expect(Buffer.from(ours).toString('latin1'), label).toBe(readFileSync(paths[k]).toString('latin1'))
      compared++
    })
    expect(compared).toBe(cases.length)
  })
})
