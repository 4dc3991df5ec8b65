/** The 10 GTZAN genres: the stimulus library of ds003720 and of the Brain2Music paper, in GTZAN's order. */
export const GTZAN_GENRES = [
  'blues',
  'classical',
  'country',
  'disco',
  'hiphop',
  'jazz',
  'metal',
  'pop',
  'reggae',
  'rock'
] as const

export type GtzanGenre = (typeof GTZAN_GENRES)[number]
