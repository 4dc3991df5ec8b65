/**
 * Importing preprocessed response arrays (derivatives): voxels x TRs .npy files like the
 * Resp_Training.npy / Resp_Test_Mean.npy circulating for ds003720, with the mask volume whose nonzero
 * voxels they hold. They become a subject's grid and mask and a preprocessing record on the TR grid,
 * ready for training, in one transaction.
 */
import { B2mError } from '../common/errors'
import { readNifti } from '../formats/nifti'
import { readNpy, type NdArray } from '../formats/npy'
import { maskFromVolume } from '../fmri'
import type { Workspace } from '../workspace'
import type { Preprocessing } from '../catalogue'

export interface ResponsesImportParams {
  subject: string
  train: string
  test: string
  mask: string
  layout: 'voxels-by-time' | 'time-by-voxels'
  tr: number
}

/** A 2-D response array as float32 rows = TRs, columns = voxels. */
function asTimeByVoxels(arr: NdArray, layout: ResponsesImportParams['layout'], nVoxels: number, file: string): NdArray {
  if (arr.shape.length !== 2)
    throw new B2mError('bad_request', `expected a 2-D array, got shape (${arr.shape.join(', ')})`, file)
  const [a, b] = arr.shape
  const [rows, cols] = layout === 'voxels-by-time' ? [b, a] : [a, b]
  if (cols !== nVoxels)
    throw new B2mError(
      'bad_request',
      `holds ${cols} voxels (layout ${layout}, shape ${a} x ${b}) but the mask has ${nVoxels}`,
      file
    )
  const out = new Float32Array(rows * cols)
  const src = arr.data
  if (layout === 'voxels-by-time') {
    for (let v = 0; v < cols; v++) for (let t = 0; t < rows; t++) out[t * cols + v] = src[v * rows + t]
  } else out.set(src)
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i])) throw new B2mError('bad_request', `non-finite value at element ${i}`, file)
  return { dtype: 'float32', shape: [rows, cols], data: out }
}

export async function importResponses(ws: Workspace, p: ResponsesImportParams): Promise<Preprocessing> {
  const cat = ws.catalogue
  const m = await readNifti(p.mask)
  const shape: [number, number, number] = [m.header.shape[0], m.header.shape[1], m.header.shape[2]]
  const mask = maskFromVolume(m.data as Float32Array, shape)
  const train = asTimeByVoxels(readNpy(p.train), p.layout, mask.nVoxels, p.train)
  const test = asTimeByVoxels(readNpy(p.test), p.layout, mask.nVoxels, p.test)
  const existing = cat.subjects.getByLabel(p.subject)
  if (existing && cat.subjects.grid(existing.id))
    throw new B2mError(
      'conflict',
      `${p.subject} already has a voxel grid and mask; import these responses as a new subject label`
    )
  const maskVol = new Uint8Array(shape[0] * shape[1] * shape[2])
  for (const i of mask.indices) maskVol[i] = 1
  const dir = `responses/${p.subject}/derivatives`
  const batch = ws.batch()
  try {
    batch.add(
      `subjects/${p.subject}/mask.npy`,
      { dtype: 'uint8', shape: [shape[2], shape[1], shape[0]], data: maskVol },
      'mask'
    )
    batch.add(`${dir}/train.npy`, train, 'responses-train')
    batch.add(`${dir}/test.npy`, test, 'responses-test')
    return batch.commit(([maskRec, trainRec, testRec]) => {
      const subject = existing ?? cat.subjects.create(p.subject)
      cat.subjects.setGrid(subject.id, {
        maskArrayId: maskRec.id,
        grid: { shape, affine: m.header.affine.map((r) => [...r]) },
        source: p.mask
      })
      const rows = (n: number) => Array.from({ length: n }, (_, t) => ({ row: t, onset: t * p.tr }))
      return cat.preprocessing.create({
        subjectId: subject.id,
        params: {
          source: 'derivatives',
          grid: 'tr',
          tr: p.tr,
          layout: p.layout,
          train: p.train,
          test: p.test,
          mask: p.mask
        },
        trainArrayId: trainRec.id,
        testArrayId: testRec.id,
        trainSamples: rows(train.shape[0]),
        testSamples: rows(test.shape[0]),
        warnings: [],
        provenance: { kind: 'b2m.import.responses/1', files: [p.train, p.test, p.mask] }
      })
    })
  } catch (err) {
    batch.discard()
    throw err
  }
}
