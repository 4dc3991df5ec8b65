/**
 * Arrangement and rendering: turns a genre style and a seed into a mono clip. The seed fixes every
 * choice (tempo within the style's range, key, swing, progression, patterns, instruments, kit tuning,
 * melody) and every noise source, so the same arguments give bit-identical samples.
 *
 * Time is laid out on a 16-step grid per 4/4 bar; swing moves the off-beat 8ths (or 16ths) later, classical
 * clips breathe with a little rubato, and each event gets a small human timing jitter. Parts render into
 * their own buses (with distortion, filters and echo where the style asks), meet in a mix with a reverb
 * send, then go through compression, master colour, and RMS normalisation with a look-ahead limiter.
 */
import { B2mError } from '../../common/errors'
import { compress, biquad, distort, echo, highpass1, lowpass1, master, mixInto, reverb, rms, scale } from './effects'
import {
  addHit,
  DRUM_NAMES,
  makeKit,
  PRESETS,
  renderNote,
  type DrumName,
  type InstrumentName,
  type KitParams
} from './instruments'
import { Rng } from './rng'
import {
  GENRES,
  KEY_NAMES,
  parseProgression,
  SCALES,
  STYLES,
  type Genre,
  type LeadSpec,
  type ParsedChord,
  type PartSpec,
  type ScaleName,
  type Style
} from './styles'

export interface RenderClipOptions {
  genre: Genre | string
  seed: number
  /** clip length in seconds (default 15) */
  seconds?: number
  /** default 22,050 Hz */
  sampleRate?: number
}

export interface ClipMeta {
  genre: Genre
  seed: number
  /** beats per minute */
  tempo: number
  /** e.g. "E mixolydian" */
  key: string
  /** pitch class of the key's root (0 = C) */
  keyRoot: number
  mode: ScaleName
  /** swing ratio of the swung note value (0.5 = straight, 0.667 = triplet feel) */
  swing: number
  swingUnit: 8 | 16
  seconds: number
  sampleRate: number
  /** the chords in order from the clip's first bar */
  progression: string[]
  barsPerChord: number
  drumPattern: string | null
  /** part id -> instrument */
  instruments: Record<string, string>
  /** where in the rendered song the excerpt starts (s) */
  offset: number
}

export interface RenderedClip {
  samples: Float32Array
  sampleRate: number
  meta: ClipMeta
}

/** -20 dBFS RMS. */
export const TARGET_RMS = 0.1
export const PEAK_CEILING = 0.99

const dB = (d: number) => Math.pow(10, d / 20)

/** The timing grid of one clip: 16th steps -> sample index, with swing and rubato. */
class Grid {
  readonly beatSec: number
  private readonly phase: number
  constructor(
    readonly tempo: number,
    readonly swing: number,
    readonly swingUnit: 8 | 16,
    readonly rubato: number,
    readonly sr: number,
    rng: Rng
  ) {
    this.beatSec = 60 / tempo
    this.phase = rng.range(0, 2 * Math.PI)
  }

  /** seconds at a (fractional) beat position, with rubato over two-bar phrases */
  beatToSec(b: number): number {
    if (this.rubato === 0) return b * this.beatSec
    const P = 8
    const k = (this.rubato * P) / (2 * Math.PI)
    return this.beatSec * (b + k * (Math.sin((2 * Math.PI * b) / P + this.phase) - Math.sin(this.phase)))
  }

  stepBeat(step: number): number {
    const beat = Math.floor(step / 4)
    const pos = step - beat * 4
    const r = this.swing
    let frac: number
    if (this.swingUnit === 8) frac = pos === 0 ? 0 : pos === 1 ? r / 2 : pos === 2 ? r : r + (1 - r) / 2
    else frac = (pos >> 1) * 0.5 + (pos & 1 ? r * 0.5 : 0)
    return beat + frac
  }

  /** sample index of a 16th step */
  at(step: number): number {
    return Math.round(this.beatToSec(this.stepBeat(step)) * this.sr)
  }
}

interface Ctx {
  style: Style
  grid: Grid
  sr: number
  len: number
  bars: number
  keyRoot: number
  mode: ScaleName
  chords: ParsedChord[]
  progOffset: number
  stepsPerChord: number
}

function chordAt(ctx: Ctx, step: number): ParsedChord {
  const i = Math.floor(step / ctx.stepsPerChord)
  return ctx.chords[(ctx.progOffset + i) % ctx.chords.length]
}

