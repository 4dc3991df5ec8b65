/** Pure rules of the Train form (no Vue, no transport: also checked by the core tests). */

/** The ridge engine's default grid, logspace(-2, 10, 25): the form sends alphas only when they differ. */
export const DEFAULT_ALPHA_GRID = { lo: -2, hi: 10, count: 25 } as const
export const DEFAULT_FOLDS = 5

/** "1, 2, 3,4" -> [1, 2, 3, 4]; null when a part is not a whole number of TRs in 0..20. */
export function parseDelays(text: string): number[] | null {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
  const out: number[] = []
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return null
    const v = Number(p)
    if (v > 20) return null
    out.push(v)
  }
  return out
}

/** A preprocessing's FIR delays as a key, "1,2,3,4"; "" when it has none (clip-averaged responses). */
export function delaysKey(delays: unknown): string {
  return Array.isArray(delays) && delays.length ? delays.map(Number).join(',') : ''
}
