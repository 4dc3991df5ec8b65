/**
 * The ten GTZAN genres as data: tempo and swing ranges, keys and modes, chord progressions with their
 * harmonic rhythm, drum patterns on a 16-step bar, bass and comping rhythms, lead-line behaviour, the
 * instruments and their mix levels, and the effects. The renderer picks among the options with the
 * clip's seed, so clips of one genre share a style but differ in key, tempo, patterns and timbre.
 *
 * Pattern strings have one character per 16th note (16 per bar):
 *  - drums: `X` accent, `x` normal, `o` soft, `g` ghost, `.` nothing;
 *  - bass: a chord degree to play (`R` root, `3`, `5`, `6`, `7` (the chord's seventh, else b7), `8`
 *    octave, `4`, `2`), `A` a chromatic approach to the next chord's root, `W` a walking-bass note chosen
 *    on the spot, `-` hold the previous note, `.` rest;
 *  - comping: `x` the whole chord (downstroke), `u` an upstroke on the top strings, a digit `n` the n-th
 *    chord tone from the bottom (arpeggios), `-` hold, `.` rest.
 */
import type { DrumName, InstrumentName, KitParams } from './instruments'
import { GTZAN_GENRES } from '../../common/genres'

export const GENRES = GTZAN_GENRES
export type Genre = (typeof GENRES)[number]

export const SCALES = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
  phrygian: [0, 1, 3, 5, 7, 8, 10],
  harmonicMinor: [0, 2, 3, 5, 7, 8, 11],
  blues: [0, 3, 5, 6, 7, 10],
  pentMajor: [0, 2, 4, 7, 9],
  pentMinor: [0, 3, 5, 7, 10],
  bebop: [0, 2, 4, 5, 7, 9, 10, 11]
} as const
export type ScaleName = keyof typeof SCALES

export const CHORD_QUALITIES = {
  maj: [0, 4, 7],
  min: [0, 3, 7],
  dim: [0, 3, 6],
  sus4: [0, 5, 7],
  '5': [0, 7],
  dom7: [0, 4, 7, 10],
  maj7: [0, 4, 7, 11],
  min7: [0, 3, 7, 10],
  m7b5: [0, 3, 6, 10],
  min6: [0, 3, 7, 9],
  maj6: [0, 4, 7, 9],
  add9: [0, 4, 7, 14],
  dom9: [0, 4, 7, 10, 14],
  min9: [0, 3, 7, 10, 14],
  maj9: [0, 4, 7, 11, 14],
  dom13: [0, 4, 10, 14, 21],
  dom7b9: [0, 4, 7, 10, 13]
} as const
export type ChordQuality = keyof typeof CHORD_QUALITIES

export interface Progression {
  /** space-separated `ROMAN:quality`, e.g. `ii:min9 V:dom13 I:maj9`; roman numerals may carry b/# */
  chords: string
  /** the mode the progression belongs to (sets the scale of the lead) */
  mode: ScaleName
  /** bars each chord lasts (one is picked per clip) */
  barsPerChord: number[]
}

export interface DrumPattern {
  name: string
  lanes: Partial<Record<DrumName, string>>
}

export interface DrumSpec {
  kit: KitParams
  patterns: DrumPattern[]
  /** what happens in the last beat of every fourth bar */
  fill: 'snare' | 'metal' | 'none'
  /** crash on the downbeat every this many bars (0: only never) */
  crashEvery: number
  /** dB per drum */
  levels: Partial<Record<DrumName, number>>
  /** timing jitter (ms, sd) */
  humanize: number
  /** jazz: the drummer comps with snare ghosts and kick "bombs" */
  comping?: boolean
  /** dB of the drum bus */
  level: number
  reverb: number
}

export interface LeadSpec {
  /** steps per rhythmic slot: 1 = 16ths, 2 = 8ths, 4 = quarters */
  unit: number
  /** chance of an onset on a slot */
  density: number
  /** bars of the repeated motif */
  motifBars: number
  /** phrase form over motifs: A repeats the motif (re-fitted to the chords), B is new material, - rests */
  form: string[]
  /** how much of the motif changes when it comes back (0 = loop-exact) */
  variation: number
  /** lead scale; default: the progression's mode */
  scale?: ScaleName
  bendProb?: number
  /** chance of a chromatic approach note before a chord tone */
  chromatic?: number
  /** fraction of the inter-onset time a note sounds */
  legato: number
}

export interface PartSpec {
  id: string
  role: 'bass' | 'chords' | 'lead'
  /** one is picked per clip */
  instruments: InstrumentName[]
  /** rhythm patterns (one picked per clip; `perBar` re-picks every bar) */
  patterns: string[]
  perBar?: boolean
  /** MIDI range: bass roots / voicing centre window / lead range */
  register: [number, number]
  voicing?: 'close' | 'open' | 'power' | 'shell'
  /** strum spread between strings (s) */
  strum?: number
  /** dB */
  level: number
  /** [lo, hi] velocity */
  velocity: [number, number]
  /** bus distortion: drive and cabinet tone (Hz) */
  drive?: [number, number]
  lowpass?: number
  highpass?: number
  /** feedback echo in beats */
  echo?: { beats: number; feedback: number; mix: number }
  reverb: number
  /** chance the part plays in a clip */
  prob?: number
  lead?: LeadSpec
  /** note length as a fraction of its slot for un-held tokens */
  gate?: number
}

