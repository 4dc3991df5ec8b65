/**
 * The instruments of the demo synthesiser. Three voice engines cover the pitched sounds:
 *  - `sub`: subtractive (band-limited saw/square, triangle, sine; detuned unison; resonant state-variable
 *    filter with an envelope; ADSR; vibrato; glides and blues bends; optional per-voice drive),
 *  - `modal`: sums of exponentially decaying partials from damped resonators (piano, electric piano, organ,
 *    upright bass, bells),
 *  - `pluck`: Karplus-Strong strings with fractional-delay tuning (clean/acoustic and twangy guitars),
 * and a drum kit whose hits are synthesised once per clip (with the clip's own tuning) and mixed in.
 * Voices add into a bus at a sample offset; nothing here allocates per sample.
 */
import { biquad, highpass1 } from './effects'
import type { Rng } from './rng'

export const midiToHz = (m: number): number => 440 * Math.pow(2, (m - 69) / 12)

const TABLE = 4096
const SINE = new Float32Array(TABLE + 1)
for (let i = 0; i <= TABLE; i++) SINE[i] = Math.sin((2 * Math.PI * i) / TABLE)

/** sin(2 pi p) for p in [0, 1), from a table with linear interpolation. */
function sin01(p: number): number {
  const x = p * TABLE
  const i = x | 0
  return SINE[i] + (SINE[i + 1] - SINE[i]) * (x - i)
}

function polyBlep(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt
    return x + x - x * x - 1
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt
    return x * x + x + x + 1
  }
  return 0
}

export interface Adsr {
  /** seconds */
  a: number
  d: number
  /** level 0..1 */
  s: number
  r: number
}

export interface SubPreset {
  engine: 'sub'
  /** oscillators: waveform, gain, octave offset, detune in cents */
  osc: { wave: 'saw' | 'square' | 'tri' | 'sine'; gain: number; octave?: number; cents?: number }[]
  /** extra detuned copies of every oscillator (spread in cents) */
  unison?: { voices: number; spread: number }
  filter: { type: 'lp' | 'bp'; cutoff: number; env: number; decay: number; q: number; keyTrack?: number }
  amp: Adsr
  vibrato?: { rate: number; cents: number; delay: number }
  noise?: number
  /** soft-clip drive inside the voice (1 = none) */
  drive?: number
  /** pitch drop at the onset: semitones and time constant (808 kicks/bass) */
  pitchDrop?: { semis: number; time: number }
}

export interface ModalPreset {
  engine: 'modal'
  /** partial frequency ratios, amplitudes and decay times (seconds to -60 dB at middle C) */
  partials: { ratio: number; amp: number; decay: number }[]
  /** piano-like stretch of partials: f_k = k f sqrt(1 + B k^2) for integer ratios */
  inharmonicity?: number
  /** how much shorter decays get per octave above middle C (0 = none) */
  decayPerOctave?: number
  amp: Adsr
  /** hammer/key click: noise burst gain and its low-pass */
  click?: { gain: number; cutoff: number; time: number }
  /** velocity makes the upper partials louder by up to this factor */
  velocityBrightness?: number
  /** amplitude tremolo (rate Hz, depth 0..1) */
  tremolo?: { rate: number; depth: number }
}

export interface PluckPreset {
  engine: 'pluck'
  /** 0..1: how bright the excitation and loop filter are */
  brightness: number
  /** seconds to -60 dB while the note is held */
  sustain: number
  /** seconds to -60 dB after the note is released */
  damp: number
  /** pick position as a fraction of the string (smaller = nearer the bridge = thinner, twangier) */
  pickPos: number
}

export interface FormantPreset {
  engine: 'formant'
  /** aspiration noise mixed into the glottal source */
  breath: number
  /** chance of a consonant (noise burst) at the start of a syllable */
  consonant: number
  /** formant frequency scale (1 = adult male, ~1.17 = adult female) */
  formantScale: number
  amp: Adsr
  vibrato?: { rate: number; cents: number; delay: number }
  /** pitch falls by this many semitones over a syllable (speech-like intonation) */
  fall?: number
}

export type Preset = SubPreset | ModalPreset | PluckPreset | FormantPreset

export interface NoteOptions {
  /** bend up into the note from this many semitones below, over `bendTime` seconds */
  bend?: number
  bendTime?: number
}

/** Adds one note into `out` starting at sample `start`, held for `dur` samples, then released. */
export function renderNote(
  p: Preset,
  out: Float32Array,
  start: number,
  dur: number,
  midi: number,
  vel: number,
  sr: number,
  rng: Rng,
  opts: NoteOptions = {}
): void {
  if (start >= out.length || dur <= 0) return
  if (p.engine === 'sub') subVoice(p, out, start, dur, midi, vel, sr, rng, opts)
  else if (p.engine === 'modal') modalVoice(p, out, start, dur, midi, vel, sr, rng)
  else if (p.engine === 'formant') formantVoice(p, out, start, dur, midi, vel, sr, rng)
  else pluckVoice(p, out, start, dur, midi, vel, sr, rng)
}

