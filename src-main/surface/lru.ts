/** A small least-recently-used cache bounded by the bytes of what it holds. */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>()
  private total = 0

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (v: V) => number
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key)
    if (!hit) return undefined
    this.map.delete(key)
    this.map.set(key, hit)
    return hit.value
  }

  set(key: string, value: V): V {
    const old = this.map.get(key)
    if (old) {
      this.total -= old.bytes
      this.map.delete(key)
    }
    const bytes = this.sizeOf(value)
    // Something larger than the whole budget is handed back but not kept.
    if (bytes > this.maxBytes) return value
    this.map.set(key, { value, bytes })
    this.total += bytes
    for (const [k, e] of this.map) {
      if (this.total <= this.maxBytes) break
      this.map.delete(k)
      this.total -= e.bytes
    }
    return value
  }

  /** Returns the cached value or makes, caches and returns it. */
  getOrSet(key: string, make: () => V): V {
    return this.get(key) ?? this.set(key, make())
  }

  get bytes(): number {
    return this.total
  }

  get size(): number {
    return this.map.size
  }

  clear(): void {
    this.map.clear()
    this.total = 0
  }
}
