/**
 * The demo synthesiser: determinism, format, levels, speed, and genres that differ measurably. The
 * descriptors below (spectral centroid, low/high band shares, onset envelope, tempo by autocorrelation,
 * pulse clarity) are computed here from the samples alone, independently of the synth's own code.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B2mError } from '../../src-main/common/errors'
import {
  GENRES,
  PEAK_CEILING,
  Rng,
  STYLES,
  encodeWav16,
  renderClip,
  renderGenreSampler,
  type Genre,
  type RenderedClip
} from '../../src-main/demo/synth'

const SR = 22050
const SEEDS = [11, 12, 13, 14]

const sha = (x: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
    .digest('hex')

// ------------------------------------------------------------------------------------------ descriptors

function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    if (i < j) {
      ;[re[i], re[j]] = [re[j], re[i]]
      ;[im[i], im[j]] = [im[j], im[i]]
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k)
        const wi = Math.sin(ang * k)
        const a = i + k
        const b = a + len / 2
        const xr = re[b] * wr - im[b] * wi
        const xi = re[b] * wi + im[b] * wr
        re[b] = re[a] - xr
        im[b] = im[a] - xi
        re[a] += xr
        im[a] += xi
      }
    }
  }
}

interface Descriptors {
  centroid: number
  lowShare: number
  highShare: number
  /** mean positive frame-to-frame rise of the energy above 2 kHz, relative to the mean total energy */
  percussive: number
  /** autocorrelation-based tempo in 60..200 BPM */
  tempo: number
  /** peak normalised autocorrelation of the onset envelope over beat lags */
  pulse: number
  /** coefficient of variation of frame energy */
  energyVar: number
  /** the onset envelope (frames of `hop` samples) */
  envelope: Float64Array
  fps: number
}

function describeClip(x: Float32Array, sr: number): Descriptors {
  const N = 1024
  const hop = 256
  const win = new Float64Array(N).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N))
  const bins = N / 2
  const hz = sr / N
  const frames = Math.floor((x.length - N) / hop)
  let prev = new Float64Array(bins)
  const onset = new Float64Array(frames)
  const energy = new Float64Array(frames)
  let cNum = 0
  let cDen = 0
  let low = 0
  let high = 0
  let total = 0
  let hfFlux = 0
  let prevHf = 0
  for (let f = 0; f < frames; f++) {
    const re = new Float64Array(N)
    const im = new Float64Array(N)
    for (let i = 0; i < N; i++) re[i] = x[f * hop + i] * win[i]
    fft(re, im)
    const mag = new Float64Array(bins)
    let flux = 0
    let hf = 0
    for (let k = 1; k < bins; k++) {
      const p = re[k] * re[k] + im[k] * im[k]
      const m = Math.sqrt(p)
      mag[k] = Math.log1p(100 * m)
      const freq = k * hz
      cNum += freq * p
      cDen += p
      total += p
      energy[f] += p
      if (freq < 150) low += p
      if (freq > 4000) high += p
      const d = mag[k] - prev[k]
      if (d > 0) flux += d
      if (freq > 2000) hf += p
    }
    if (f > 0 && hf > prevHf) hfFlux += hf - prevHf
    prevHf = hf
    onset[f] = flux
    prev = mag
  }
  // onset envelope: remove a local mean, half-wave rectify
  const env = new Float64Array(frames)
  const w = 16
  for (let f = 0; f < frames; f++) {
    let s = 0
    let c = 0
    for (let k = Math.max(0, f - w); k < Math.min(frames, f + w + 1); k++) {
      s += onset[k]
      c++
    }
    env[f] = Math.max(0, onset[f] - s / c)
  }
  const fps = sr / hop
  const ac = (lag: number) => {
    let s = 0
    for (let f = 0; f + lag < frames; f++) s += env[f] * env[f + lag]
    return s / (frames - lag)
  }
  const ac0 = ac(0) || 1
  let best = 0
  let bestLag = 1
  let pulse = 0
  for (let bpm = 60; bpm <= 200; bpm += 0.5) {
    const lag = (60 / bpm) * fps
    const l0 = Math.floor(lag)
    const v = ac(l0) * (1 - (lag - l0)) + ac(l0 + 1) * (lag - l0)
    // a mild preference for moderate tempi (log-Gaussian around 120 BPM), as beat trackers do
    const weighted = v * Math.exp(-0.5 * Math.pow(Math.log2(bpm / 120) / 1.2, 2))
    if (weighted > best) {
      best = weighted
      bestLag = lag
    }
    pulse = Math.max(pulse, v / ac0)
  }
  let eMean = 0
  for (const e of energy) eMean += e
  eMean /= frames
  let eVar = 0
  for (const e of energy) eVar += (e - eMean) ** 2
  return {
    centroid: cNum / cDen,
    lowShare: low / total,
    highShare: high / total,
    percussive: hfFlux / Math.max(1e-12, total),
    tempo: (60 * fps) / bestLag,
    pulse,
    energyVar: Math.sqrt(eVar / frames) / eMean,
    envelope: env,
    fps
  }
}

