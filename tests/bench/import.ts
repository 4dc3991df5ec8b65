import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
import { createGzip } from 'node:zlib'
import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeNifti1Header } from '../../src-main/formats/nifti/write'
import { datatypeByName } from '../../src-main/formats/nifti'
import { streamRun } from '../../src-main/import/run-stream'
import { computeEpiMask } from '../../src-main/fmri'
import { python } from './python'

const DIMS = [96, 96, 68, 410] as const

/** A ds003720-size run (96x96x68x410 int16, 514 MB): a bright ellipsoid "brain" with noise, volume by volume. */
function writeRun(path: string): void {
  const [X, Y, Z, T] = DIMS
  const header = encodeNifti1Header(path, { dims: [...DIMS], tr: 1.5, datatype: 'int16' }, datatypeByName('int16'))
  const fd = openSync(path, 'w')
  try {
    writeSync(fd, header)
    const vol = new Int16Array(X * Y * Z)
    let s = 1
    for (let t = 0; t < T; t++) {
      for (let z = 0, i = 0; z < Z; z++)
        for (let y = 0; y < Y; y++)
          for (let x = 0; x < X; x++, i++) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0
            const r = ((x - 48) / 40) ** 2 + ((y - 48) / 44) ** 2 + ((z - 34) / 30) ** 2
            vol[i] = (r < 1 ? 900 : 30) + (s >>> 26)
          }
      writeSync(fd, new Uint8Array(vol.buffer))
    }
  } finally {
    closeSync(fd)
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = performance.now()
  const value = await fn()
  return { seconds: (performance.now() - t) / 1000, value }
}

const NUMPY = (path: string, gz: boolean) => `
import json, time, gzip, numpy as np
p = ${JSON.stringify(path)}
def read_raw():
    if ${gz ? 'True' : 'False'}:
        with gzip.open(p, 'rb') as f: b = f.read()
        return np.frombuffer(b, dtype='<i2', offset=352)
    return np.fromfile(p, dtype='<i2', offset=352)
t = time.perf_counter(); a = read_raw(); raw = time.perf_counter() - t
t = time.perf_counter(); f = read_raw().astype(np.float32); conv = time.perf_counter() - t
print(json.dumps({"raw_seconds": raw, "float32_seconds": conv, "values": int(a.size)}))
`

/**
 * Import read rate on a ds003720-size run, .nii and .nii.gz: the project's streamed reader (scaled float32
 * volumes, mean image; and with a brain mask, the masked time series too) next to numpy reading the
 * same file in the same run (np.fromfile / gzip, raw int16 and converted to float32).
 */
export async function benchImport(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'b2m-bench-import-'))
  try {
    const nii = join(dir, 'run_bold.nii')
    const gz = join(dir, 'run_bold.nii.gz')
    writeRun(nii)
    await pipeline(createReadStream(nii), createGzip({ level: 6 }), createWriteStream(gz))
    const mb = statSync(nii).size / 1e6
    const rows = []
    for (const [name, path, isGz] of [
      ['nii', nii, false],
      ['nii.gz', gz, true]
    ] as const) {
      const np = python(NUMPY(path, isGz)) as { raw_seconds: number; float32_seconds: number }
      const mean = await timed(() => streamRun(path, null, () => undefined))
      const mask = computeEpiMask(mean.value.mean, [DIMS[0], DIMS[1], DIMS[2]]).mask
      const masked = await timed(() => streamRun(path, mask, () => undefined))
      rows.push({
        file: name,
        megabytes: mb,
        b2m: { meanPassMBps: mb / mean.seconds, maskedPassMBps: mb / masked.seconds, maskVoxels: mask.nVoxels },
        numpy: { rawMBps: mb / np.raw_seconds, float32MBps: mb / np.float32_seconds },
        ratioVsNumpyFloat32: np.float32_seconds / masked.seconds,
        ratioVsNumpyRaw: np.raw_seconds / masked.seconds
      })
    }
    return {
      name: 'import',
      unit: 'MB/s of uncompressed image data; ratios > 1 mean b2m is faster (masked pass vs numpy)',
      shape: DIMS,
      rows
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