/** lowest MIDI note >= lo with pitch class pc */
function placeAbove(pc: number, lo: number): number {
  return lo + ((((pc - lo) % 12) + 12) % 12)
}

function chordTones(ctx: Ctx, ch: ParsedChord): number[] {
  return ch.intervals.map((iv) => (ctx.keyRoot + ch.root + iv) % 12)
}

// -------------------------------------------------------------------------------------------- voicing

function closeVoicings(pcs: number[], lo: number, hi: number): number[][] {
  const out: number[][] = []
  const k = pcs.length
  for (let inv = 0; inv < k; inv++) {
    const base: number[] = [pcs[inv]]
    for (let j = 1; j < k; j++) {
      let n = pcs[(inv + j) % k]
      while (n <= base[base.length - 1]) n += 12
      base.push(n)
    }
    for (let oct = -1; oct < 12; oct++) {
      const v = base.map((n) => n + 12 * oct)
      if (v[0] >= lo && v[v.length - 1] <= hi + 5) out.push(v)
    }
  }
  return out
}

function voiceChord(
  ctx: Ctx,
  ch: ParsedChord,
  kind: NonNullable<PartSpec['voicing']>,
  reg: [number, number],
  prev: number[] | null
): number[] {
  const rootPc = (ctx.keyRoot + ch.root) % 12
  if (kind === 'power') {
    const r = placeAbove(rootPc, reg[0])
    return [r, r + 7, r + 12]
  }
  let ivs = [...new Set(ch.intervals.map((i) => i % 12))]
  if (kind === 'shell') {
    ivs = ivs.filter((i) => i !== 0)
    if (ivs.length > 3) ivs = ivs.filter((i) => i !== 7)
  } else if (ivs.length > 4) ivs = ivs.filter((i) => i !== 7)
  const pcs = ivs.map((i) => (rootPc + i) % 12)
  const cands = closeVoicings(pcs, reg[0], reg[1])
  if (cands.length === 0) return pcs.map((pc) => placeAbove(pc, reg[0]))
  const centre = (reg[0] + reg[1]) / 2
  let best = cands[0]
  let bestCost = Infinity
  for (const v of cands) {
    let cost: number
    const mean = v.reduce((a, b) => a + b, 0) / v.length
    if (prev && prev.length > 0) {
      cost = 0
      for (const n of v) {
        let d = Infinity
        for (const p of prev) d = Math.min(d, Math.abs(n - p))
        cost += d
      }
      cost += 0.3 * Math.abs(mean - centre)
    } else cost = Math.abs(mean - centre)
    if (cost < bestCost) {
      bestCost = cost
      best = v
    }
  }
  if (kind === 'open') return [placeAbove(rootPc, reg[0] - 12), ...best]
  return best
}

// -------------------------------------------------------------------------------------------- parts

interface Note {
  start: number
  dur: number
  midi: number
  vel: number
  bend?: number
}

function tokenLength(pat: string, s: number): number {
  let n = 1
  while (s + n < pat.length && pat[s + n] === '-') n++
  return n
}

function noteSpan(ctx: Ctx, step: number, steps: number, gate: number, jitter: number): [number, number] {
  const a = ctx.grid.at(step) + jitter
  const b = ctx.grid.at(step + steps)
  return [Math.max(0, a), Math.max(1, Math.round((b - a) * gate))]
}

function bassDegree(tok: string, ch: ParsedChord): number {
  const has = (i: number) => ch.intervals.includes(i)
  switch (tok) {
    case '2':
      return 2
    case '3':
      return has(3) ? 3 : 4
    case '4':
      return 5
    case '5':
      return has(6) && !has(7) ? 6 : 7
    case '6':
      return 9
    case '7':
      return has(11) ? 11 : 10
    case '8':
      return 12
    default:
      return 0
  }
}

