/**
 * Exact cosine nearest neighbours over a music library (N x d embeddings, float32, row-major).
 *
 * The library's rows are normalised once, into one Float32Array (1,000,000 x 128 is 512 MB). A batch of
 * q queries is normalised too, scored against the library in chunks of rows (so the q x chunk score block
 * stays bounded), and each query's best k are kept by a size-k heap per query (retrieval-topk.ts): the
 * library is never sorted. Two scoring engines give the same ranking up to float rounding:
 *  - 'gemm': one ONNX Runtime GEMM per chunk (queries x chunkᵀ, float32, MLAS/cuBLAS), best for batches;
 *  - 'js': a plain dot-product scan (float64 accumulation), best for one or a few queries, where a GEMM
 *    call's fixed cost and the score block's round trip outweigh the arithmetic.
 * 'auto' (the default) picks by the number of queries (see JS_MAX_QUERIES; measured in tests/bench/retrieval.ts).
 *
 * Conventions: ties rank the lower library index first (numpy's stable argsort of -score); k larger than
 * N gives N results; an all-zero library row or query has cosine 0 with everything (it is not an error);
 * non-finite values are rejected.
 */
import { B2mError } from '../common/errors'
import { matmul } from '../onnx/gemm'
import type { SessionManager } from '../onnx/sessions'
import { TopK } from './retrieval-topk'

export type ScoreMethod = 'auto' | 'js' | 'gemm'

/**
 * Up to this many queries, 'auto' scores with the JS scan instead of a GEMM. Measured (tests/bench/
 * retrieval.ts, 106,574 x 128, 2 cores): the GEMM wins already at q = 1 (the library streams through
 * MLAS's SIMD kernels on every core; the scalar JS scan is ~4x slower), so 'auto' uses the JS scan only
 * when no SessionManager is given.
 */
export const JS_MAX_QUERIES = 0

/** Default bound on one chunk's score block (elements): 4 Mi floats = 16 MB. */
export const DEFAULT_SCORE_BLOCK = 4 << 20

export interface RetrievalQueryOptions {
  /** How many neighbours per query (clamped to the library size). */
  k: number
  method?: ScoreMethod
  /** Needed for 'gemm'; without it 'auto' uses the JS scan. */
  sessions?: SessionManager
  /** Library rows scored per GEMM call (default: DEFAULT_SCORE_BLOCK / q, at least 4096, at most N). */
  chunkRows?: number
}

export interface RetrievalResult {
  /** Number of queries. */
  queries: number
  /** Results per query: min(k, N). */
  k: number
  /** queries x k library row indices, best first. */
  indices: Int32Array
  /** queries x k cosine similarities, matching `indices`. */
  scores: Float32Array
  /** The engine that computed the scores. */
  method: 'js' | 'gemm'
}

function checkMatrix(what: string, data: Float32Array, rows: number, cols: number): void {
  if (!(data instanceof Float32Array)) throw new B2mError('bad_request', `${what} must be a Float32Array`)
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 1)
    throw new B2mError('bad_request', `${what}: shape must be [rows >= 0, cols >= 1], got [${rows}, ${cols}]`)
  if (data.length !== rows * cols)
    throw new B2mError('bad_request', `${what} has ${data.length} values, shape [${rows}, ${cols}] needs ${rows * cols}`)
}

/**
 * Normalises each row of `src` to unit Euclidean norm into `dst` (may be `src`); rows with zero norm stay
 * zero. Returns the number of zero rows. Throws on non-finite values, naming the first row that has one.
 */
export function normaliseRows(
  what: string,
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  cols: number
): number {
  let zero = 0
  for (let r = 0; r < rows; r++) {
    const o = r * cols
    let ss = 0
    for (let j = 0; j < cols; j++) ss += src[o + j] * src[o + j]
    if (!Number.isFinite(ss)) throw new B2mError('bad_request', `${what}: row ${r} holds a non-finite value`)
    if (ss === 0) {
      zero++
      if (dst !== src) dst.fill(0, o, o + cols)
      continue
    }
    const inv = 1 / Math.sqrt(ss)
    for (let j = 0; j < cols; j++) dst[o + j] = src[o + j] * inv
  }
  return zero
}

export class CosineIndex {
  /** Library size N. */
  readonly size: number
  /** Embedding dimension d. */
  readonly dim: number
  /** The unit-norm rows, N x d. */
  readonly normalised: Float32Array
  /** How many library rows were all zero (they score 0 against every query). */
  readonly zeroRows: number

  private constructor(normalised: Float32Array, size: number, dim: number, zeroRows: number) {
    this.normalised = normalised
    this.size = size
    this.dim = dim
    this.zeroRows = zeroRows
  }

  /**
   * Builds the index from `library` (rows x dim, row-major). With `inPlace` the library's own buffer is
   * normalised and kept (no second copy of a large library); otherwise it is copied.
   */
  static fromLibrary(
    library: Float32Array,
    rows: number,
    dim: number,
    options: { inPlace?: boolean } = {}
  ): CosineIndex {
    checkMatrix('library', library, rows, dim)
    const dst = options.inPlace ? library : new Float32Array(rows * dim)
    const zero = normaliseRows('library', library, dst, rows, dim)
    return new CosineIndex(dst, rows, dim, zero)
  }

