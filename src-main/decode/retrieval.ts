/**
 * Exact cosine nearest neighbours over a music library (N x d embeddings, float32, row-major).
 *
 * The library's rows are normalised once and kept in ONE Float32Array (1,000,000 x 128 is 512 MB) in a
 * blocked, transposed layout: blocks of `blockRows` rows, each block stored as d x w (dimension-major).
 * Queries are scored one block at a time by q x d times d x w GEMMs through ONNX Runtime: with the
 * block dimension-major, a single query (M = 1, B not transposed) takes MLAS's GEMV kernel, which streams
 * the block once with SIMD on every core — ~3-4x faster than the row-major N x d · d x 1 product measured
 * on the same machine. Each query's best k are kept by a size-k heap (retrieval-topk.ts): the library is
 * never sorted, and a score block is at most DEFAULT_SCORE_BLOCK floats (queries are batched to keep it so).
 *
 * Engines (same ranking up to float rounding): 'gemm' (ORT, float32) and 'js' (a plain JS scan, float64
 * accumulation, for when no SessionManager is at hand). 'auto' picks by query count (JS_MAX_QUERIES).
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
 * retrieval.ts, 106,574 x 128, 2 cores): the GEMM wins already at q = 1 (~2-3 ms against ~15-30 ms
 * for the scalar JS scan), so 'auto' uses the JS scan only when no SessionManager is given.
 */
export const JS_MAX_QUERIES = 0

/** Default rows per layout block (and per GEMM call). */
export const DEFAULT_BLOCK_ROWS = 65536

/** Bound on one GEMM's score block (floats): 8 Mi = 32 MB; more queries than this / blockRows go in batches. */
export const DEFAULT_SCORE_BLOCK = 8 << 20

export interface CosineIndexOptions {
  /**
   * Reuse the library's own buffer (normalised and re-laid-out block by block, through one block of
   * scratch) instead of allocating a second N x d array. The caller's array is then the index's storage.
   */
  inPlace?: boolean
  /** Rows per block (default DEFAULT_BLOCK_ROWS, at most N). */
  blockRows?: number
}

export interface RetrievalQueryOptions {
  /** How many neighbours per query (clamped to the library size). */
  k: number
  method?: ScoreMethod
  /** Needed for 'gemm'; without it 'auto' uses the JS scan. */
  sessions?: SessionManager
  /** Bound on a GEMM's score block in floats (default DEFAULT_SCORE_BLOCK). */
  scoreBlock?: number
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
    throw new B2mError(
      'bad_request',
      `${what} has ${data.length} values, shape [${rows}, ${cols}] needs ${rows * cols}`
    )
}

/**
 * Normalises each row of `src` (rows x cols, starting at row `first`) to unit Euclidean norm into `dst`
 * (may be `src`); rows with zero norm stay zero. Returns the number of zero rows. Throws on non-finite
 * values, naming the row.
 */