function bassLine(ctx: Ctx, part: PartSpec, rng: Rng): Note[] {
  const notes: Note[] = []
  const [lo, hi] = part.register
  const gate = part.gate ?? 0.9
  const humanize = (ctx.style.drums?.humanize ?? 4) * 0.001 * ctx.sr
  let pat = rng.pick(part.patterns)
  let prevMidi = placeAbove(ctx.keyRoot, lo)
  for (let bar = 0; bar < ctx.bars; bar++) {
    if (part.perBar) pat = rng.pick(part.patterns)
    for (let s = 0; s < 16; s++) {
      const tok = pat[s]
      if (tok === '-' || tok === '.' || tok === undefined) continue
      const step = bar * 16 + s
      const ch = chordAt(ctx, step)
      const rootMidi = placeAbove((ctx.keyRoot + ch.root) % 12, lo)
      let len = tokenLength(pat, s)
      let midi: number
      if (tok === 'W') {
        midi = walkNote(ctx, step, prevMidi, lo, hi, rng)
      } else if (tok === 'A') {
        const next = chordAt(ctx, bar * 16 + 16)
        const target = placeAbove((ctx.keyRoot + next.root) % 12, lo)
        midi = target + (rng.chance(0.6) || target - 1 < lo ? 1 : -1) * (target + 1 > hi ? -1 : 1)
      } else midi = rootMidi + bassDegree(tok, ch)
      while (midi > hi + 5) midi -= 12
      const held = len > 1
      if (!held && s + 1 < 16 && pat[s + 1] !== '.') len = 1
      const [start, dur] = noteSpan(ctx, step, len, held ? 0.97 : gate, Math.round(rng.normal(0, humanize)))
      const [v0, v1] = part.velocity
      notes.push({ start, dur, midi, vel: rng.range(v0, v1) * (s % 4 === 0 ? 1 : 0.9) })
      prevMidi = midi
    }
  }
  return notes
}

/** a walking-bass quarter note: roots on chord changes, chromatic approach before them, chord/scale tones between */
function walkNote(ctx: Ctx, step: number, prev: number, lo: number, hi: number, rng: Rng): number {
  const ch = chordAt(ctx, step)
  const rootPc = (ctx.keyRoot + ch.root) % 12
  const startOfChord = step % ctx.stepsPerChord === 0
  if (startOfChord) {
    // the root nearest the previous note
    let r = placeAbove(rootPc, lo)
    if (r + 12 <= hi && Math.abs(r + 12 - prev) < Math.abs(r - prev)) r += 12
    return r
  }
  const nextChange = (Math.floor(step / ctx.stepsPerChord) + 1) * ctx.stepsPerChord
  const next = chordAt(ctx, nextChange)
  let target = placeAbove((ctx.keyRoot + next.root) % 12, lo)
  if (target + 12 <= hi && Math.abs(target + 12 - prev) < Math.abs(target - prev)) target += 12
  if (nextChange - step === 4) {
    // beat before the change: a half step above or below the target, or its fifth
    const opts = [target - 1, target + 1, target + 7 <= hi ? target + 7 : target - 5]
    const n = rng.weighted(opts, [0.45, 0.3, 0.25])
    return n < lo ? n + 12 : n
  }
  const tones = new Set(chordTones(ctx, ch))
  const scale = (SCALES[ctx.mode] as readonly number[]).map((i) => (ctx.keyRoot + i) % 12)
  const cands: number[] = []
  const weights: number[] = []
  for (let m = prev - 5; m <= prev + 5; m++) {
    if (m === prev || m < lo || m > hi) continue
    const pc = ((m % 12) + 12) % 12
    const isTone = tones.has(pc)
    if (!isTone && !scale.includes(pc)) continue
    const toward = Math.sign(target - prev) === Math.sign(m - prev) ? 1.6 : 1
    cands.push(m)
    weights.push((isTone ? 2 : 1) * toward * (Math.abs(m - prev) <= 2 ? 1.5 : 1))
  }
  return cands.length > 0 ? rng.weighted(cands, weights) : prev
}