const BLOCK = 16

function subVoice(
  p: SubPreset,
  out: Float32Array,
  start: number,
  dur: number,
  midi: number,
  vel: number,
  sr: number,
  rng: Rng,
  opts: NoteOptions
): void {
  const rel = Math.max(0.005, p.amp.r)
  const total = Math.min(out.length - start, dur + Math.round(rel * 4.6 * sr))
  const base = midiToHz(midi)
  // oscillator table with unison copies (typed arrays keep the inner loop monomorphic)
  const uni = p.unison ?? { voices: 1, spread: 0 }
  const nO = p.osc.length * uni.voices
  const waves = new Int8Array(nO)
  const gains = new Float64Array(nO)
  const ratios = new Float64Array(nO)
  const phases = new Float64Array(nO)
  const incs = new Float64Array(nO)
  let o = 0
  for (const osc of p.osc) {
    for (let u = 0; u < uni.voices; u++) {
      const spread = uni.voices > 1 ? (u / (uni.voices - 1) - 0.5) * uni.spread : 0
      const cents = (osc.cents ?? 0) + spread + rng.normal(0, 1.5)
      waves[o] = osc.wave === 'saw' ? 0 : osc.wave === 'square' ? 1 : osc.wave === 'tri' ? 2 : 3
      gains[o] = osc.gain / uni.voices
      ratios[o] = Math.pow(2, (osc.octave ?? 0) + cents / 1200)
      phases[o] = rng.float()
      o++
    }
  }
  const aS = Math.max(1, p.amp.a * sr)
  const dCoef = Math.exp(-1 / (Math.max(0.001, p.amp.d) * sr))
  const sus = p.amp.s
  const rCoef = Math.exp(-1 / (rel * sr))
  const fDecay = Math.exp(-BLOCK / (Math.max(0.001, p.filter.decay) * sr))
  const keyTrack = p.filter.keyTrack ?? 0
  const cutoffBase = p.filter.cutoff * Math.pow(base / 261.63, keyTrack) * (0.7 + 0.3 * vel)
  const k = 2 - 1.9 * Math.min(0.95, p.filter.q)
  const drive = p.drive ?? 1
  const driveNorm = drive > 1 ? 1 / (drive / (1 + drive)) : 1
  const vib = p.vibrato
  const bend = opts.bend ?? 0
  const bendTime = opts.bendTime ?? 0.08
  const drop = p.pitchDrop
  let env = 0
  let fenv = 1
  let ic1 = 0
  let ic2 = 0
  let a1 = 0
  let a2 = 0
  let a3 = 0
  let lfoPhase = 0
  let noiseState = rng.u32() | 1
  const noiseAmt = p.noise ?? 0
  const isLp = p.filter.type === 'lp'
  const filterEnv = p.filter.env
  for (let b0 = 0; b0 < total; b0 += BLOCK) {
    const t = b0 / sr
    let semis = 0
    if (bend > 0) semis -= bend * Math.max(0, 1 - t / bendTime)
    if (drop) semis += drop.semis * Math.exp(-t / drop.time)
    let vibMul = 1
    if (vib && t > vib.delay) {
      const depth = Math.min(1, (t - vib.delay) / 0.3) * vib.cents
      vibMul = 1 + depth * 0.000578 * sin01(lfoPhase - Math.floor(lfoPhase)) // ln2/1200 ~ 0.000578
      lfoPhase += (vib.rate * BLOCK) / sr
    }
    const f = base * Math.pow(2, semis / 12) * vibMul
    const fc = Math.min(sr * 0.45, Math.max(30, cutoffBase + filterEnv * fenv))
    fenv *= fDecay
    const g = Math.tan((Math.PI * fc) / sr)
    a1 = 1 / (1 + g * (g + k))
    a2 = g * a1
    a3 = g * a2
    for (let j = 0; j < nO; j++) incs[j] = Math.min(0.45, (f * ratios[j]) / sr)
    const end = Math.min(total, b0 + BLOCK)
    for (let i = b0; i < end; i++) {
      let x = 0
      for (let j = 0; j < nO; j++) {
        const dt = incs[j]
        const ph = phases[j]
        const w = waves[j]
        let v: number
        if (w === 0) v = 2 * ph - 1 - polyBlep(ph, dt)
        else if (w === 1) {
          let ph2 = ph + 0.5
          if (ph2 >= 1) ph2 -= 1
          v = 2 * (ph - ph2) - polyBlep(ph, dt) + polyBlep(ph2, dt)
        } else if (w === 2) v = 4 * Math.abs(ph - 0.5) - 1
        else v = sin01(ph)
        x += v * gains[j]
        const np = ph + dt
        phases[j] = np >= 1 ? np - 1 : np
      }
      if (noiseAmt > 0) {
        noiseState ^= noiseState << 13
        noiseState ^= noiseState >>> 17
        noiseState ^= noiseState << 5
        x += ((noiseState >>> 0) / 4294967296 - 0.5) * 2 * noiseAmt
      }
      // TPT state-variable filter
      const v3 = x - ic2
      const v1 = a1 * ic1 + a2 * v3
      const v2 = ic2 + a2 * ic1 + a3 * v3
      ic1 = 2 * v1 - ic1
      ic2 = 2 * v2 - ic2
      let y = isLp ? v2 : v1 * k
      if (drive > 1) {
        const d = y * drive
        y = (d / (1 + Math.abs(d))) * driveNorm
      }
      // ADSR
      if (i < dur) {
        if (i < aS) env = i / aS
        else env = sus + (env - sus) * dCoef
      } else env *= rCoef
      out[start + i] += y * env * vel
    }
  }
}