export function normaliseRows(
  what: string,
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  cols: number,
  first = 0
): number {
  let zero = 0
  for (let r = 0; r < rows; r++) {
    const o = r * cols
    let ss = 0
    for (let j = 0; j < cols; j++) ss += src[o + j] * src[o + j]
    if (!Number.isFinite(ss)) throw new B2mError('bad_request', `${what}: row ${first + r} holds a non-finite value`)
    if (ss === 0) {
      zero++
      dst.fill(0, o, o + cols)
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
  /** Rows per block. */
  readonly blockRows: number
  /** The unit-norm rows in the blocked layout: block b (rows b*blockRows ...) is a d x w array. */
  readonly data: Float32Array
  /** How many library rows were all zero (they score 0 against every query). */
  readonly zeroRows: number

  private constructor(data: Float32Array, size: number, dim: number, blockRows: number, zeroRows: number) {
    this.data = data
    this.size = size
    this.dim = dim
    this.blockRows = blockRows
    this.zeroRows = zeroRows
  }

  /** Builds the index from `library` (rows x dim, row-major). */
  static fromLibrary(library: Float32Array, rows: number, dim: number, options: CosineIndexOptions = {}): CosineIndex {
    checkMatrix('library', library, rows, dim)
    const blockRows = Math.min(options.blockRows ?? DEFAULT_BLOCK_ROWS, Math.max(rows, 1))
    if (!Number.isInteger(blockRows) || blockRows < 1)
      throw new B2mError('bad_request', `blockRows must be an integer >= 1, got ${options.blockRows}`)
    const dst = options.inPlace ? library : new Float32Array(rows * dim)
    const scratch = new Float32Array(Math.min(blockRows, rows) * dim)
    let zero = 0
    for (let start = 0; start < rows; start += blockRows) {
      const w = Math.min(blockRows, rows - start)
      const off = start * dim
      const tmp = scratch.subarray(0, w * dim)
      zero += normaliseRows('library', library.subarray(off, off + w * dim), tmp, w, dim, start)
      for (let r = 0; r < w; r++) for (let j = 0; j < dim; j++) dst[off + j * w + r] = tmp[r * dim + j]
    }
    return new CosineIndex(dst, rows, dim, blockRows, zero)
  }

  /** The method 'auto' uses for `queries` queries (the JS scan when there is no SessionManager). */
  static autoMethod(queries: number, haveSessions = true): 'js' | 'gemm' {
    return !haveSessions || queries <= JS_MAX_QUERIES ? 'js' : 'gemm'
  }

  /** Library row i, normalised (a copy). */
  row(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size)
      throw new B2mError('bad_request', `row ${i} is outside the library (0..${this.size - 1})`)
    const start = i - (i % this.blockRows)
    const w = Math.min(this.blockRows, this.size - start)
    const out = new Float32Array(this.dim)
    for (let j = 0; j < this.dim; j++) out[j] = this.data[start * this.dim + j * w + (i - start)]
    return out
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
      const bound = options.scoreBlock ?? DEFAULT_SCORE_BLOCK
      if (!Number.isInteger(bound) || bound < 1)
        throw new B2mError('bad_request', `scoreBlock must be an integer >= 1, got ${options.scoreBlock}`)
      const batch = Math.max(1, Math.floor(bound / this.blockRows))
      for (let q0 = 0; q0 < nQueries; q0 += batch) {
        const nq = Math.min(batch, nQueries - q0)
        await this.scanGemm(
          options.sessions,
          q.subarray(q0 * this.dim, (q0 + nq) * this.dim),
          nq,
          heaps.slice(q0, q0 + nq)
        )
      }
    }
    for (let i = 0; i < nQueries; i++) heaps[i].drain(indices, scores, i * k)
    return result
  }

  private scanJs(q: Float32Array, nq: number, heaps: TopK[]): void {
    const d = this.dim
    const data = this.data
    // rows in tiles small enough that the accumulators stay in L1 while every dimension streams past
    const TILE = 1024
    const acc = new Float64Array(TILE)
    for (let start = 0; start < this.size; start += this.blockRows) {
      const w = Math.min(this.blockRows, this.size - start)
      const off = start * d
      for (let qi = 0; qi < nq; qi++) {
        for (let t0 = 0; t0 < w; t0 += TILE) {
          const tw = Math.min(TILE, w - t0)
          acc.fill(0, 0, tw)
          let j = 0
          // four dimensions per pass: a quarter of the accumulator loads and stores
          for (; j + 4 <= d; j += 4) {
            const a0 = q[qi * d + j]
            const a1 = q[qi * d + j + 1]
            const a2 = q[qi * d + j + 2]
            const a3 = q[qi * d + j + 3]
            const o0 = off + j * w + t0
            const o1 = o0 + w
            const o2 = o1 + w
            const o3 = o2 + w
            for (let r = 0; r < tw; r++)
              acc[r] += a0 * data[o0 + r] + a1 * data[o1 + r] + (a2 * data[o2 + r] + a3 * data[o3 + r])
          }
          for (; j < d; j++) {
            const a = q[qi * d + j]
            const o = off + j * w + t0
            for (let r = 0; r < tw; r++) acc[r] += a * data[o + r]
          }
          pushRow(heaps[qi], acc, 0, tw, start + t0)
        }
      }
    }
  }

  private async scanGemm(sessions: SessionManager, q: Float32Array, nq: number, heaps: TopK[]): Promise<void> {
    const d = this.dim
    for (let start = 0; start < this.size; start += this.blockRows) {
      const w = Math.min(this.blockRows, this.size - start)
      const block = this.data.subarray(start * d, (start + w) * d)
      const s = await matmul(sessions, q, [nq, d], block, [d, w])
      for (let qi = 0; qi < nq; qi++) pushRow(heaps[qi], s, qi * w, w, start)
    }
  }
}

/** Offers scores[offset .. offset+w) as library rows start .. start+w-1. */
function pushRow(heap: TopK, scores: Float32Array | Float64Array, offset: number, w: number, start: number): void {
  let threshold = heap.threshold
  for (let r = 0; r < w; r++) {
    const v = scores[offset + r]
    if (v > threshold || threshold === -Infinity) {
      heap.push(v, start + r)
      threshold = heap.threshold
    }
  }
}
