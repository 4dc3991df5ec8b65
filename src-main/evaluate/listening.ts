/** Scoring and saving a blinded two-alternative listening test. */
import type { ListeningResult, ListeningTrial } from '../../src-preload/api'
import type { Catalogue } from '../catalogue'
import { B2mError } from '../common/errors'
import { APP_VERSION } from '../common/version'
import { binomialUpperTail } from './binomial'

export interface ListeningScore {
  n: number
  correct: number
  accuracy: number
  /** One-sided binomial p against chance (0.5). */
  p: number
}

export function scoreListening(trials: readonly Pick<ListeningTrial, 'correct' | 'answer'>[]): ListeningScore {
  const n = trials.length
  if (n === 0) throw new B2mError('bad_request', 'a listening test needs at least one trial')
  const correct = trials.reduce((k, t) => k + (t.answer === t.correct ? 1 : 0), 0)
  return { n, correct, accuracy: correct / n, p: binomialUpperTail(correct, n, 0.5) }
}

/**
 * Checks every reference (model, stimuli, clips; the right clip was made for the trial's stimulus when
 * it records one), then stores the test and its trials in one transaction. Nothing is written when a
 * check fails.
 */
export function saveListeningTest(
  catalogue: Catalogue,
  input: { modelId: number | null; trials: ListeningTrial[] }
): ListeningResult {
  const repo = catalogue.listening
  if (input.modelId !== null) {
    const kind = repo.modelKind(input.modelId)
    if (kind === undefined) throw new B2mError('not_found', `listening test: no model ${input.modelId}`)
    if (kind !== 'decoder')
      throw new B2mError('bad_request', `listening test: model ${input.modelId} is an ${kind}, not a decoder`)
  }
  const methods = new Set<string>()
  input.trials.forEach((t, i) => {
    const what = `listening test, trial ${i + 1}`
    if (repo.stimulusKey(t.stimulusId) === undefined)
      throw new B2mError('not_found', `${what}: no stimulus ${t.stimulusId}`)
    if (t.clipA === t.clipB) throw new B2mError('bad_request', `${what}: A and B are the same clip (${t.clipA})`)
    for (const id of [t.clipA, t.clipB]) {
      const ref = repo.clipRef(id)
      if (ref === undefined) throw new B2mError('not_found', `${what}: no clip ${id}`)
      methods.add(ref.method)
    }
    const right = t.correct === 'A' ? t.clipA : t.clipB
    const made = repo.clipRef(right)!.stimulusId
    if (made !== null && made !== t.stimulusId)
      throw new B2mError(
        'bad_request',
        `${what}: the side marked correct (${t.correct}, clip ${right}) was made for stimulus ${made}, not ${t.stimulusId}`
      )
  })
  const score = scoreListening(input.trials)
  return repo.add({
    modelId: input.modelId,
    trials: input.trials,
    correct: score.correct,
    p: score.p,
    provenance: {
      test: 'one-sided binomial',
      chance: 0.5,
      design: 'blinded two-alternative forced choice',
      methods: [...methods].sort(),
      codeVersion: APP_VERSION
    }
  })
}

export function listListeningTests(catalogue: Catalogue): ListeningResult[] {
  return catalogue.listening.list()
}