function modalVoice(
  p: ModalPreset,
  out: Float32Array,
  start: number,
  dur: number,
  midi: number,
  vel: number,
  sr: number,
  rng: Rng
): void {
  const rel = Math.max(0.005, p.amp.r)
  const f0 = midiToHz(midi)
  const octaves = (midi - 60) / 12
  const decayScale = Math.pow(2, -(p.decayPerOctave ?? 0) * octaves)
  let longest = 0
  const parts: { c: number; r2: number; y1: number; y2: number }[] = []
  const B = p.inharmonicity ?? 0
  const vb = p.velocityBrightness ?? 0
  for (let idx = 0; idx < p.partials.length; idx++) {
    const q = p.partials[idx]
    const ratio = B > 0 && Number.isInteger(q.ratio) ? q.ratio * Math.sqrt(1 + B * q.ratio * q.ratio) : q.ratio
    const f = f0 * ratio
    if (f > sr * 0.45) continue
    const decay = q.decay * decayScale
    longest = Math.max(longest, decay)
    const r = Math.exp(-6.9 / (decay * sr))
    const w = (2 * Math.PI * f) / sr
    const amp = q.amp * (idx === 0 ? 1 : 1 + vb * (vel - 0.6))
    // y[n] = amp r^n sin(w n + phi) via y[n] = 2 r cos(w) y[n-1] - r^2 y[n-2]
    const phi = rng.float() * 0.3
    parts.push({ c: 2 * r * Math.cos(w), r2: r * r, y1: amp * Math.sin(phi), y2: (amp * Math.sin(phi - w)) / r })
  }
  const total = Math.min(out.length - start, Math.round(Math.min(dur / sr + rel * 5, longest + 0.05) * sr))
  const aS = Math.max(1, p.amp.a * sr)
  const dCoef = Math.exp(-1 / (Math.max(0.001, p.amp.d) * sr))
  const sus = p.amp.s
  const rCoef = Math.exp(-1 / (rel * sr))
  const click = p.click
  const clickLen = click ? Math.round(click.time * sr) : 0
  const clickA = click ? 1 - Math.exp((-2 * Math.PI * click.cutoff) / sr) : 0
  let clickLp = 0
  const trem = p.tremolo
  const tremInc = trem ? trem.rate / sr : 0
  let tremPh = 0
  let env = 0
  for (let i = 0; i < total; i++) {
    let x = 0
    for (let j = 0; j < parts.length; j++) {
      const q = parts[j]
      const y = q.c * q.y1 - q.r2 * q.y2
      q.y2 = q.y1
      q.y1 = y
      x += y
    }
    if (i < clickLen && click) {
      clickLp += clickA * ((rng.float() * 2 - 1) * (1 - i / clickLen) - clickLp)
      x += clickLp * click.gain
    }
    if (trem) {
      x *= 1 - trem.depth * 0.5 * (1 + sin01(tremPh))
      tremPh += tremInc
      if (tremPh >= 1) tremPh -= 1
    }
    if (i < dur) {
      if (i < aS) env = i / aS
      else env = sus + (env - sus) * dCoef
    } else env *= rCoef
    out[start + i] += x * env * vel
  }
}