function chordPart(ctx: Ctx, part: PartSpec, rng: Rng): Note[] {
  const notes: Note[] = []
  const gate = part.gate ?? 0.9
  const kind = part.voicing ?? 'close'
  const strum = Math.round((part.strum ?? 0) * ctx.sr)
  const humanize = (ctx.style.drums?.humanize ?? 8) * 0.001 * ctx.sr
  let pat = rng.pick(part.patterns)
  let prevVoicing: number[] | null = null
  let lastChord: ParsedChord | null = null
  let voicing: number[] = []
  for (let bar = 0; bar < ctx.bars; bar++) {
    if (part.perBar) pat = rng.pick(part.patterns)
    for (let s = 0; s < 16; s++) {
      const tok = pat[s]
      if (tok === '-' || tok === '.' || tok === undefined) continue
      const step = bar * 16 + s
      const ch = chordAt(ctx, step)
      if (ch !== lastChord) {
        voicing = voiceChord(ctx, ch, kind, part.register, prevVoicing)
        prevVoicing = voicing
        lastChord = ch
      }
      const len = tokenLength(pat, s)
      const held = len > 1
      const jitter = Math.round(rng.normal(0, humanize))
      const [start, dur] = noteSpan(ctx, step, len, held ? 0.97 : gate, jitter)
      const [v0, v1] = part.velocity
      const accent = s % 4 === 0 ? 1 : 0.88
      if (tok >= '0' && tok <= '9') {
        const idx = Number(tok) % voicing.length
        notes.push({ start, dur, midi: voicing[idx], vel: rng.range(v0, v1) * accent })
        continue
      }
      const up = tok === 'u'
      const chosen = up ? voicing.slice(-3).reverse() : voicing
      chosen.forEach((midi, i) => {
        const off = i * strum + (strum > 0 ? rng.int(0, Math.max(0, strum >> 2)) : 0)
        notes.push({
          start: start + off,
          dur: Math.max(1, dur - off),
          midi,
          vel: rng.range(v0, v1) * accent * (up ? 0.7 : 1) * (0.92 + 0.08 * rng.float())
        })
      })
    }
  }
  return notes
}

interface Motif {
  /** onsets within the motif (steps) with lengths */
  rhythm: { at: number; len: number }[]
  /** scale-index moves between successive notes */
  moves: number[]
}

function leadLine(ctx: Ctx, part: PartSpec, spec: LeadSpec, rng: Rng): Note[] {
  const scale: readonly number[] = SCALES[spec.scale ?? ctx.mode]
  const [lo, hi] = part.register
  const pool: number[] = []
  for (let m = lo; m <= hi; m++) if (scale.includes((((m - ctx.keyRoot) % 12) + 12) % 12)) pool.push(m)
  const motifSteps = 16 * spec.motifBars
  const slots = Math.max(1, Math.floor(motifSteps / spec.unit))
  const makeMotif = (): Motif => {
    const onsets: number[] = []
    for (let k = 0; k < slots; k++) {
      const step = k * spec.unit
      const p = step % 8 === 0 ? spec.density * 1.25 : step % 4 === 0 ? spec.density : spec.density * 0.8
      if ((k === 0 && rng.chance(0.85)) || rng.chance(Math.min(0.97, p))) onsets.push(step)
    }
    // a breath at the end of the motif
    while (onsets.length > 1 && onsets[onsets.length - 1] > motifSteps - 2 * spec.unit && rng.chance(0.6)) onsets.pop()
    const rhythm = onsets.map((at, i) => {
      const next = i + 1 < onsets.length ? onsets[i + 1] : Math.min(motifSteps, at + 4 * spec.unit)
      return { at, len: next - at }
    })
    const moves = rhythm.map(() => rng.weighted([-3, -2, -1, 0, 1, 2, 3, 4], [0.5, 1.2, 3, 0.8, 3, 1.2, 0.5, 0.3]))
    return { rhythm, moves }
  }
  const nearestTone = (idx: number, tones: number[]): number => {
    for (let d = 0; d < pool.length; d++) {
      for (const c of [idx - d, idx + d]) if (c >= 0 && c < pool.length && tones.includes(pool[c] % 12)) return c
    }
    return idx
  }
  const motifA = makeMotif()
  const notes: Note[] = []
  let idx = Math.floor(pool.length * 0.45)
  const phrases = Math.ceil(ctx.bars / spec.motifBars)
  const [v0, v1] = part.velocity
  const humanize = (ctx.style.drums?.humanize ?? 10) * 0.001 * ctx.sr
  for (let ph = 0; ph < phrases; ph++) {
    const letter = spec.form[ph % spec.form.length]
    if (letter === '-') continue
    const motif = letter === 'A' ? motifA : makeMotif()
    const base = ph * motifSteps
    const phraseNotes: Note[] = []
    motif.rhythm.forEach((r, i) => {
      const step = base + r.at
      const ch = chordAt(ctx, step)
      const tones = chordTones(ctx, ch)
      let move = motif.moves[i]
      if (rng.chance(spec.variation)) move = rng.int(-2, 2)
      if (i === 0) idx = nearestTone(idx, tones)
      else idx += move
      if (idx < 2) idx += 3
      if (idx > pool.length - 3) idx -= 3
      idx = Math.max(0, Math.min(pool.length - 1, idx))
      if (step % 8 === 0 && rng.chance(0.7)) idx = nearestTone(idx, tones)
      const [start, dur] = noteSpan(ctx, step, r.len, spec.legato, Math.round(rng.normal(0, humanize)))
      const bend = spec.bendProb && r.len >= 2 * spec.unit && rng.chance(spec.bendProb) ? rng.pick([1, 2]) : undefined
      phraseNotes.push({ start, dur, midi: pool[idx], vel: rng.range(v0, v1) * (step % 8 === 0 ? 1 : 0.9), bend })
    })
    if (spec.chromatic) {
      for (let i = 0; i + 1 < phraseNotes.length; i++) {
        const a = phraseNotes[i]
        const b = phraseNotes[i + 1]
        if (rng.chance(spec.chromatic) && Math.abs(b.midi - a.midi) > 1) a.midi = b.midi + (rng.chance(0.7) ? -1 : 1)
      }
    }
    notes.push(...phraseNotes)
  }
  return notes
}