const octaveMatch = (est: number, truth: number, tol = 0.04) =>
  [0.5, 2 / 3, 1, 1.5, 2].some((m) => Math.abs(est / (truth * m) - 1) <= tol)

// ------------------------------------------------------------------------------------------ clips

const clips = new Map<Genre, RenderedClip[]>()
const desc = new Map<Genre, Descriptors[]>()

beforeAll(() => {
  for (const g of GENRES)
    clips.set(
      g,
      SEEDS.map((seed) => renderClip({ genre: g, seed }))
    )
  for (const g of GENRES)
    desc.set(
      g,
      clips.get(g)!.map((c) => describeClip(c.samples, c.sampleRate))
    )
}, 120_000)

type Scalar = Exclude<keyof Descriptors, 'envelope'>
const mean = (g: Genre, k: Scalar) => desc.get(g)!.reduce((s, d) => s + d[k], 0) / SEEDS.length

describe('the seeded generator', () => {
  it('PCG-style streams: the Rng is deterministic, salted, uniform and normal', () => {
    const a = new Rng(42, 'x')
    const b = new Rng(42, 'x')
    const c = new Rng(42, 'y')
    const sa = Array.from({ length: 8 }, () => a.u32())
    expect(sa).toEqual(Array.from({ length: 8 }, () => b.u32()))
    expect(sa).not.toEqual(Array.from({ length: 8 }, () => c.u32()))
    const r = new Rng(7)
    let s = 0
    let s2 = 0
    const n = 20000
    for (let i = 0; i < n; i++) {
      const z = r.normal()
      s += z
      s2 += z * z
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03)
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05)
    const u = new Rng(8)
    let lo = 0
    for (let i = 0; i < n; i++) if (u.float() < 0.5) lo++
    expect(Math.abs(lo / n - 0.5)).toBeLessThan(0.02)
    expect(() => new Rng(1.5)).toThrow(B2mError)
  })

  it('same arguments give bit-identical samples; other seeds and genres give other music', () => {
    const a = renderClip({ genre: 'jazz', seed: 5 })
    const b = renderClip({ genre: 'jazz', seed: 5 })
    expect(sha(a.samples)).toBe(sha(b.samples))
    expect(a.meta).toEqual(b.meta)
    const hashes = new Set<string>()
    for (const g of GENRES) for (const c of clips.get(g)!) hashes.add(sha(c.samples))
    expect(hashes.size).toBe(GENRES.length * SEEDS.length)
    expect(sha(renderClip({ genre: 'rock', seed: 5 }).samples)).not.toBe(sha(a.samples))
  })

  it('renders the asked duration and sample rate', () => {
    for (const g of GENRES) for (const c of clips.get(g)!) expect(c.samples.length).toBe(15 * SR)
    const short = renderClip({ genre: 'pop', seed: 1, seconds: 2.5, sampleRate: 16000 })
    expect(short.samples.length).toBe(40000)
    expect(short.sampleRate).toBe(16000)
    expect(short.meta).toMatchObject({ genre: 'pop', seed: 1, seconds: 2.5, sampleRate: 16000 })
  })

  it('never clips, sits at -20 dBFS RMS, and has no NaN', () => {
    for (const g of GENRES) {
      for (const c of clips.get(g)!) {
        let peak = 0
        let ss = 0
        let bad = 0
        for (const x of c.samples) {
          if (!Number.isFinite(x)) bad++
          peak = Math.max(peak, Math.abs(x))
          ss += x * x
        }
        expect(bad).toBe(0)
        const rmsDb = 20 * Math.log10(Math.sqrt(ss / c.samples.length))
        expect(peak, `${g} ${c.meta.seed}`).toBeLessThanOrEqual(PEAK_CEILING)
        expect(rmsDb, `${g} ${c.meta.seed}`).toBeGreaterThan(-20.5)
        expect(rmsDb, `${g} ${c.meta.seed}`).toBeLessThan(-19.5)
      }
    }
  })

  it('records what it chose, within the style', () => {
    for (const g of GENRES) {
      const st = STYLES[g]
      for (const c of clips.get(g)!) {
        expect(c.meta.genre).toBe(g)
        expect(c.meta.tempo).toBeGreaterThanOrEqual(st.tempo[0])
        expect(c.meta.tempo).toBeLessThanOrEqual(st.tempo[1])
        expect(c.meta.swing).toBeGreaterThanOrEqual(st.swing[0] - 1e-3)
        expect(c.meta.swing).toBeLessThanOrEqual(st.swing[1] + 1e-3)
        expect(c.meta.progression.length).toBeGreaterThan(0)
        expect(c.meta.drumPattern === null).toBe(st.drums === null)
      }
    }
    for (const c of clips.get('jazz')!) expect(c.meta.swing).toBeGreaterThan(0.59)
    for (const c of clips.get('blues')!) expect(c.meta.swing).toBeGreaterThan(0.62)
    for (const c of clips.get('blues')!)
      expect(c.meta.progression.every((ch) => ch.endsWith('dom7') || ch.endsWith('min7'))).toBe(true)
  })

  it('rejects bad input with specific errors', () => {
    expect(() => renderClip({ genre: 'polka', seed: 1 })).toThrow(/unknown genre "polka"/)
    expect(() => renderClip({ genre: 'pop', seed: 1.5 })).toThrow(B2mError)
    expect(() => renderClip({ genre: 'pop', seed: 1, seconds: 0 })).toThrow(/seconds/)
    expect(() => renderClip({ genre: 'pop', seed: 1, sampleRate: 100 })).toThrow(/sampleRate/)
  })
})

