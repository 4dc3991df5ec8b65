/**
 * Feature normalisation fitted on training stimuli: z-score per dimension (population std, as
 * sklearn's StandardScaler) and optional PCA to k dimensions (eigendecomposition of the covariance of the
 * z-scored data by cyclic Jacobi; components sorted by variance, each signed so its largest-magnitude
 * entry is positive, so a refit on the same data gives the same numbers). Saved as .npy + JSON.
 */
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { B2mError } from '../common/errors'
import { readNpy, writeNpy } from '../formats/npy'

type Matrix = Float32Array | Float64Array

/** Symmetric eigendecomposition by cyclic Jacobi: eigenvalues descending, eigenvectors as rows (d x d). */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix)
  const vt = new Float64Array(d * d)
  for (let i = 0; i < d; i++) vt[i * d + i] = 1
  let total = 0
  for (let i = 0; i < d * d; i++) total += a[i] * a[i]
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2
    if (off <= 1e-30 * total || off === 0) break
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]
        if (apq === 0) continue
        const app = a[p * d + p]
        const aqq = a[q * d + q]
        if (Math.abs(apq) < 1e-300) continue
        const theta = (aqq - app) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        // A <- J^T A J touches rows/columns p and q only: update the two rows, mirror into the columns.
        const rp = p * d
        const rq = q * d
        for (let k = 0; k < d; k++) {
          if (k === p || k === q) continue
          const apk = a[rp + k]
          const aqk = a[rq + k]
          const np = c * apk - s * aqk
          const nq = s * apk + c * aqk
          a[rp + k] = np
          a[rq + k] = nq
          a[k * d + p] = np
          a[k * d + q] = nq
        }
        a[rp + p] = app - t * apq
        a[rq + q] = aqq + t * apq
        a[rp + q] = 0
        a[rq + p] = 0
        // eigenvectors kept as rows of vt (vt = V^T), so this update is contiguous too
        for (let k = 0; k < d; k++) {
          const vp = vt[rp + k]
          const vq = vt[rq + k]
          vt[rp + k] = c * vp - s * vq
          vt[rq + k] = s * vp + c * vq
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[j * d + j] - a[i * d + i] || i - j)
  const values = Float64Array.from(order, (i) => a[i * d + i])
  const vectors = new Float64Array(d * d)
  order.forEach((col, r) => {
    let big = 0
    for (let k = 0; k < d; k++) if (Math.abs(vt[col * d + k]) > Math.abs(big)) big = vt[col * d + k]
    const sign = big < 0 ? -1 : 1
    for (let k = 0; k < d; k++) vectors[r * d + k] = sign * vt[col * d + k]
  })
  return { values, vectors }
}

export interface PcaState {
  k: number
  /** k x dim, rows are components. */
  components: Float64Array
  mean: Float64Array
  explainedVariance: Float64Array
  explainedVarianceRatio: Float64Array
}

const TransformJson = z.object({
  format: z.literal('b2m-feature-transform/1'),
  dim: z.number().int().positive(),
  outDim: z.number().int().positive(),
  rows: z.number().int().nonnegative(),
  zscore: z.object({ mean: z.string(), scale: z.string(), constantDims: z.array(z.number().int()) }),
  pca: z
    .object({
      k: z.number().int().positive(),
      components: z.string(),
      mean: z.string(),
      explainedVariance: z.array(z.number()),
      explainedVarianceRatio: z.array(z.number())
    })
    .nullable()
})

/** z-score (and optionally PCA) fitted on training rows; `apply` maps rows x dim to rows x outDim. */
export class FeatureTransform {
  constructor(
    readonly dim: number,
    readonly mean: Float64Array,
    readonly scale: Float64Array,
    readonly rows: number,
    readonly pca?: PcaState,
    /** Dimensions constant on the training rows (scale kept at 1: they map to 0). */
    readonly constantDims: number[] = []
  ) {}

  get outDim(): number {
    return this.pca ? this.pca.k : this.dim
  }