// -------------------------------------------------------------------------------------------- drums

const VEL: Record<string, number> = { X: 1, x: 0.8, o: 0.6, g: 0.3 }

interface Hit {
  drum: DrumName
  at: number
  vel: number
}

function drumHits(ctx: Ctx, rng: Rng): { hits: Hit[]; pattern: string } {
  const spec = ctx.style.drums
  if (!spec) return { hits: [], pattern: '' }
  const pattern = rng.pick(spec.patterns)
  const hits: Hit[] = []
  const jitter = spec.humanize * 0.001 * ctx.sr
  const push = (drum: DrumName, step: number, vel: number) => {
    const at = Math.max(0, ctx.grid.at(step) + Math.round(rng.normal(0, jitter)))
    hits.push({ drum, at, vel: Math.max(0.05, vel * (1 + rng.normal(0, 0.07))) })
  }
  for (let bar = 0; bar < ctx.bars; bar++) {
    const fill = spec.fill !== 'none' && bar % 4 === 3 && rng.chance(0.6)
    const fillFrom = spec.fill === 'metal' ? 8 : 12
    for (const [drum, lane] of Object.entries(pattern.lanes) as [DrumName, string][]) {
      for (let s = 0; s < 16; s++) {
        const v = VEL[lane[s]]
        if (v === undefined) continue
        if (fill && s >= fillFrom && drum !== 'kick' && drum !== 'crash') continue
        push(drum, bar * 16 + s, v)
      }
    }
    if (fill) {
      for (let s = fillFrom; s < 16; s++) {
        const rise = 0.5 + (0.5 * (s - fillFrom)) / (16 - fillFrom)
        if (spec.fill === 'metal') {
          push(s % 2 === 0 ? 'snare' : 'kick', bar * 16 + s, rise)
        } else if (s % 2 === 0 || rng.chance(0.6)) push('snare', bar * 16 + s, rise)
      }
    }
    if (spec.crashEvery > 0 && bar % spec.crashEvery === 0 && bar > 0) push('crash', bar * 16, 0.9)
    if (spec.comping) {
      // the drummer's left hand and right foot talk back: swung-8th snare ghosts and the odd kick bomb
      for (let s = 2; s < 16; s += 2) {
        if (rng.chance(0.18)) push('snare', bar * 16 + s, rng.range(0.2, 0.55))
        if (rng.chance(0.04)) push('kick', bar * 16 + s, rng.range(0.6, 0.9))
      }
    }
  }
  hits.sort((a, b) => a.at - b.at || DRUM_NAMES.indexOf(a.drum) - DRUM_NAMES.indexOf(b.drum))
  return { hits, pattern: pattern.name }
}