  /** The method 'auto' uses for `queries` queries (the JS scan when there is no SessionManager). */
  static autoMethod(queries: number, haveSessions = true): 'js' | 'gemm' {
    return !haveSessions || queries <= JS_MAX_QUERIES ? 'js' : 'gemm'
  }

  /** The k nearest library rows (by cosine) of each of `nQueries` rows of `queries` (nQueries x dim). */
  async query(queries: Float32Array, nQueries: number, options: RetrievalQueryOptions): Promise<RetrievalResult> {
    checkMatrix('queries', queries, nQueries, this.dim)
    if (!Number.isInteger(options.k) || options.k < 1)
      throw new B2mError('bad_request', `k must be an integer >= 1, got ${options.k}`)
    const k = Math.min(options.k, this.size)
    const want = options.method ?? 'auto'
    if (want !== 'auto' && want !== 'js' && want !== 'gemm')
      throw new B2mError('bad_request', `unknown scoring method '${String(want)}' (auto, js or gemm)`)
    const method = want === 'auto' ? CosineIndex.autoMethod(nQueries, options.sessions !== undefined) : want
    const indices = new Int32Array(nQueries * k)
    const scores = new Float32Array(nQueries * k)
    const result: RetrievalResult = { queries: nQueries, k, indices, scores, method }
    if (nQueries === 0 || k === 0) return result

    const q = new Float32Array(nQueries * this.dim)
    normaliseRows('queries', queries, q, nQueries, this.dim)
    const heaps = Array.from({ length: nQueries }, () => new TopK(k))
    for (const h of heaps) h.reset()

    if (method === 'js') {
      this.scanJs(q, nQueries, heaps)
    } else {
      if (!options.sessions)
        throw new B2mError('bad_request', 'retrieval with the gemm method needs a SessionManager (options.sessions)')
      let chunk = options.chunkRows ?? Math.max(4096, Math.floor(DEFAULT_SCORE_BLOCK / nQueries))
      if (!Number.isInteger(chunk) || chunk < 1)
        throw new B2mError('bad_request', `chunkRows must be an integer >= 1, got ${options.chunkRows}`)
      chunk = Math.min(chunk, this.size)
      await this.scanGemm(options.sessions, q, nQueries, heaps, chunk)
    }
    for (let i = 0; i < nQueries; i++) heaps[i].drain(indices, scores, i * k)
    return result
  }

  private scanJs(q: Float32Array, nq: number, heaps: TopK[]): void {
    const d = this.dim
    const lib = this.normalised
    const n = this.size
    const d4 = d - (d % 4)
    for (let qi = 0; qi < nq; qi++) {
      const heap = heaps[qi]
      // a float64 copy of the query keeps the inner loop monomorphic and accumulating in float64
      const qv = Float64Array.from(q.subarray(qi * d, qi * d + d))
      let threshold = heap.threshold
      for (let r = 0, o = 0; r < n; r++, o += d) {
        let s0 = 0
        let s1 = 0
        let s2 = 0
        let s3 = 0
        let j = 0
        for (; j < d4; j += 4) {
          s0 += lib[o + j] * qv[j]
          s1 += lib[o + j + 1] * qv[j + 1]
          s2 += lib[o + j + 2] * qv[j + 2]
          s3 += lib[o + j + 3] * qv[j + 3]
        }
        for (; j < d; j++) s0 += lib[o + j] * qv[j]
        const s = s0 + s1 + (s2 + s3)
        if (s > threshold || threshold === -Infinity) {
          heap.push(s, r)
          threshold = heap.threshold
        }
      }
    }
  }

  private async scanGemm(
    sessions: SessionManager,
    q: Float32Array,
    nq: number,
    heaps: TopK[],
    chunk: number
  ): Promise<void> {
    const d = this.dim
    // chunk x d times d x q: the library block streams through as A, the tiny qᵀ is the packed operand,
    // so no copy of the library is made per call (queries x chunkᵀ would pack the whole block first).
    const qt = new Float32Array(d * nq)
    for (let i = 0; i < nq; i++) for (let j = 0; j < d; j++) qt[j * nq + i] = q[i * d + j]
    const thresholds = new Float64Array(nq)
    for (let start = 0; start < this.size; start += chunk) {
      const rows = Math.min(chunk, this.size - start)
      const block = this.normalised.subarray(start * d, (start + rows) * d)
      const s = await matmul(sessions, block, [rows, d], qt, [d, nq])
      for (let qi = 0; qi < nq; qi++) thresholds[qi] = heaps[qi].threshold
      if (nq === 1) {
        const heap = heaps[0]
        let threshold = heap.threshold
        for (let r = 0; r < rows; r++) {
          const v = s[r]
          if (v > threshold || threshold === -Infinity) {
            heap.push(v, start + r)
            threshold = heap.threshold
          }
        }
        continue
      }
      for (let r = 0, o = 0; r < rows; r++, o += nq) {
        for (let qi = 0; qi < nq; qi++) {
          const v = s[o + qi]
          if (v > thresholds[qi] || thresholds[qi] === -Infinity) {
            heaps[qi].push(v, start + r)
            thresholds[qi] = heaps[qi].threshold
          }
        }
      }
    }
  }
}