export interface Style {
  genre: Genre
  tempo: [number, number]
  /** swing ratio range (0.5 = straight, 0.667 = triplet) and the note value it applies to */
  swing: [number, number]
  swingUnit: 8 | 16
  /** tempo rubato depth (fraction of tempo) */
  rubato: number
  /** slow dynamic swell depth (0..1) */
  dynamics: number
  /** pitch classes of the keys (0 = C) */
  keys: number[]
  progressions: Progression[]
  drums: DrumSpec | null
  parts: PartSpec[]
  /** at least one of these part ids is always present (others follow their `prob`) */
  core: string[]
  reverb: { size: number; damp: number }
  compression: { threshold: number; ratio: number } | null
  /** master colour: low-pass (dusty samples), presence boost in dB, vinyl crackle amount */
  master: { lowpass?: number; presence?: number; crackle?: number }
}

const KIT_ROCK: KitParams = {
  kickTune: 55,
  kickSweep: 160,
  kickDecay: 0.3,
  kickClick: 0.4,
  snareTune: 190,
  snareWires: 0.8,
  snareDecay: 0.18,
  cymbalBrightness: 0.6,
  hatDecay: 0.05
}

export const STYLES: Record<Genre, Style> = {
  blues: {
    genre: 'blues',
    tempo: [72, 118],
    swing: [0.63, 0.69],
    swingUnit: 8,
    rubato: 0,
    dynamics: 0.1,
    keys: [4, 9, 7, 0, 10, 2],
    progressions: [
      {
        chords: 'I:dom7 IV:dom7 I:dom7 I:dom7 IV:dom7 IV:dom7 I:dom7 I:dom7 V:dom7 IV:dom7 I:dom7 V:dom7',
        mode: 'mixolydian',
        barsPerChord: [1]
      },
      {
        chords: 'I:dom7 I:dom7 I:dom7 I:dom7 IV:dom7 IV:dom7 I:dom7 I:dom7 V:dom7 IV:dom7 I:dom7 V:dom7',
        mode: 'mixolydian',
        barsPerChord: [1]
      },
      {
        chords: 'i:min7 i:min7 i:min7 i:min7 iv:min7 iv:min7 i:min7 i:min7 bVI:dom7 V:dom7 i:min7 V:dom7',
        mode: 'minor',
        barsPerChord: [1]
      }
    ],
    drums: {
      kit: { ...KIT_ROCK, kickTune: 58, kickDecay: 0.25, snareTune: 210, snareDecay: 0.16, cymbalBrightness: 0.4 },
      patterns: [
        {
          name: 'shuffle',
          lanes: { kick: 'x.......x.......', snare: '....x.......x...', hatClosed: 'x.o.x.o.x.o.x.o.' }
        },
        {
          name: 'shuffle-ride',
          lanes: {
            kick: 'o...o...o...o...',
            snare: '....x.......x...',
            ride: 'x.o.x.o.x.o.x.o.',
            hatClosed: '....o.......o...'
          }
        }
      ],
      fill: 'snare',
      crashEvery: 4,
      levels: { kick: -2, hatClosed: -8, ride: -8, crash: -10 },
      humanize: 6,
      level: -4,
      reverb: 0.15
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassFinger', 'bassUpright'],
        patterns: ['R-3-5-6-7-6-5-3-', 'R-3-5-6-8-6-5-3-', 'W---W---W---W---'],
        register: [33, 45],
        level: -3,
        velocity: [0.7, 0.9],
        reverb: 0.05,
        gate: 0.85
      },
      {
        id: 'keys',
        role: 'chords',
        instruments: ['organ', 'piano'],
        patterns: ['x---------------', '..x-..x-..x-..x-', 'x--.x--.x--.x--.'],
        register: [55, 70],
        voicing: 'close',
        level: -11,
        velocity: [0.45, 0.65],
        reverb: 0.2
      },
      {
        id: 'guitar',
        role: 'chords',
        instruments: ['cleanGuitar'],
        patterns: ['x.x.x.x.x.x.x.x.', 'x-.-x-.-x-.-x-.-'],
        register: [45, 60],
        voicing: 'power',
        strum: 0.008,
        drive: [3, 3000],
        level: -10,
        velocity: [0.6, 0.85],
        reverb: 0.15,
        prob: 0.6,
        gate: 0.7
      },
      {
        id: 'lead',
        role: 'lead',
        instruments: ['guitarLead'],
        patterns: [],
        register: [57, 79],
        level: -9,
        velocity: [0.6, 0.9],
        reverb: 0.25,
        drive: [2, 3500],
        prob: 0.85,
        lead: {
          unit: 2,
          density: 0.55,
          motifBars: 2,
          form: ['A', '-', 'A', 'B'],
          variation: 0.4,
          scale: 'blues',
          bendProb: 0.35,
          legato: 0.9
        }
      }
    ],
    core: ['keys', 'guitar'],
    reverb: { size: 0.55, damp: 0.5 },
    compression: { threshold: 0.35, ratio: 2.5 },
    master: {}
  },

  classical: {
    genre: 'classical',
    tempo: [56, 104],
    swing: [0.5, 0.5],
    swingUnit: 8,
    rubato: 0.07,
    dynamics: 0.4,
    keys: [0, 2, 3, 5, 7, 9, 10, 4],
    progressions: [
      { chords: 'I:maj IV:maj V:dom7 I:maj', mode: 'major', barsPerChord: [1, 2] },
      { chords: 'I:maj vi:min ii:min V:dom7', mode: 'major', barsPerChord: [1, 2] },
      { chords: 'I:maj V:maj vi:min iii:min IV:maj I:maj IV:maj V:maj', mode: 'major', barsPerChord: [1] },
      { chords: 'i:min iv:min V:dom7 i:min', mode: 'harmonicMinor', barsPerChord: [1, 2] },
      { chords: 'i:min VI:maj ii:dim V:dom7', mode: 'harmonicMinor', barsPerChord: [1, 2] }
    ],
    drums: null,
    parts: [
      {
        id: 'strings',
        role: 'chords',
        instruments: ['strings'],
        patterns: ['x---------------', 'x-------x-------'],
        register: [52, 72],
        voicing: 'open',
        level: -6,
        velocity: [0.5, 0.75],
        reverb: 0.5,
        prob: 0.7
      },
      {
        id: 'cello',
        role: 'bass',
        instruments: ['strings'],
        patterns: ['R-------5-------', 'R---------------', 'R-------R---5---'],
        register: [36, 50],
        level: -7,
        velocity: [0.55, 0.75],
        reverb: 0.5,
        prob: 0.6
      },
      {
        id: 'piano',
        role: 'chords',
        instruments: ['piano'],
        patterns: ['0-2-1-2-0-2-1-2-', '0-1-2-3-2-1-2-3-', '0.2.1.2.0.2.1.2.', 'x-------x-------'],
        register: [48, 67],
        voicing: 'close',
        level: -6,
        velocity: [0.35, 0.6],
        reverb: 0.45,
        prob: 0.65
      },
      {
        id: 'melody',
        role: 'lead',
        instruments: ['violin', 'flute', 'piano'],
        patterns: [],
        register: [64, 86],
        level: -7,
        velocity: [0.45, 0.7],
        reverb: 0.5,
        prob: 0.9,
        lead: { unit: 4, density: 0.7, motifBars: 2, form: ['A', 'B', 'A', 'B'], variation: 0.5, legato: 1 }
      }
    ],
    core: ['strings', 'piano'],
    reverb: { size: 0.9, damp: 0.45 },
    compression: null,
    master: {}
  },

  country: {
    genre: 'country',
    tempo: [100, 145],
    swing: [0.5, 0.56],
    swingUnit: 8,
    rubato: 0,
    dynamics: 0.05,
    keys: [7, 0, 2, 9, 4],
    progressions: [
      { chords: 'I:maj IV:maj V:maj I:maj', mode: 'major', barsPerChord: [1, 2] },
      { chords: 'I:maj I:maj IV:maj I:maj V:maj V:maj I:maj I:maj', mode: 'major', barsPerChord: [1] },
      { chords: 'I:maj IV:maj I:maj V:dom7', mode: 'major', barsPerChord: [1, 2] },
      { chords: 'I:maj V:maj IV:maj I:maj', mode: 'major', barsPerChord: [1] }
    ],
    drums: {
      kit: {
        ...KIT_ROCK,
        kickTune: 62,
        kickDecay: 0.22,
        kickClick: 0.2,
        snareTune: 220,
        snareWires: 0.9,
        snareDecay: 0.14,
        hatDecay: 0.04,
        brushes: true
      },
      patterns: [
        { name: 'train', lanes: { kick: 'x.......x.......', snare: 'ggogxgoggogoxgog' } },
        {
          name: 'two-step',
          lanes: { kick: 'x.......x.......', rim: '....x.......x...', hatClosed: 'x.o.x.o.x.o.x.o.' }
        },
        {
          name: 'boom-chick',
          lanes: { kick: 'x.......x.......', snare: '....x.......x...', hatClosed: 'o.o.o.o.o.o.o.o.' }
        }
      ],
      fill: 'snare',
      crashEvery: 8,
      levels: { snare: -5, hatClosed: -10, rim: -4, crash: -12 },
      humanize: 4,
      level: -6,
      reverb: 0.1
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassFinger'],
        patterns: ['R-..5-..R-..5-..', 'R---5---R---5---', 'R-..5-..R-..5-3-'],
        register: [36, 47],
        level: -4,
        velocity: [0.7, 0.9],
        reverb: 0.05,
        gate: 0.8
      },
      {
        id: 'acoustic',
        role: 'chords',
        instruments: ['acoustic'],
        patterns: ['x-u-x-u-x-u-x-u-', 'x.x-u-x-x.x-u-x-', 'x---u-x-x---u-x-'],
        register: [52, 67],
        voicing: 'open',
        strum: 0.012,
        level: -8,
        velocity: [0.5, 0.8],
        reverb: 0.1
      },
      {
        id: 'twang',
        role: 'lead',
        instruments: ['twang', 'violin'],
        patterns: [],
        register: [60, 81],
        level: -8,
        velocity: [0.6, 0.95],
        reverb: 0.1,
        echo: { beats: 0.22, feedback: 0.15, mix: 0.3 },
        prob: 0.9,
        lead: {
          unit: 2,
          density: 0.6,
          motifBars: 2,
          form: ['A', 'A', 'B', 'A'],
          variation: 0.3,
          scale: 'pentMajor',
          bendProb: 0.15,
          legato: 0.8
        }
      }
    ],
    core: ['acoustic'],
    reverb: { size: 0.4, damp: 0.5 },
    compression: { threshold: 0.4, ratio: 2 },
    master: { presence: 2 }
  },

  disco: {
    genre: 'disco',
    tempo: [112, 128],
    swing: [0.5, 0.52],
    swingUnit: 16,
    rubato: 0,
    dynamics: 0,
    keys: [9, 2, 4, 7, 0, 5],
    progressions: [
      { chords: 'i:min7 iv:min7', mode: 'dorian', barsPerChord: [1, 2] },
      { chords: 'i:min7 bVII:maj', mode: 'dorian', barsPerChord: [1] },
      { chords: 'ii:min7 V:dom9 I:maj7 vi:min7', mode: 'major', barsPerChord: [1] },
      { chords: 'i:min9 bVI:maj7 bVII:dom7 i:min9', mode: 'minor', barsPerChord: [1] }
    ],
    drums: {
      kit: {
        ...KIT_ROCK,
        kickTune: 52,
        kickSweep: 140,
        kickDecay: 0.28,
        kickClick: 0.35,
        snareTune: 200,
        snareDecay: 0.15,
        cymbalBrightness: 0.9,
        hatDecay: 0.04
      },
      patterns: [
        {
          name: 'four-on-the-floor',
          lanes: {
            kick: 'X...X...X...X...',
            snare: '....x.......x...',
            clap: '....x.......x...',
            hatClosed: 'xg.gxg.gxg.gxg.g',
            hatOpen: '..x...x...x...x.'
          }
        },
        {
          name: 'four-open-hats',
          lanes: {
            kick: 'X...X...X...X...',
            snare: '....X.......X...',
            hatClosed: 'x...x...x...x...',
            hatOpen: '..x...x...x...x.'
          }
        }
      ],
      fill: 'snare',
      crashEvery: 8,
      levels: { kick: 0, clap: -6, hatClosed: -7, hatOpen: -6, crash: -12 },
      humanize: 2,
      level: -3,
      reverb: 0.1
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassSynth', 'bassFinger'],
        patterns: ['R.8.R.8.R.8.R.8.', 'R-8-R-8-R-8-5-8-', 'R.8.5.8.R.8.7.8.'],
        register: [33, 45],
        level: -3,
        velocity: [0.75, 0.95],
        reverb: 0.03,
        gate: 0.7
      },
      {
        id: 'strings',
        role: 'chords',
        instruments: ['strings', 'synthPad'],
        patterns: ['x---------------', 'x-----x-----x---', '..x-..x-..x-..x-'],
        register: [60, 76],
        voicing: 'close',
        level: -10,
        velocity: [0.55, 0.75],
        reverb: 0.3
      },
      {
        id: 'guitar',
        role: 'chords',
        instruments: ['mutedGuitar'],
        patterns: ['.x.x.x.x.x.x.x.x', 'xgxgxgxgxgxgxgxg', '..x...x...x...x.'],
        register: [60, 72],
        voicing: 'close',
        strum: 0.004,
        level: -10,
        velocity: [0.5, 0.8],
        highpass: 500,
        reverb: 0.1,
        prob: 0.8,
        gate: 0.5
      },
      {
        id: 'lead',
        role: 'lead',
        instruments: ['synthLead', 'violin'],
        patterns: [],
        register: [67, 86],
        level: -10,
        velocity: [0.6, 0.85],
        reverb: 0.25,
        prob: 0.7,
        lead: { unit: 2, density: 0.5, motifBars: 2, form: ['A', 'A', 'B', 'A'], variation: 0.2, legato: 0.85 }
      }
    ],
    core: ['strings'],
    reverb: { size: 0.6, damp: 0.4 },
    compression: { threshold: 0.3, ratio: 3 },
    master: { presence: 3 }
  },

  hiphop: {
    genre: 'hiphop',
    tempo: [82, 98],
    swing: [0.55, 0.62],
    swingUnit: 16,
    rubato: 0,
    dynamics: 0,
    keys: [1, 3, 5, 6, 8, 10, 0, 9],
    progressions: [
      { chords: 'i:min7 bVI:maj7', mode: 'minor', barsPerChord: [1, 2] },
      { chords: 'i:min9 i:min9 iv:min7 iv:min7', mode: 'dorian', barsPerChord: [1] },
      { chords: 'i:min7 iv:min7', mode: 'dorian', barsPerChord: [1, 2] },
      { chords: 'i:min9 bVII:dom7 bVI:maj7 V:dom7b9', mode: 'harmonicMinor', barsPerChord: [1] }
    ],
    drums: {
      kit: {
        kickTune: 46,
        kickSweep: 130,
        kickDecay: 0.55,
        kickClick: 0.3,
        snareTune: 180,
        snareWires: 1,
        snareDecay: 0.2,
        cymbalBrightness: 0.3,
        hatDecay: 0.04
      },
      patterns: [
        {
          name: 'boom-bap',
          lanes: { kick: 'X......x.x......', snare: '....X.......X...', hatClosed: 'x.o.x.o.x.o.x.o.' }
        },
        {
          name: 'boom-bap-2',
          lanes: { kick: 'X..x......X.....', snare: '....X.......X..g', hatClosed: 'x.x.x.x.x.x.x.xo' }
        },
        {
          name: 'boom-bap-16',
          lanes: { kick: 'X.....X...x..x..', snare: '....X.......X...', hatClosed: 'xoxoxoxoxoxoxoxo' }
        }
      ],
      fill: 'none',
      crashEvery: 0,
      levels: { kick: 0, snare: 0, hatClosed: -6 },
      humanize: 3,
      level: 0,
      reverb: 0.05
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassSub'],
        patterns: ['R------R.R------', 'R-------..R-5-..', 'R--------.....A-', 'R-----R---R-----'],
        register: [29, 41],
        level: -3,
        velocity: [0.8, 0.95],
        reverb: 0,
        gate: 0.9
      },
      {
        id: 'keys',
        role: 'chords',
        instruments: ['epiano', 'piano', 'strings'],
        patterns: ['x-------x-------', 'x----.x-----..x-', 'x---------------'],
        register: [55, 70],
        voicing: 'close',
        level: -10,
        velocity: [0.45, 0.65],
        lowpass: 2800,
        reverb: 0.15
      },
      {
        id: 'hook',
        role: 'lead',
        instruments: ['bell', 'epiano', 'flute'],
        patterns: [],
        register: [67, 84],
        level: -14,
        velocity: [0.5, 0.7],
        lowpass: 3500,
        reverb: 0.2,
        prob: 0.75,
        lead: { unit: 2, density: 0.4, motifBars: 2, form: ['A', 'A', 'A', 'A'], variation: 0, legato: 0.8 }
      },
      {
        id: 'rap',
        role: 'lead',
        instruments: ['rapVoice'],
        patterns: [],
        register: [45, 55],
        level: -7,
        velocity: [0.6, 0.95],
        reverb: 0.05,
        prob: 0.8,
        lead: {
          unit: 1,
          density: 0.62,
          motifBars: 1,
          form: ['A', 'B', 'A', 'B', 'A', 'B', 'A', '-'],
          variation: 0.7,
          scale: 'pentMinor',
          legato: 0.75
        }
      }
    ],
    core: ['keys'],
    reverb: { size: 0.35, damp: 0.6 },
    compression: { threshold: 0.3, ratio: 3 },
    master: { lowpass: 7000, crackle: 1 }
  },

  jazz: {
    genre: 'jazz',
    tempo: [96, 200],
    swing: [0.6, 0.68],
    swingUnit: 8,
    rubato: 0.01,
    dynamics: 0.15,
    keys: [5, 10, 3, 0, 7, 8],
    progressions: [
      { chords: 'ii:min9 V:dom13 I:maj9 VI:dom7b9', mode: 'major', barsPerChord: [1] },
      { chords: 'I:maj7 vi:min7 ii:min7 V:dom7', mode: 'major', barsPerChord: [0.5, 1] },
      { chords: 'ii:m7b5 V:dom7b9 i:min6 i:min6', mode: 'harmonicMinor', barsPerChord: [1] },
      { chords: 'ii:min7 V:dom9 iii:min7 VI:dom7b9 ii:min7 V:dom13 I:maj7 I:maj6', mode: 'major', barsPerChord: [1] }
    ],
    drums: {
      kit: {
        kickTune: 62,
        kickSweep: 110,
        kickDecay: 0.25,
        kickClick: 0.1,
        snareTune: 240,
        snareWires: 0.7,
        snareDecay: 0.22,
        cymbalBrightness: 0.2,
        hatDecay: 0.05,
        brushes: true
      },
      patterns: [
        {
          name: 'swing-ride',
          lanes: { ride: 'X...x.o.X...x.o.', hatClosed: '....x.......x...', kick: 'g...g...g...g...' }
        },
        {
          name: 'swing-ride-2',
          lanes: { ride: 'X...x.o.X...x.o.', hatClosed: '....x.......x...' }
        }
      ],
      fill: 'none',
      crashEvery: 0,
      levels: { ride: -4, hatClosed: -10, kick: -8, snare: -10 },
      humanize: 7,
      comping: true,
      level: -10,
      reverb: 0.15
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassUpright'],
        patterns: ['W---W---W---W---'],
        register: [28, 47],
        level: -2,
        velocity: [0.7, 0.9],
        reverb: 0.08,
        gate: 0.9
      },
      {
        id: 'piano',
        role: 'chords',
        instruments: ['piano', 'epiano'],
        patterns: [
          'x-....x.........',
          '...x-.......x-..',
          '......x-...x-...',
          'x-.........x-...',
          '........'.repeat(2)
        ],
        perBar: true,
        register: [52, 68],
        voicing: 'shell',
        level: -8,
        velocity: [0.35, 0.6],
        reverb: 0.2
      },
      {
        id: 'horn',
        role: 'lead',
        instruments: ['sax', 'sax', 'piano'],
        patterns: [],
        register: [56, 79],
        level: -8,
        velocity: [0.5, 0.8],
        reverb: 0.2,
        prob: 0.85,
        lead: {
          unit: 2,
          density: 0.72,
          motifBars: 2,
          form: ['A', 'B', 'A', 'B'],
          variation: 0.6,
          chromatic: 0.3,
          legato: 0.9
        }
      }
    ],
    core: ['piano'],
    reverb: { size: 0.5, damp: 0.5 },
    compression: null,
    master: {}
  },

  metal: {
    genre: 'metal',
    tempo: [140, 200],
    swing: [0.5, 0.5],
    swingUnit: 16,
    rubato: 0,
    dynamics: 0,
    keys: [4, 2, 1, 0, 11],
    progressions: [
      { chords: 'i:5 bVI:5 bVII:5 i:5', mode: 'minor', barsPerChord: [1, 2] },
      { chords: 'i:5 bII:5 i:5 bVII:5', mode: 'phrygian', barsPerChord: [1] },
      { chords: 'i:5 i:5 bVI:5 bVII:5', mode: 'harmonicMinor', barsPerChord: [1] },
      { chords: 'i:5 iv:5 bVI:5 v:5', mode: 'minor', barsPerChord: [1] }
    ],
    drums: {
      kit: {
        kickTune: 58,
        kickSweep: 190,
        kickDecay: 0.16,
        kickClick: 1,
        snareTune: 210,
        snareWires: 0.9,
        snareDecay: 0.16,
        cymbalBrightness: 0.8,
        hatDecay: 0.05
      },
      patterns: [
        {
          name: 'double-kick',
          lanes: {
            kick: 'xxxxxxxxxxxxxxxx',
            snare: '....X.......X...',
            crash: 'x.......x.......',
            hatClosed: '..x...x...x...x.'
          }
        },
        {
          name: 'gallop',
          lanes: { kick: 'x.xxx.xxx.xxx.xx', snare: '....X.......X...', ride: 'x.x.x.x.x.x.x.x.' }
        },
        {
          name: 'thrash',
          lanes: { kick: 'x.x.x.x.x.x.x.x.', snare: '..X...X...X...X.', hatClosed: 'x.x.x.x.x.x.x.x.' }
        }
      ],
      fill: 'metal',
      crashEvery: 2,
      levels: { kick: -1, snare: 0, crash: -9, ride: -8, hatClosed: -8 },
      humanize: 1.5,
      level: -3,
      reverb: 0.08
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassPick'],
        patterns: ['R-R-R-R-R-R-R-R-', 'R.RRR.RRR.RRR.RR', 'RRRRRRRRRRRRRRRR'],
        register: [26, 38],
        level: -5,
        velocity: [0.8, 1],
        reverb: 0,
        gate: 0.85
      },
      {
        id: 'guitars',
        role: 'chords',
        instruments: ['powerChord'],
        patterns: ['xxxxxxxxxxxxxxxx', 'x.xxx.xxx.xxx.xx', 'x-------x-x-x-x-', 'x-x-x-x-xxxxxxxx'],
        register: [38, 50],
        voicing: 'power',
        drive: [40, 5000],
        level: -2,
        velocity: [0.8, 1],
        reverb: 0.08,
        gate: 0.75
      },
      {
        id: 'lead',
        role: 'lead',
        instruments: ['guitarLead'],
        patterns: [],
        register: [62, 88],
        drive: [12, 4000],
        level: -9,
        velocity: [0.8, 1],
        reverb: 0.15,
        prob: 0.45,
        lead: {
          unit: 1,
          density: 0.85,
          motifBars: 1,
          form: ['-', 'A', 'B', 'A'],
          variation: 0.5,
          scale: 'harmonicMinor',
          legato: 0.9
        }
      }
    ],
    core: ['guitars'],
    reverb: { size: 0.35, damp: 0.6 },
    compression: { threshold: 0.25, ratio: 4 },
    master: {}
  },

  pop: {
    genre: 'pop',
    tempo: [94, 128],
    swing: [0.5, 0.53],
    swingUnit: 16,
    rubato: 0,
    dynamics: 0,
    keys: [0, 2, 4, 5, 7, 9, 11, 10],
    progressions: [
      { chords: 'I:maj V:maj vi:min IV:maj', mode: 'major', barsPerChord: [1] },
      { chords: 'vi:min IV:maj I:maj V:maj', mode: 'major', barsPerChord: [1] },
      { chords: 'I:maj vi:min IV:maj V:maj', mode: 'major', barsPerChord: [1] },
      { chords: 'IV:maj7 I:add9 V:maj vi:min7', mode: 'major', barsPerChord: [1] }
    ],
    drums: {
      kit: { ...KIT_ROCK, kickTune: 50, kickDecay: 0.35, snareTune: 200, cymbalBrightness: 0.85, hatDecay: 0.04 },
      patterns: [
        {
          name: 'pop',
          lanes: {
            kick: 'X.....x.X.......',
            snare: '....X.......X...',
            clap: '....x.......x...',
            hatClosed: 'x.x.x.x.x.x.x.x.'
          }
        },
        {
          name: 'pop-16',
          lanes: { kick: 'X.......X.x.....', snare: '....X.......X...', hatClosed: 'xoxoxoxoxoxoxoxo' }
        },
        {
          name: 'pop-drive',
          lanes: { kick: 'X...X...X...X..x', clap: '....X.......X...', hatClosed: 'x.x.x.x.x.x.x.x.' }
        }
      ],
      fill: 'snare',
      crashEvery: 4,
      levels: { kick: 0, snare: -2, clap: -5, hatClosed: -8, crash: -12 },
      humanize: 1,
      level: -4,
      reverb: 0.12
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassFinger', 'bassSynth'],
        patterns: ['R-R-R-R-R-R-R-R-', 'R--R--R-R--R--R-', 'R-------R---5---'],
        register: [33, 45],
        level: -4,
        velocity: [0.7, 0.9],
        reverb: 0.03,
        gate: 0.8
      },
      {
        id: 'piano',
        role: 'chords',
        instruments: ['piano', 'synthPad', 'cleanGuitar'],
        patterns: ['x--x--x-x--x--x-', 'x-------x-------', 'x-x-x-x-x-x-x-x-'],
        register: [57, 72],
        voicing: 'close',
        strum: 0.006,
        level: -8,
        velocity: [0.55, 0.75],
        reverb: 0.2
      },
      {
        id: 'arp',
        role: 'chords',
        instruments: ['cleanGuitar', 'bell'],
        patterns: ['0.1.2.1.0.1.2.1.', '0.2.1.2.3.2.1.2.'],
        register: [64, 79],
        voicing: 'close',
        level: -14,
        velocity: [0.45, 0.65],
        reverb: 0.25,
        prob: 0.5
      },
      {
        id: 'vocal',
        role: 'lead',
        instruments: ['vocal', 'vocal', 'synthLead', 'flute'],
        patterns: [],
        register: [62, 79],
        level: -7,
        velocity: [0.6, 0.85],
        reverb: 0.25,
        echo: { beats: 0.75, feedback: 0.25, mix: 0.15 },
        prob: 0.9,
        lead: {
          unit: 2,
          density: 0.6,
          motifBars: 2,
          form: ['A', 'A', 'B', 'A'],
          variation: 0.15,
          scale: 'pentMajor',
          legato: 0.85
        }
      }
    ],
    core: ['piano'],
    reverb: { size: 0.6, damp: 0.35 },
    compression: { threshold: 0.3, ratio: 3 },
    master: { presence: 3 }
  },

  reggae: {
    genre: 'reggae',
    tempo: [66, 88],
    swing: [0.52, 0.6],
    swingUnit: 16,
    rubato: 0,
    dynamics: 0,
    keys: [7, 9, 2, 0, 5, 4],
    progressions: [
      { chords: 'I:maj IV:maj', mode: 'major', barsPerChord: [1, 2] },
      { chords: 'i:min bVII:maj', mode: 'dorian', barsPerChord: [1, 2] },
      { chords: 'I:maj V:maj vi:min IV:maj', mode: 'major', barsPerChord: [1] },
      { chords: 'i:min iv:min i:min bVII:maj', mode: 'minor', barsPerChord: [1] }
    ],
    drums: {
      kit: {
        kickTune: 50,
        kickSweep: 120,
        kickDecay: 0.35,
        kickClick: 0.2,
        snareTune: 260,
        snareWires: 0.6,
        snareDecay: 0.12,
        cymbalBrightness: 0.5,
        hatDecay: 0.04
      },
      patterns: [
        {
          name: 'one-drop',
          lanes: { kick: '........X.......', rim: '........x.......', hatClosed: 'x.o.x.o.x.o.x.o.' }
        },
        {
          name: 'steppers',
          lanes: { kick: 'X...X...X...X...', rim: '........x.......', hatClosed: '..x...x...x...x.' }
        },
        {
          name: 'rockers',
          lanes: { kick: 'X.......X.......', rim: '....x.......x...', hatClosed: 'xoxoxoxoxoxoxoxo' }
        }
      ],
      fill: 'none',
      crashEvery: 0,
      levels: { kick: 1, rim: -3, hatClosed: -9 },
      humanize: 4,
      level: -4,
      reverb: 0.2
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassSub', 'bassFinger'],
        patterns: ['R-..R-5-..8-5-3-', '..R-..R-5-..3-5-', 'R---..R-5-..3-..'],
        register: [28, 40],
        level: 0,
        velocity: [0.8, 0.95],
        lowpass: 600,
        reverb: 0,
        gate: 0.9
      },
      {
        id: 'skank',
        role: 'chords',
        instruments: ['skank'],
        patterns: ['....x.......x...', '..x...x...x...x.'],
        register: [60, 72],
        voicing: 'close',
        strum: 0.004,
        level: -9,
        velocity: [0.6, 0.8],
        highpass: 400,
        echo: { beats: 0.75, feedback: 0.35, mix: 0.3 },
        reverb: 0.3,
        gate: 0.4
      },
      {
        id: 'organ',
        role: 'chords',
        instruments: ['organ'],
        patterns: ['..xx..xx..xx..xx', '....x-......x-..'],
        register: [55, 67],
        voicing: 'close',
        level: -16,
        velocity: [0.45, 0.6],
        reverb: 0.2,
        prob: 0.6,
        gate: 0.7
      },
      {
        id: 'melodica',
        role: 'lead',
        instruments: ['melodica', 'organ'],
        patterns: [],
        register: [62, 79],
        level: -11,
        velocity: [0.55, 0.75],
        reverb: 0.35,
        echo: { beats: 0.75, feedback: 0.3, mix: 0.2 },
        prob: 0.55,
        lead: { unit: 2, density: 0.4, motifBars: 2, form: ['A', '-', 'A', 'B'], variation: 0.3, legato: 0.85 }
      }
    ],
    core: ['skank'],
    reverb: { size: 0.7, damp: 0.35 },
    compression: { threshold: 0.35, ratio: 2.5 },
    master: {}
  },

  rock: {
    genre: 'rock',
    tempo: [100, 150],
    swing: [0.5, 0.52],
    swingUnit: 16,
    rubato: 0,
    dynamics: 0,
    keys: [4, 9, 2, 7, 0],
    progressions: [
      { chords: 'I:5 bVII:5 IV:5 I:5', mode: 'mixolydian', barsPerChord: [1] },
      { chords: 'I:5 IV:5 V:5 IV:5', mode: 'major', barsPerChord: [1] },
      { chords: 'i:5 bVI:5 bIII:5 bVII:5', mode: 'minor', barsPerChord: [1] },
      { chords: 'I:5 V:5 vi:5 IV:5', mode: 'major', barsPerChord: [1] }
    ],
    drums: {
      kit: KIT_ROCK,
      patterns: [
        {
          name: 'backbeat',
          lanes: { kick: 'X.......X.x.....', snare: '....X.......X...', hatClosed: 'x.x.x.x.x.x.x.x.' }
        },
        {
          name: 'backbeat-ride',
          lanes: { kick: 'X.x.....X.x.....', snare: '....X.......X...', ride: 'x.x.x.x.x.x.x.x.' }
        },
        {
          name: 'backbeat-2',
          lanes: { kick: 'X.....x.X.......', snare: '....X.......X...', hatClosed: 'xox.xox.xox.xox.' }
        }
      ],
      fill: 'snare',
      crashEvery: 4,
      levels: { kick: 0, snare: 0, hatClosed: -8, ride: -8, crash: -10 },
      humanize: 4,
      level: -3,
      reverb: 0.12
    },
    parts: [
      {
        id: 'bass',
        role: 'bass',
        instruments: ['bassPick', 'bassFinger'],
        patterns: ['R.R.R.R.R.R.R.R.', 'R-R-R-R-R-R-R-R-', 'R-----R-R-----R-'],
        register: [31, 43],
        level: -4,
        velocity: [0.75, 0.95],
        reverb: 0.03,
        gate: 0.8
      },
      {
        id: 'guitars',
        role: 'chords',
        instruments: ['powerChord'],
        patterns: ['x.x.x.x.x.x.x.x.', 'x-----x-x-----x-', 'x-------x---x---', 'x-x-x-x-x-x-x-x-'],
        register: [40, 52],
        voicing: 'power',
        drive: [9, 3200],
        level: -4,
        velocity: [0.7, 0.95],
        reverb: 0.12,
        gate: 0.85
      },
      {
        id: 'lead',
        role: 'lead',
        instruments: ['guitarLead'],
        patterns: [],
        register: [59, 81],
        drive: [3, 3500],
        level: -9,
        velocity: [0.7, 0.95],
        reverb: 0.2,
        prob: 0.55,
        lead: {
          unit: 2,
          density: 0.6,
          motifBars: 2,
          form: ['-', 'A', 'A', 'B'],
          variation: 0.3,
          scale: 'pentMinor',
          bendProb: 0.2,
          legato: 0.9
        }
      }
    ],
    core: ['guitars'],
    reverb: { size: 0.45, damp: 0.5 },
    compression: { threshold: 0.3, ratio: 3 },
    master: {}
  }
}

export const KEY_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B']

const ROMAN: Record<string, number> = { i: 0, ii: 2, iii: 4, iv: 5, v: 7, vi: 9, vii: 11 }

export interface ParsedChord {
  /** semitones above the key root */
  root: number
  intervals: readonly number[]
  label: string
}

/** Parses `ROMAN:quality` tokens (e.g. `bVII:maj`, `ii:min9`). */
export function parseProgression(text: string): ParsedChord[] {
  return text
    .trim()
    .split(/\s+/)
    .map((tok) => {
      const m = /^([b#]?)([ivIV]+):(.+)$/.exec(tok)
      if (!m) throw new Error(`bad chord token ${tok}`)
      const deg = ROMAN[m[2].toLowerCase()]
      const quality = m[3] as ChordQuality
      if (deg === undefined || !(quality in CHORD_QUALITIES)) throw new Error(`bad chord token ${tok}`)
      const root = (deg + (m[1] === 'b' ? -1 : m[1] === '#' ? 1 : 0) + 12) % 12
      return { root, intervals: CHORD_QUALITIES[quality], label: tok }
    })
}