function renderDrums(ctx: Ctx, rng: Rng, bus: Float32Array): string | null {
  const spec = ctx.style.drums
  if (!spec) return null
  const j = (x: number, sd: number) => x * (1 + rng.normal(0, sd))
  const kp: KitParams = {
    ...spec.kit,
    kickTune: j(spec.kit.kickTune, 0.05),
    kickDecay: j(spec.kit.kickDecay, 0.1),
    snareTune: j(spec.kit.snareTune, 0.06),
    snareDecay: j(spec.kit.snareDecay, 0.1),
    hatDecay: j(spec.kit.hatDecay, 0.15)
  }
  const kit = makeKit(kp, rng.fork('kit'), ctx.sr)
  const { hits, pattern } = drumHits(ctx, rng.fork('hits'))
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i]
    let maxLen = Infinity
    if (h.drum === 'hatOpen') {
      for (let k = i + 1; k < hits.length; k++) {
        if (hits[k].drum === 'hatClosed') {
          maxLen = hits[k].at - h.at
          break
        }
      }
    }
    addHit(bus, kit[h.drum], h.at, h.vel * dB(spec.levels[h.drum] ?? 0), maxLen)
  }
  return pattern
}

// -------------------------------------------------------------------------------------------- the clip

function validate(opts: RenderClipOptions): { genre: Genre; seconds: number; sr: number } {
  const genre = opts.genre as Genre
  if (!GENRES.includes(genre)) {
    throw new B2mError('bad_request', `unknown genre "${opts.genre}" (expected one of ${GENRES.join(', ')})`)
  }
  const seconds = opts.seconds ?? 15
  if (!(seconds > 0 && seconds <= 600)) throw new B2mError('bad_request', `seconds must be in (0, 600], got ${seconds}`)
  const sr = opts.sampleRate ?? 22050
  if (!Number.isInteger(sr) || sr < 8000 || sr > 192000) {
    throw new B2mError('bad_request', `sampleRate must be an integer in [8000, 192000], got ${sr}`)
  }
  if (!Number.isSafeInteger(opts.seed))
    throw new B2mError('bad_request', `seed must be a safe integer, got ${opts.seed}`)
  return { genre, seconds, sr }
}