function pluckVoice(
  p: PluckPreset,
  out: Float32Array,
  start: number,
  dur: number,
  midi: number,
  vel: number,
  sr: number,
  rng: Rng
): void {
  const f = midiToHz(midi)
  const period = sr / f
  let D = Math.floor(period - 0.5)
  let frac = period - 0.5 - D
  if (frac < 0.1) {
    D -= 1
    frac += 1
  }
  if (D < 2) return
  const C = (1 - frac) / (1 + frac)
  const line = new Float32Array(D)
  // excitation: low-passed noise with a pick-position comb
  const bright = Math.min(1, Math.max(0.05, p.brightness * (0.6 + 0.5 * vel)))
  let lp = 0
  for (let i = 0; i < D; i++) {
    lp += bright * (rng.float() * 2 - 1 - lp)
    line[i] = lp
  }
  const pick = Math.max(1, Math.round(p.pickPos * D))
  for (let i = D - 1; i >= pick; i--) line[i] -= line[i - pick]
  let mean = 0
  for (let i = 0; i < D; i++) mean += line[i]
  mean /= D
  let energy = 0
  for (let i = 0; i < D; i++) {
    line[i] -= mean
    energy += line[i] * line[i]
  }
  const norm = energy > 0 ? 1 / Math.sqrt(energy / D) : 0
  for (let i = 0; i < D; i++) line[i] *= norm * 0.5
  const gHeld = Math.pow(10, -3 / (Math.max(0.01, p.sustain) * f))
  const gOff = Math.pow(10, -3 / (Math.max(0.005, p.damp) * f))
  const s = 0.5 - 0.45 * (1 - p.brightness) // loop low-pass weight of the previous sample
  const total = Math.min(out.length - start, dur + Math.round(p.damp * sr * 1.2))
  let idx = 0
  let prev = 0
  let apIn = 0
  let apOut = 0
  let dc = 0
  for (let i = 0; i < total; i++) {
    const x = line[idx]
    const avg = (1 - s) * x + s * prev
    prev = x
    const y = C * avg + apIn - C * apOut
    apIn = avg
    apOut = y
    line[idx] = y * (i < dur ? gHeld : gOff)
    idx = idx + 1 === D ? 0 : idx + 1
    dc += 0.002 * (x - dc)
    out[start + i] += (x - dc) * vel
  }
}

/** vowel formants (F1, F2, F3 in Hz, adult male) */
const VOWELS: [number, number, number][] = [
  [730, 1090, 2440],
  [530, 1840, 2480],
  [270, 2290, 3010],
  [570, 840, 2410],
  [300, 870, 2240],
  [500, 1500, 2500],
  [660, 1720, 2410]
]

/** a syllable: a glottal buzz through three vowel formants, with an optional consonant burst first */
function formantVoice(
  p: FormantPreset,
  out: Float32Array,
  start: number,
  dur: number,
  midi: number,
  vel: number,
  sr: number,
  rng: Rng
): void {
  const rel = Math.max(0.005, p.amp.r)
  const total = Math.min(out.length - start, dur + Math.round(rel * 4.6 * sr))
  if (total <= 0) return
  const buf = new Float32Array(total)
  const v = VOWELS[rng.int(0, VOWELS.length - 1)]
  const f0 = midiToHz(midi)
  const fall = p.fall ?? 0
  const vib = p.vibrato
  let ph = rng.float()
  let lfo = 0
  let env = 0
  const aS = Math.max(1, p.amp.a * sr)
  const dCoef = Math.exp(-1 / (Math.max(0.001, p.amp.d) * sr))
  const sus = p.amp.s
  const rCoef = Math.exp(-1 / (rel * sr))
  let f = f0
  let breathLp = 0
  const breath = p.breath
  for (let i = 0; i < total; i++) {
    if ((i & 15) === 0) {
      const t = i / sr
      let semis = -fall * Math.min(1, t / Math.max(0.05, dur / sr))
      if (vib && t > vib.delay) {
        semis += (vib.cents / 100) * sin01(lfo)
        lfo += (vib.rate * 16) / sr
        lfo -= Math.floor(lfo)
      }
      f = f0 * Math.pow(2, semis / 12)
    }
    const dt = Math.min(0.45, f / sr)
    ph += dt
    if (ph >= 1) ph -= 1
    const glottal = 2 * ph - 1 - polyBlep(ph, dt)
    breathLp += 0.5 * (rng.float() * 2 - 1 - breathLp)
    if (i < dur) {
      if (i < aS) env = i / aS
      else env = sus + (env - sus) * dCoef
    } else env *= rCoef
    buf[i] = (glottal * (1 - breath) + breathLp * breath * 2) * env
  }
  const voiced = new Float32Array(total)
  const gains = [1, 0.55, 0.3]
  for (let k = 0; k < 3; k++) {
    const band = buf.slice()
    biquad(band, 'bandpass', v[k] * p.formantScale, k === 0 ? 6 : 9, sr)
    for (let i = 0; i < total; i++) voiced[i] += band[i] * gains[k] * 3
  }
  // consonant: a short high-passed noise burst ("t", "s", "k") leading into the vowel
  if (rng.chance(p.consonant)) {
    const n = Math.min(total, Math.round(rng.range(0.015, 0.05) * sr))
    const burst = new Float32Array(n)
    for (let i = 0; i < n; i++) burst[i] = (rng.float() * 2 - 1) * (1 - i / n)
    biquad(burst, 'highpass', rng.pick([2500, 4000, 6000]), 0.8, sr)
    for (let i = 0; i < n; i++) voiced[i] += burst[i] * 0.5
  }
  for (let i = 0; i < total; i++) out[start + i] += voiced[i] * vel
}

