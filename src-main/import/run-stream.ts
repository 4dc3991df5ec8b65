import { openNifti } from '../formats/nifti'
import type { NiftiHeader } from '../formats/nifti'
import type { Mask } from '../fmri'

/**
 * One streaming pass over a 4D run: the mean volume always, and when a mask is given the masked
 * time series (T x V float32, time-major). Peak memory: one volume batch, the mean, and the result.
 */
export async function streamRun(
  path: string,
  mask: Mask | null,
  onVolume: (t: number, total: number) => void,
  signal?: AbortSignal
): Promise<{ header: NiftiHeader; mean: Float32Array; masked: Float32Array | null }> {
  const reader = await openNifti(path, { reuse: true, signal })
  const h = reader.header
  const nVox = h.voxelsPerVolume
  const sum = new Float64Array(nVox)
  const masked = mask ? new Float32Array(h.volumes * mask.nVoxels) : null
  let t = 0
  try {
    for await (const vol of reader) {
      for (let i = 0; i < nVox; i++) sum[i] += vol[i]
      if (mask && masked) {
        const idx = mask.indices
        const row = t * mask.nVoxels
        for (let j = 0; j < idx.length; j++) masked[row + j] = vol[idx[j]]
      }
      t++
      onVolume(t, h.volumes)
    }
  } finally {
    await reader.close()
  }
  const mean = new Float32Array(nVox)
  for (let i = 0; i < nVox; i++) mean[i] = sum[i] / Math.max(1, t)
  return { header: h, mean, masked }
}
