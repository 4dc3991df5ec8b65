/**
 * One colour per genre for stimulus bands and legends: the ten GTZAN genres of ds003720 get fixed
 * hues (Tableau 10, distinguishable in both themes at low opacity); other labels get one by hash.
 */
const FIXED: Record<string, string> = {
  blues: '#4e79a7',
  classical: '#f28e2b',
  country: '#e15759',
  disco: '#76b7b2',
  hiphop: '#59a14f',
  jazz: '#edc948',
  metal: '#b07aa1',
  pop: '#ff9da7',
  reggae: '#9c755f',
  rock: '#bab0ac'
}
const EXTRA = ['#5778a4', '#e49444', '#d1615d', '#85b6b2', '#6a9f58', '#e7ca60', '#a87c9f', '#f1a2a9']

export function genreColour(genre: string | null): string {
  if (!genre) return '#8d97a4'
  const key = genre.toLowerCase().replace(/[^a-z]/g, '')
  if (FIXED[key]) return FIXED[key]
  let h = 0
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0
  return EXTRA[h % EXTRA.length]
}
