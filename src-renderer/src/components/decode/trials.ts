/**
 * Plans a blinded two-alternative listening test: for each chosen stimulus, its best clip of one method
 * and the same method's best clip of another stimulus, in random order. Pure; randomness is injected.
 */
import type { ClipInfo } from '@contract'

export interface PlannedTrial {
  stimulusId: number
  clipA: number
  clipB: number
  correct: 'A' | 'B'
}

/** A uniform integer in [0, n) from the browser's CSPRNG (the order must not be guessable). */
export function cryptoInt(n: number): number {
  const u = new Uint32Array(1)
  crypto.getRandomValues(u)
  return Math.floor((u[0]! / 2 ** 32) * n)
}

/**
 * `clipsOf`: a stimulus's clips in display order (its first playable clip of `method` is used). Returns up
 * to `count` trials over distinct stimuli; empty when fewer than two stimuli have a clip of that method.
 */
export function planTrials(
  stimulusIds: readonly number[],
  clipsOf: (stimulusId: number) => readonly ClipInfo[],
  method: string,
  count: number,
  randInt: (n: number) => number = cryptoInt
): PlannedTrial[] {
  const best = new Map<number, ClipInfo>()
  for (const s of stimulusIds) {
    const c = clipsOf(s).find((x) => x.method === method && x.audio)
    if (c) best.set(s, c)
  }
  const eligible = [...best.keys()]
  if (eligible.length < 2) return []
  // Fisher-Yates over the eligible stimuli, then take the first `count`.
  for (let i = eligible.length - 1; i > 0; i--) {
    const j = randInt(i + 1)
    ;[eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!]
  }
  const trials: PlannedTrial[] = []
  for (const s of eligible) {
    if (trials.length >= count) break
    const right = best.get(s)!
    // A foil retrieved from the same library item would sound the same: skip those.
    const others = eligible.filter((x) => {
      const c = best.get(x)!
      return x !== s && (c.libraryItemId === null || c.libraryItemId !== right.libraryItemId)
    })
    if (others.length === 0) continue
    const foil = best.get(others[randInt(others.length)]!)!.id
    const correct = randInt(2) === 0 ? 'A' : 'B'
    trials.push(
      correct === 'A'
        ? { stimulusId: s, clipA: right.id, clipB: foil, correct }
        : { stimulusId: s, clipA: foil, clipB: right.id, correct }
    )
  }
  return trials
}