/** Renders one deterministic genre-styled clip (mono, RMS -20 dBFS, peak <= 0.99). */
export function renderClip(opts: RenderClipOptions): RenderedClip {
  const { genre, seconds, sr } = validate(opts)
  const seed = opts.seed
  const style = STYLES[genre]
  const root = new Rng(seed, 'b2m-demo-synth', genre)
  const choose = root.fork('choices')

  const tempo = choose.int(style.tempo[0], style.tempo[1])
  const swing = style.swing[0] + (style.swing[1] - style.swing[0]) * choose.float()
  const keyRoot = choose.pick(style.keys)
  const prog = choose.pick(style.progressions)
  const chords = parseProgression(prog.chords)
  const barsPerChord = choose.pick(prog.barsPerChord)
  const progOffset = chords.length > 4 ? choose.int(0, chords.length - 1) : 0
  const grid = new Grid(tempo, swing, style.swingUnit, style.rubato, sr, choose.fork('grid'))
  const barSec = 4 * grid.beatSec
  const offset = choose.float() * barSec
  const need = seconds + offset
  const bars = Math.ceil(need / (barSec * (1 - style.rubato))) + 1
  const n = Math.round(seconds * sr)
  const len = Math.round(need * sr) + 1
  const ctx: Ctx = {
    style,
    grid,
    sr,
    len,
    bars,
    keyRoot,
    mode: prog.mode,
    chords,
    progOffset,
    stepsPerChord: Math.max(1, Math.round(16 * barsPerChord))
  }

  // which parts play, on which instruments
  const present = style.parts.map((p) => p.prob === undefined || choose.chance(p.prob))
  if (!style.parts.some((p, i) => present[i] && style.core.includes(p.id))) {
    const id = choose.pick(style.core)
    present[style.parts.findIndex((p) => p.id === id)] = true
  }
  const instruments: Record<string, string> = {}

  const mix = new Float32Array(len)
  const send = new Float32Array(len)
  let drumPattern: string | null = null
  if (style.drums) {
    const bus = new Float32Array(len)
    drumPattern = renderDrums(ctx, root.fork('drums'), bus)
    const g = dB(style.drums.level)
    mixInto(mix, bus, g)
    mixInto(send, bus, g * style.drums.reverb)
    instruments.drums = drumPattern ?? ''
  }
  style.parts.forEach((part, i) => {
    if (!present[i]) return
    const prng = root.fork(`part:${part.id}`)
    const instrument: InstrumentName = prng.pick(part.instruments)
    instruments[part.id] = instrument
    const notes =
      part.role === 'bass'
        ? bassLine(ctx, part, prng)
        : part.role === 'chords'
          ? chordPart(ctx, part, prng)
          : leadLine(ctx, part, part.lead as LeadSpec, prng)
    const bus = new Float32Array(len)
    const preset = PRESETS[instrument]
    const nrng = prng.fork('notes')
    for (const note of notes) {
      renderNote(preset, bus, note.start, note.dur, note.midi, note.vel, sr, nrng, { bend: note.bend, bendTime: 0.09 })
    }
    if (part.drive) distort(bus, part.drive[0], part.drive[1], sr)
    if (part.highpass) biquad(bus, 'highpass', part.highpass, 0.7, sr)
    if (part.lowpass) biquad(bus, 'lowpass', part.lowpass, 0.7, sr)
    if (part.echo) echo(bus, part.echo.beats * grid.beatSec, part.echo.feedback, part.echo.mix, 2500, sr)
    // level each bus by its own loudness so the style's dB values set the balance
    const r = rms(bus)
    const g = r > 0 ? (dB(part.level) * 0.1) / r : 0
    mixInto(mix, bus, g)
    mixInto(send, bus, g * part.reverb)
  })

  // room, glue and colour
  const wet = reverb(send, style.reverb.size, style.reverb.damp, sr)
  mixInto(mix, wet, 8)
  highpass1(mix, 25, sr)
  if (style.dynamics > 0) {
    const period = choose.range(6, 12)
    const ph = choose.range(0, 2 * Math.PI)
    for (let i = 0; i < len; i++) mix[i] *= 1 + style.dynamics * Math.sin((2 * Math.PI * i) / (period * sr) + ph)
  }
  if (style.compression) {
    const r = rms(mix)
    if (r > 0) scale(mix, TARGET_RMS / r)
    compress(mix, style.compression.threshold, style.compression.ratio, 0.005, 0.12, sr)
  }
  if (style.master.presence) biquad(mix, 'peak', 5000, 0.7, sr, style.master.presence)
  if (style.master.lowpass) lowpass1(mix, style.master.lowpass, sr)
  if (style.master.crackle) addCrackle(mix, style.master.crackle, choose.fork('crackle'), sr)

  const out = mix.slice(Math.round(offset * sr), Math.round(offset * sr) + n)
  const fade = Math.min(Math.round(0.003 * sr), n >> 1)
  for (let i = 0; i < fade; i++) {
    out[i] *= i / fade
    out[n - 1 - i] *= i / fade
  }
  master(out, TARGET_RMS, PEAK_CEILING, sr)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]))
      throw new B2mError('internal', `synth produced a non-finite sample (${genre}, seed ${seed})`)
  }
  const progression: string[] = []
  for (let i = 0; i < chords.length; i++) progression.push(chords[(progOffset + i) % chords.length].label)
  return {
    samples: out,
    sampleRate: sr,
    meta: {
      genre,
      seed,
      tempo,
      key: `${KEY_NAMES[keyRoot]} ${prog.mode}`,
      keyRoot,
      mode: prog.mode,
      swing: Math.round(swing * 1000) / 1000,
      swingUnit: style.swingUnit,
      seconds,
      sampleRate: sr,
      progression,
      barsPerChord,
      drumPattern,
      instruments,
      offset: Math.round(offset * 1000) / 1000
    }
  }
}

/** Vinyl surface: a faint hiss and sparse crackles, relative to the mix's loudness. */
function addCrackle(mix: Float32Array, amount: number, rng: Rng, sr: number): void {
  const level = rms(mix) * amount
  const hiss = new Float32Array(mix.length)
  for (let i = 0; i < hiss.length; i++) hiss[i] = (rng.float() * 2 - 1) * 0.02
  biquad(hiss, 'highpass', 2000, 0.7, sr)
  for (let i = 0; i < mix.length; i++) mix[i] += hiss[i] * level
  const clicks = Math.round((mix.length / sr) * 6)
  for (let c = 0; c < clicks; c++) {
    const at = rng.int(0, mix.length - 20)
    const a = level * rng.range(0.2, 1.2) * (rng.chance(0.5) ? 1 : -1)
    for (let k = 0; k < 12; k++) mix[at + k] += a * Math.exp(-k / 2.5) * (k % 2 ? -0.6 : 1)
  }
}