  /** Fits on `data` (rows x dim). `pca`: number of components to keep (<= min(dim, rows)), or none. */
  static fit(data: Matrix, rows: number, dim: number, options: { pca?: number } = {}): FeatureTransform {
    if (data.length !== rows * dim)
      throw new B2mError('bad_request', `data has ${data.length} values, expected ${rows} x ${dim}`)
    if (rows < 2) throw new B2mError('bad_request', `need at least 2 training rows to fit a normalisation, got ${rows}`)
    const mean = new Float64Array(dim)
    const scale = new Float64Array(dim)
    for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j] += data[r * dim + j]
    for (let j = 0; j < dim; j++) mean[j] /= rows
    for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) scale[j] += (data[r * dim + j] - mean[j]) ** 2
    const constantDims: number[] = []
    for (let j = 0; j < dim; j++) {
      const sd = Math.sqrt(scale[j] / rows)
      if (sd > 1e-12 * Math.max(1, Math.abs(mean[j]))) scale[j] = sd
      else {
        scale[j] = 1
        constantDims.push(j)
      }
    }
    const t = new FeatureTransform(dim, mean, scale, rows, undefined, constantDims)
    if (options.pca === undefined) return t
    const k = options.pca
    if (!Number.isInteger(k) || k < 1 || k > dim)
      throw new B2mError('bad_request', `PCA dimension ${k} must be in 1..${dim}`)
    const zed = t.zscore(data, rows)
    const pmean = new Float64Array(dim)
    for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) pmean[j] += zed[r * dim + j]
    for (let j = 0; j < dim; j++) pmean[j] /= rows
    const cov = new Float64Array(dim * dim)
    const row = new Float64Array(dim)
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < dim; j++) row[j] = zed[r * dim + j] - pmean[j]
      for (let i = 0; i < dim; i++) {
        const ri = row[i]
        if (ri === 0) continue
        const o = i * dim
        for (let j = i; j < dim; j++) cov[o + j] += ri * row[j]
      }
    }
    for (let i = 0; i < dim; i++) {
      for (let j = i; j < dim; j++) {
        const c = cov[i * dim + j] / (rows - 1)
        cov[i * dim + j] = c
        cov[j * dim + i] = c
      }
    }
    const { values, vectors } = symmetricEigen(cov, dim)
    let totalVar = 0
    for (let i = 0; i < dim; i++) totalVar += Math.max(0, values[i])
    const explainedVariance = Float64Array.from(values.subarray(0, k), (x) => Math.max(0, x))
    const ratio = Float64Array.from(explainedVariance, (x) => (totalVar > 0 ? x / totalVar : 0))
    return new FeatureTransform(
      dim,
      mean,
      scale,
      rows,
      { k, components: vectors.slice(0, k * dim), mean: pmean, explainedVariance, explainedVarianceRatio: ratio },
      constantDims
    )
  }

  private zscore(data: Matrix, rows: number): Float64Array {
    const out = new Float64Array(rows * this.dim)
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < this.dim; j++) out[r * this.dim + j] = (data[r * this.dim + j] - this.mean[j]) / this.scale[j]
    return out
  }

  /** Applies the transform to rows x dim; returns rows x outDim (float32). */
  apply(data: Matrix, rows = data.length / this.dim): Float32Array {
    if (!Number.isInteger(rows) || data.length !== rows * this.dim) {
      throw new B2mError(
        'bad_request',
        `data has ${data.length} values, not a multiple of the fitted dimension ${this.dim}`
      )
    }
    const zed = this.zscore(data, rows)
    if (!this.pca) return Float32Array.from(zed)
    const { k, components, mean } = this.pca
    const d = this.dim
    const out = new Float32Array(rows * k)
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < k; c++) {
        let s = 0
        for (let j = 0; j < d; j++) s += (zed[r * d + j] - mean[j]) * components[c * d + j]
        out[r * k + c] = s
      }
    }
    return out
  }

  /** Writes `<stem>.json` and its `.npy` arrays into `dir` (each written to a temp name, then renamed). */
  save(dir: string, stem = 'transform'): string {
    const files: Record<string, Float64Array> = {
      [`${stem}.zscore_mean.npy`]: this.mean,
      [`${stem}.zscore_scale.npy`]: this.scale
    }
    if (this.pca) {
      files[`${stem}.pca_components.npy`] = this.pca.components
      files[`${stem}.pca_mean.npy`] = this.pca.mean
    }
    for (const [name, data] of Object.entries(files)) {
      const shape = name.endsWith('pca_components.npy') ? [this.pca?.k ?? 0, this.dim] : [this.dim]
      writeNpy(join(dir, `${name}.tmp`), { dtype: 'float64', shape, data })
    }
    const json: z.infer<typeof TransformJson> = {
      format: 'b2m-feature-transform/1',
      dim: this.dim,
      outDim: this.outDim,
      rows: this.rows,
      zscore: {
        mean: `${stem}.zscore_mean.npy`,
        scale: `${stem}.zscore_scale.npy`,
        constantDims: this.constantDims
      },
      pca: this.pca
        ? {
            k: this.pca.k,
            components: `${stem}.pca_components.npy`,
            mean: `${stem}.pca_mean.npy`,
            explainedVariance: Array.from(this.pca.explainedVariance),
            explainedVarianceRatio: Array.from(this.pca.explainedVarianceRatio)
          }
        : null
    }
    const jsonPath = join(dir, `${stem}.json`)
    writeFileSync(`${jsonPath}.tmp`, JSON.stringify(json, null, 2))
    for (const name of Object.keys(files)) renameSync(join(dir, `${name}.tmp`), join(dir, name))
    renameSync(`${jsonPath}.tmp`, jsonPath)
    return jsonPath
  }

  static load(jsonPath: string): FeatureTransform {
    if (!existsSync(jsonPath)) throw new B2mError('not_found', 'feature transform not found', jsonPath)
    let parsed: z.infer<typeof TransformJson>
    try {
      parsed = TransformJson.parse(JSON.parse(readFileSync(jsonPath, 'utf8')))
    } catch (err) {
      throw new B2mError('bad_request', `invalid feature transform: ${zodText(err)}`, jsonPath)
    }
    const dir = join(jsonPath, '..')
    const vec = (name: string, len: number): Float64Array => {
      const arr = readNpy(join(dir, name))
      if (arr.dtype !== 'float64' || arr.data.length !== len) {
        throw new B2mError(
          'bad_request',
          `${name} holds ${arr.data.length} ${arr.dtype} values, expected ${len} float64`,
          jsonPath
        )
      }
      return arr.data as Float64Array
    }
    const d = parsed.dim
    const pca = parsed.pca
      ? {
          k: parsed.pca.k,
          components: vec(parsed.pca.components, parsed.pca.k * d),
          mean: vec(parsed.pca.mean, d),
          explainedVariance: Float64Array.from(parsed.pca.explainedVariance),
          explainedVarianceRatio: Float64Array.from(parsed.pca.explainedVarianceRatio)
        }
      : undefined
    return new FeatureTransform(
      d,
      vec(parsed.zscore.mean, d),
      vec(parsed.zscore.scale, d),
      parsed.rows,
      pca,
      parsed.zscore.constantDims
    )
  }
}

/** A zod error as "field.path: message; ..." (anything else: its message). */
export function zodText(err: unknown): string {
  if (err instanceof z.ZodError)
    return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ')
  return err instanceof Error ? err.message : String(err)
}
