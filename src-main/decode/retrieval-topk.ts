/**
 * Top-k selection without sorting the whole score row: a size-k binary min-heap whose root is the worst
 * kept item. Order is (score descending, index ascending), so ties keep the lower library index — the
 * same order as numpy's `argsort(-scores, kind='stable')`.
 *
 * Items must be offered in ascending index order (the retrieval scan does), which lets the hot test be a
 * single `score > worst` comparison: an equal score arriving later always has the larger index.
 */
export class TopK {
  readonly k: number
  private readonly scores: Float64Array
  private readonly index: Int32Array
  private size = 0
  /** The score an item must beat to enter (-Infinity until the heap is full). */
  threshold = -Infinity

  constructor(k: number) {
    this.k = k
    this.scores = new Float64Array(k)
    this.index = new Int32Array(k)
  }

  reset(): void {
    this.size = 0
    this.threshold = this.k === 0 ? Infinity : -Infinity
  }

  /** Offers item `idx` (larger than every index offered before) with `score`. NaN scores are never kept. */
  push(score: number, idx: number): void {
    if (this.size < this.k) {
      if (score !== score) return
      let i = this.size++
      const s = this.scores
      const ix = this.index
      // sift up: the parent must be worse-or-equal (lower score, or equal score and larger index)
      while (i > 0) {
        const p = (i - 1) >> 1
        if (worse(s[p], ix[p], score, idx)) break
        s[i] = s[p]
        ix[i] = ix[p]
        i = p
      }
      s[i] = score
      ix[i] = idx
      if (this.size === this.k) this.threshold = s[0]
      return
    }
    if (!(score > this.threshold)) return
    this.replaceRoot(score, idx)
  }

  private replaceRoot(score: number, idx: number): void {
    const s = this.scores
    const ix = this.index
    const n = this.size
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let c = l
      if (r < n && worse(s[r], ix[r], s[l], ix[l])) c = r
      // the worst child moves up only while it ranks below the new item
      if (!worse(s[c], ix[c], score, idx)) break
      s[i] = s[c]
      ix[i] = ix[c]
      i = c
    }
    s[i] = score
    ix[i] = idx
    this.threshold = s[0]
  }

  /** Writes the kept items best-first into `outIdx`/`outScore` at `offset`; returns how many. */
  drain(outIdx: Int32Array, outScore: Float32Array, offset: number): number {
    const n = this.size
    const order = new Array<number>(n)
    for (let i = 0; i < n; i++) order[i] = i
    const s = this.scores
    const ix = this.index
    order.sort((a, b) => s[b] - s[a] || ix[a] - ix[b])
    for (let i = 0; i < n; i++) {
      outIdx[offset + i] = ix[order[i]]
      outScore[offset + i] = s[order[i]]
    }
    return n
  }
}

/** Whether (sa, ia) ranks strictly below (sb, ib): lower score, or the same score and a larger index. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib)
}