describe('genres differ measurably', () => {
  it('prints the descriptors', () => {
    const rows = GENRES.map((g) => {
      const f = (k: Scalar, d = 2) => mean(g, k).toFixed(d)
      return `${g.padEnd(9)} centroid ${f('centroid', 0)} low ${f('lowShare', 3)} high ${f('highShare', 3)} perc ${f('percussive', 3)} pulse ${f('pulse')} evar ${f('energyVar')} tempo ${desc
        .get(g)!
        .map((d, i) => `${d.tempo.toFixed(0)}/${clips.get(g)![i].meta.tempo}`)
        .join(' ')}`
    })
    console.info(rows.join('\n'))
  })

  it('brightness: metal, rock, disco and pop are brighter than classical, metal brighter than jazz', () => {
    for (let i = 0; i < SEEDS.length; i++) {
      const classical = desc.get('classical')![i].centroid
      for (const g of ['metal', 'rock', 'disco', 'pop'] as Genre[])
        expect(desc.get(g)![i].centroid, g).toBeGreaterThan(classical)
    }
    expect(mean('metal', 'centroid')).toBeGreaterThan(1.5 * mean('classical', 'centroid'))
    expect(mean('metal', 'centroid')).toBeGreaterThan(mean('jazz', 'centroid'))
  })

  it('bass weight: hiphop and reggae carry more low end than classical, pop, and metal', () => {
    for (const heavy of ['hiphop', 'reggae'] as Genre[]) {
      for (const light of ['classical', 'pop', 'metal'] as Genre[]) {
        expect(mean(heavy, 'lowShare'), `${heavy} vs ${light}`).toBeGreaterThan(mean(light, 'lowShare'))
      }
    }
  })

  it('percussion: classical has next to none, every drummed genre has plenty', () => {
    const classical = Math.max(...desc.get('classical')!.map((d) => d.percussive))
    for (const g of GENRES.filter((x) => x !== 'classical')) {
      expect(Math.min(...desc.get(g)!.map((d) => d.percussive)), g).toBeGreaterThan(3 * classical)
    }
    expect(mean('classical', 'pulse')).toBeLessThan(
      Math.min(...GENRES.filter((g) => g !== 'classical').map((g) => mean(g, 'pulse')))
    )
  })

  it('tempo: the beat found in the audio matches the tempo chosen (up to octave errors), metal is fastest', () => {
    let hits = 0
    let n = 0
    for (const g of GENRES.filter((x) => x !== 'classical')) {
      desc.get(g)!.forEach((d, i) => {
        n++
        if (octaveMatch(d.tempo, clips.get(g)![i].meta.tempo)) hits++
      })
    }
    expect(hits / n).toBeGreaterThanOrEqual(0.85)
    const metaTempo = (g: Genre) => clips.get(g)!.reduce((s, c) => s + c.meta.tempo, 0) / SEEDS.length
    for (const g of ['hiphop', 'reggae', 'classical', 'blues'] as Genre[])
      expect(metaTempo('metal')).toBeGreaterThan(metaTempo(g))
  })

  it('swing is in the audio: jazz and blues off-beats land late, on the triplet, not halfway', () => {
    for (const g of ['jazz', 'blues'] as Genre[]) {
      clips.get(g)!.forEach((c, i) => {
        const d = desc.get(g)![i]
        const beat = 60 / c.meta.tempo
        const at = (t: number) => {
          // an onset shows most in the frame centred on it (frames start half a window earlier)
          const f = Math.round(t * d.fps - 2)
          let m = 0
          for (let k = f - 1; k <= f + 1; k++) if (k >= 0 && k < d.envelope.length) m = Math.max(m, d.envelope[k])
          return m
        }
        let swung = 0
        let straight = 0
        for (let b = 1; b * beat < 14; b++) {
          const t = b * beat - c.meta.offset
          if (t < 0) continue
          swung += at(t + c.meta.swing * beat)
          straight += at(t + 0.5 * beat)
        }
        expect(swung, `${g} seed ${c.meta.seed}`).toBeGreaterThan(1.3 * straight)
      })
    }
  })

  it('a nearest-centroid classifier on these descriptors tells the genres apart (leave one out)', () => {
    const keys: Scalar[] = ['centroid', 'lowShare', 'highShare', 'percussive', 'pulse', 'energyVar']
    const rows: { g: Genre; v: number[] }[] = []
    for (const g of GENRES)
      for (const d of desc.get(g)!) rows.push({ g, v: keys.map((k) => (k === 'centroid' ? Math.log(d[k]) : d[k])) })
    const dim = keys.length
    const mu = Array.from({ length: dim }, (_, j) => rows.reduce((s, r) => s + r.v[j], 0) / rows.length)
    const sd = Array.from({ length: dim }, (_, j) =>
      Math.sqrt(rows.reduce((s, r) => s + (r.v[j] - mu[j]) ** 2, 0) / rows.length)
    )
    for (const r of rows) r.v = r.v.map((x, j) => (x - mu[j]) / sd[j])
    let correct = 0
    rows.forEach((r, i) => {
      let best: Genre = GENRES[0]
      let bestD = Infinity
      for (const g of GENRES) {
        const others = rows.filter((o, k) => o.g === g && k !== i)
        const c = Array.from({ length: dim }, (_, j) => others.reduce((s, o) => s + o.v[j], 0) / others.length)
        const d = c.reduce((s, x, j) => s + (x - r.v[j]) ** 2, 0)
        if (d < bestD) {
          bestD = d
          best = g
        }
      }
      if (best === r.g) correct++
    })
    console.info(`nearest-centroid leave-one-out accuracy: ${correct}/${rows.length}`)
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.7)
  })
})

describe('the listening aid', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'b2m-synth-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('writes one 16-bit WAV per genre', () => {
    const written = renderGenreSampler(dir, { seeds: [3], seconds: 2 })
    expect(written.map((w) => w.meta.genre)).toEqual([...GENRES])
    for (const w of written) {
      const bytes = readFileSync(w.file)
      expect(bytes.toString('ascii', 0, 4)).toBe('RIFF')
      expect(bytes.toString('ascii', 8, 12)).toBe('WAVE')
      expect(bytes.readUInt16LE(34)).toBe(16)
      expect(bytes.readUInt32LE(24)).toBe(SR)
      expect(bytes.readUInt32LE(40)).toBe(2 * SR * 2)
    }
    const enc = encodeWav16(new Float32Array([0, 1, -1, 2]), 8000)
    const v = new DataView(enc.buffer)
    expect([v.getInt16(44, true), v.getInt16(46, true), v.getInt16(48, true), v.getInt16(50, true)]).toEqual([
      0, 32767, -32767, 32767
    ])
  })
})