// ---------------------------------------------------------------------------------------------- presets

export const PRESETS = {
  // basses
  bassSub: {
    engine: 'sub',
    osc: [
      { wave: 'sine', gain: 1 },
      { wave: 'tri', gain: 0.25, octave: 1 }
    ],
    filter: { type: 'lp', cutoff: 380, env: 150, decay: 0.1, q: 0.1 },
    amp: { a: 0.004, d: 0.5, s: 0.75, r: 0.08 },
    drive: 1.6,
    pitchDrop: { semis: 1.5, time: 0.02 }
  },
  bassFinger: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.6 },
      { wave: 'sine', gain: 0.6 }
    ],
    filter: { type: 'lp', cutoff: 450, env: 900, decay: 0.12, q: 0.2, keyTrack: 0.5 },
    amp: { a: 0.004, d: 0.5, s: 0.6, r: 0.05 }
  },
  bassPick: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.8 },
      { wave: 'square', gain: 0.3, cents: 5 }
    ],
    filter: { type: 'lp', cutoff: 800, env: 1600, decay: 0.09, q: 0.3, keyTrack: 0.5 },
    amp: { a: 0.002, d: 0.3, s: 0.65, r: 0.04 },
    drive: 2.5
  },
  bassSynth: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.6 },
      { wave: 'square', gain: 0.5, octave: -1 }
    ],
    filter: { type: 'lp', cutoff: 320, env: 2400, decay: 0.09, q: 0.6, keyTrack: 0.3 },
    amp: { a: 0.003, d: 0.25, s: 0.55, r: 0.04 }
  },
  bassUpright: {
    engine: 'modal',
    partials: [
      { ratio: 1, amp: 1, decay: 1.6 },
      { ratio: 2, amp: 0.45, decay: 0.9 },
      { ratio: 3, amp: 0.2, decay: 0.5 },
      { ratio: 4, amp: 0.1, decay: 0.3 },
      { ratio: 5, amp: 0.05, decay: 0.2 }
    ],
    amp: { a: 0.008, d: 1, s: 1, r: 0.07 },
    click: { gain: 0.6, cutoff: 900, time: 0.015 }
  },
  // keys
  piano: {
    engine: 'modal',
    partials: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => ({
      ratio: k,
      amp: 0.9 / Math.pow(k, 1.25),
      decay: 4.5 / Math.pow(k, 0.6)
    })),
    inharmonicity: 0.0003,
    decayPerOctave: 0.45,
    amp: { a: 0.001, d: 1, s: 1, r: 0.12 },
    click: { gain: 0.15, cutoff: 3000, time: 0.008 },
    velocityBrightness: 1.2
  },
  epiano: {
    engine: 'modal',
    partials: [
      { ratio: 1, amp: 1, decay: 3 },
      { ratio: 2, amp: 0.18, decay: 1.2 },
      { ratio: 3, amp: 0.06, decay: 0.6 },
      { ratio: 7.1, amp: 0.22, decay: 0.18 }
    ],
    decayPerOctave: 0.3,
    amp: { a: 0.002, d: 1, s: 1, r: 0.15 },
    velocityBrightness: 1.5,
    tremolo: { rate: 4.5, depth: 0.25 }
  },
  organ: {
    engine: 'modal',
    partials: [
      { ratio: 0.5, amp: 0.45, decay: 1e6 },
      { ratio: 1, amp: 0.8, decay: 1e6 },
      { ratio: 1.5, amp: 0.35, decay: 1e6 },
      { ratio: 2, amp: 0.4, decay: 1e6 },
      { ratio: 3, amp: 0.35, decay: 0.35 },
      { ratio: 4, amp: 0.18, decay: 1e6 },
      { ratio: 6, amp: 0.08, decay: 1e6 }
    ],
    amp: { a: 0.004, d: 1, s: 1, r: 0.03 },
    click: { gain: 0.25, cutoff: 4000, time: 0.004 },
    tremolo: { rate: 6.2, depth: 0.15 }
  },
  bell: {
    engine: 'modal',
    partials: [
      { ratio: 1, amp: 1, decay: 1.6 },
      { ratio: 2.76, amp: 0.35, decay: 0.6 },
      { ratio: 5.4, amp: 0.18, decay: 0.3 },
      { ratio: 8.93, amp: 0.08, decay: 0.15 }
    ],
    amp: { a: 0.001, d: 1, s: 1, r: 0.3 }
  },
  // sustained ensembles and leads
  strings: {
    engine: 'sub',
    osc: [{ wave: 'saw', gain: 0.7 }],
    unison: { voices: 3, spread: 16 },
    filter: { type: 'lp', cutoff: 2400, env: 600, decay: 0.6, q: 0.15, keyTrack: 0.5 },
    amp: { a: 0.28, d: 0.6, s: 0.9, r: 0.3 },
    vibrato: { rate: 5.2, cents: 9, delay: 0.25 }
  },
  violin: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.8 },
      { wave: 'saw', gain: 0.3, cents: 7 }
    ],
    filter: { type: 'lp', cutoff: 2300, env: 600, decay: 0.3, q: 0.35, keyTrack: 0.4 },
    amp: { a: 0.09, d: 0.4, s: 0.85, r: 0.2 },
    vibrato: { rate: 5.6, cents: 22, delay: 0.15 },
    noise: 0.02
  },
  flute: {
    engine: 'sub',
    osc: [
      { wave: 'sine', gain: 0.9 },
      { wave: 'tri', gain: 0.2, octave: 1 }
    ],
    filter: { type: 'lp', cutoff: 3000, env: 0, decay: 0.1, q: 0.1 },
    amp: { a: 0.06, d: 0.3, s: 0.85, r: 0.12 },
    vibrato: { rate: 4.8, cents: 14, delay: 0.2 },
    noise: 0.06
  },
  synthLead: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.5 },
      { wave: 'saw', gain: 0.5, cents: 9 },
      { wave: 'square', gain: 0.25, octave: -1 }
    ],
    filter: { type: 'lp', cutoff: 2600, env: 3000, decay: 0.2, q: 0.3, keyTrack: 0.5 },
    amp: { a: 0.006, d: 0.3, s: 0.75, r: 0.12 },
    vibrato: { rate: 5.5, cents: 12, delay: 0.25 }
  },
  synthPad: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.5 },
      { wave: 'square', gain: 0.3, cents: -6 }
    ],
    unison: { voices: 2, spread: 14 },
    filter: { type: 'lp', cutoff: 1800, env: 800, decay: 0.4, q: 0.2, keyTrack: 0.3 },
    amp: { a: 0.08, d: 0.5, s: 0.8, r: 0.3 }
  },
  sax: {
    engine: 'sub',
    osc: [
      { wave: 'square', gain: 0.5 },
      { wave: 'saw', gain: 0.5 }
    ],
    filter: { type: 'lp', cutoff: 1100, env: 1500, decay: 0.18, q: 0.45, keyTrack: 0.6 },
    amp: { a: 0.025, d: 0.3, s: 0.8, r: 0.08 },
    vibrato: { rate: 5, cents: 16, delay: 0.18 },
    noise: 0.04,
    drive: 1.8
  },
  melodica: {
    engine: 'sub',
    osc: [{ wave: 'square', gain: 0.7 }],
    filter: { type: 'lp', cutoff: 1900, env: 400, decay: 0.2, q: 0.3, keyTrack: 0.5 },
    amp: { a: 0.02, d: 0.3, s: 0.85, r: 0.08 },
    vibrato: { rate: 4.5, cents: 10, delay: 0.3 },
    noise: 0.03
  },
  guitarLead: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.8 },
      { wave: 'square', gain: 0.2, octave: 1 }
    ],
    filter: { type: 'lp', cutoff: 2200, env: 1500, decay: 0.25, q: 0.3, keyTrack: 0.4 },
    amp: { a: 0.004, d: 0.6, s: 0.7, r: 0.1 },
    vibrato: { rate: 6, cents: 28, delay: 0.2 },
    drive: 6
  },
  powerChord: {
    engine: 'sub',
    osc: [
      { wave: 'saw', gain: 0.7 },
      { wave: 'square', gain: 0.35, cents: 6 }
    ],
    filter: { type: 'lp', cutoff: 2200, env: 1500, decay: 0.12, q: 0.2 },
    amp: { a: 0.002, d: 0.25, s: 0.75, r: 0.04 }
  },
  // voices
  rapVoice: {
    engine: 'formant',
    breath: 0.25,
    consonant: 0.6,
    formantScale: 1,
    amp: { a: 0.008, d: 0.12, s: 0.7, r: 0.03 },
    fall: 1.5
  },
  vocal: {
    engine: 'formant',
    breath: 0.1,
    consonant: 0.3,
    formantScale: 1.17,
    amp: { a: 0.03, d: 0.3, s: 0.85, r: 0.08 },
    vibrato: { rate: 5.5, cents: 30, delay: 0.2 }
  },
  // plucked strings
  acoustic: { engine: 'pluck', brightness: 0.7, sustain: 2.5, damp: 0.08, pickPos: 0.22 },
  cleanGuitar: { engine: 'pluck', brightness: 0.55, sustain: 1.8, damp: 0.06, pickPos: 0.25 },
  twang: { engine: 'pluck', brightness: 0.95, sustain: 1.2, damp: 0.05, pickPos: 0.1 },
  skank: { engine: 'pluck', brightness: 0.8, sustain: 0.25, damp: 0.03, pickPos: 0.15 },
  mutedGuitar: { engine: 'pluck', brightness: 0.6, sustain: 0.12, damp: 0.02, pickPos: 0.2 }
} satisfies Record<string, Preset>

