/** Deterministic test data: mulberry32 streams, so every run of a test sees the same numbers. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Uniform in [0, 1). */
export const uniform01 = (seed: number): (() => number) => mulberry32(seed)

/** Uniform in [-1, 1). */
export function uniformSigned(seed: number): () => number {
  const next = mulberry32(seed)
  return () => next() * 2 - 1
}