export type InstrumentName = keyof typeof PRESETS

// ---------------------------------------------------------------------------------------------- drums

export type DrumName = 'kick' | 'snare' | 'rim' | 'clap' | 'hatClosed' | 'hatOpen' | 'crash' | 'ride'
export const DRUM_NAMES: readonly DrumName[] = ['kick', 'snare', 'rim', 'clap', 'hatClosed', 'hatOpen', 'crash', 'ride']

export interface KitParams {
  /** kick: end pitch (Hz), start pitch (Hz), decay (s), beater click 0..1 */
  kickTune: number
  kickSweep: number
  kickDecay: number
  kickClick: number
  /** snare: shell tune (Hz), wire (noise) level 0..1, decay (s) */
  snareTune: number
  snareWires: number
  snareDecay: number
  /** hats and cymbals: brightness 0..1 (high-pass corner), closed-hat decay (s) */
  cymbalBrightness: number
  hatDecay: number
  /** brushes instead of sticks: softer attacks, longer noise */
  brushes?: boolean
}

function noise(rng: Rng, n: number): Float32Array {
  const b = new Float32Array(n)
  for (let i = 0; i < n; i++) b[i] = rng.float() * 2 - 1
  return b
}

function expEnv(buf: Float32Array, decay: number, sr: number, attack = 0): void {
  const k = Math.exp(-6.9 / (decay * sr))
  let e = 1
  const aS = attack * sr
  for (let i = 0; i < buf.length; i++) {
    buf[i] *= e * (i < aS ? i / aS : 1)
    e *= k
  }
}

function metallic(rng: Rng, n: number, base: number, sr: number): Float32Array {
  // six detuned square waves at inharmonic ratios (the TR-808 cymbal recipe)
  const ratios = [2, 3, 4.16, 5.43, 6.79, 8.21]
  const b = new Float32Array(n)
  for (const r of ratios) {
    const inc = (base * r * (1 + rng.normal(0, 0.01))) / sr
    let ph = rng.float()
    for (let i = 0; i < n; i++) {
      b[i] += ph < 0.5 ? 1 : -1
      ph += inc
      if (ph >= 1) ph -= 1
    }
  }
  for (let i = 0; i < n; i++) b[i] /= ratios.length
  return b
}

/** Synthesises one hit of every drum of a kit (peak-normalised to 1). */
export function makeKit(params: KitParams, rng: Rng, sr: number): Record<DrumName, Float32Array> {
  const S = (s: number) => Math.round(s * sr)
  const norm = (b: Float32Array) => {
    let p = 0
    for (let i = 0; i < b.length; i++) p = Math.max(p, Math.abs(b[i]))
    if (p > 0) for (let i = 0; i < b.length; i++) b[i] /= p
    return b
  }
  // kick: a sine swept down in pitch, plus a beater click
  const kick = new Float32Array(S(params.kickDecay * 1.2 + 0.02))
  {
    let ph = 0
    const ka = Math.exp(-6.9 / (params.kickDecay * sr))
    let e = 1
    for (let i = 0; i < kick.length; i++) {
      const t = i / sr
      const f = params.kickTune + (params.kickSweep - params.kickTune) * Math.exp(-t / 0.035)
      ph += f / sr
      if (ph >= 1) ph -= 1
      const x = sin01(ph) * e
      kick[i] = (x * 1.4) / (1 + Math.abs(x * 0.4))
      e *= ka
    }
    const click = noise(rng, S(0.006))
    biquad(click, 'bandpass', 3000, 0.7, sr)
    for (let i = 0; i < click.length; i++) kick[i] += click[i] * params.kickClick * 2.5 * (1 - i / click.length)
    norm(kick)
  }
  // snare: two damped shell modes and band-passed wires
  const snare = new Float32Array(S(params.snareDecay * 1.5 + 0.05))
  {
    for (const [mul, amp] of [
      [1, 1],
      [1.65, 0.55]
    ]) {
      const f = params.snareTune * mul
      const e = Math.exp(-6.9 / (0.09 * sr))
      let a = amp
      for (let i = 0; i < snare.length; i++) {
        snare[i] += Math.sin((2 * Math.PI * f * i) / sr) * a * (params.brushes ? 0.2 : 1)
        a *= e
      }
    }
    const wires = noise(rng, snare.length)
    biquad(wires, 'highpass', params.brushes ? 1500 : 1800, 0.7, sr)
    biquad(wires, 'peak', 5000, 1, sr, 4)
    expEnv(wires, params.snareDecay, sr, params.brushes ? 0.012 : 0)
    for (let i = 0; i < snare.length; i++) snare[i] += wires[i] * params.snareWires * 1.6
    norm(snare)
  }
  // rim click (cross-stick)
  const rim = new Float32Array(S(0.08))
  {
    for (const [f, amp, d] of [
      [1750, 1, 0.03],
      [520, 0.6, 0.05]
    ]) {
      const e = Math.exp(-6.9 / (d * sr))
      let a = amp
      for (let i = 0; i < rim.length; i++) {
        rim[i] += Math.sin((2 * Math.PI * f * i) / sr) * a
        a *= e
      }
    }
    const n = noise(rng, S(0.004))
    for (let i = 0; i < n.length; i++) rim[i] += n[i] * 0.8
    norm(rim)
  }
  // hand clap: three quick bursts and a short tail of band-passed noise
  const clap = new Float32Array(S(0.25))
  {
    const n = noise(rng, clap.length)
    biquad(n, 'bandpass', 1200, 1.2, sr)
    for (let i = 0; i < clap.length; i++) {
      const t = i / sr
      let e = 0
      for (const o of [0, 0.011, 0.022]) if (t >= o && t < o + 0.011) e = Math.max(e, Math.exp(-(t - o) / 0.004))
      if (t >= 0.022) e = Math.max(e, 0.7 * Math.exp(-(t - 0.022) / 0.06))
      clap[i] = n[i] * e
    }
    norm(clap)
  }
  const hpCorner = 5500 + 3000 * params.cymbalBrightness
  const hat = (decay: number) => {
    const n = S(decay * 1.3)
    const b = noise(rng, n)
    const m = metallic(rng, n, 330, sr)
    for (let i = 0; i < n; i++) b[i] = 0.6 * b[i] + 0.8 * m[i]
    biquad(b, 'highpass', hpCorner, 0.8, sr)
    biquad(b, 'highpass', hpCorner * 0.8, 0.7, sr)
    expEnv(b, decay, sr)
    return norm(b)
  }
  const hatClosed = hat(params.hatDecay)
  const hatOpen = hat(0.45)
  const crash = new Float32Array(S(2.2))
  {
    const b = noise(rng, crash.length)
    const m = metallic(rng, crash.length, 420, sr)
    for (let i = 0; i < b.length; i++) b[i] = 0.8 * b[i] + 0.5 * m[i]
    biquad(b, 'highpass', 3500 + 2000 * params.cymbalBrightness, 0.6, sr)
    expEnv(b, 1.8, sr, 0.002)
    crash.set(norm(b))
  }
  // ride: bell partials plus a washy noise bed
  const ride = new Float32Array(S(1.4))
  {
    const bell = [
      [520, 0.5, 0.9],
      [1180, 0.35, 0.7],
      [2480, 0.3, 0.5],
      [3710, 0.25, 0.35],
      [5350, 0.2, 0.25]
    ]
    const size = 1 + rng.normal(0, 0.06)
    for (const [f0, amp, d] of bell) {
      const f = f0 * size
      const e = Math.exp(-6.9 / (d * sr))
      let a = amp
      for (let i = 0; i < ride.length; i++) {
        ride[i] += Math.sin((2 * Math.PI * f * i) / sr) * a
        a *= e
      }
    }
    const wash = noise(rng, ride.length)
    biquad(wash, 'highpass', 4500, 0.7, sr)
    expEnv(wash, 1.1, sr)
    for (let i = 0; i < ride.length; i++) ride[i] = ride[i] * 0.5 + wash[i] * 0.55
    highpass1(ride, 300, sr)
    norm(ride)
  }
  return { kick, snare, rim, clap, hatClosed, hatOpen, crash, ride }
}

/** Adds a drum hit into `out` at `start`, at most `maxLen` samples long (for choked open hats). */
export function addHit(out: Float32Array, hit: Float32Array, start: number, gain: number, maxLen = Infinity): void {
  const n = Math.min(hit.length, out.length - start, maxLen)
  const fade = Math.min(64, n)
  for (let i = 0; i < n; i++) {
    const f = maxLen < hit.length && i >= n - fade ? (n - i) / fade : 1
    out[start + i] += hit[i] * gain * f
  }
}
