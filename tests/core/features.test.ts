import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BuiltinExtractor } from '../../src-main/features/builtin/extractor'
import { hzToMel, melFilterBank, melToHz } from '../../src-main/features/builtin/dsp'
import { embedAudio } from '../../src-main/features/embed'
import { checkClapFolder, loadClap } from '../../src-main/features/onnx/clap'
import { OnnxEncoder } from '../../src-main/features/onnx/encoder'
import { logMel, melFrames } from '../../src-main/features/onnx/frontend'
import { MelFrontEnd } from '../../src-main/features/onnx/manifest'
import { FeatureTransform, symmetricEigen } from '../../src-main/features/transform'
import { windowStarts } from '../../src-main/features/types'
import { GraphBuilder } from '../../src-main/onnx/graph'
import { SessionManager } from '../../src-main/onnx/sessions'
import { uniformSigned } from '../helpers/random'

// ---------------------------------------------------------------------------------------------
// Synthetic "genres": clearly different styles, several seeds each.

const rng = uniformSigned

const SR = 22050
type Style = 'drums' | 'chords' | 'bass' | 'lead'
const STYLES: Style[] = ['drums', 'chords', 'bass', 'lead']

function synth(style: Style, seed: number, seconds = 6): Float32Array {
  const r = rng(seed * 7919 + style.length)
  const n = SR * seconds
  const x = new Float32Array(n)
  const u = () => (r() + 1) / 2
  if (style === 'drums') {
    // fast (150-175 BPM) 8th-note noise bursts with a kick on the beat
    const beat = 60 / (150 + 25 * u())
    const step = Math.round((beat / 2) * SR)
    for (let s = 0, k = 0; s < n; s += step, k++) {
      const kick = k % 2 === 0
      for (let i = 0; i < step && s + i < n; i++) {
        const t = i / SR
        let v = 0.5 * r() * Math.exp(-t * (30 + 10 * u()))
        if (kick) v += 0.8 * Math.sin(2 * Math.PI * (60 + 60 * Math.exp(-t * 30)) * t) * Math.exp(-t * 12)
        x[s + i] += v
      }
    }
  } else if (style === 'chords') {
    // sustained triads, 2-3 s each, rich harmonics, slow attack
    const root = 200 + 100 * u()
    const dur = Math.round((2 + u()) * SR)
    const ratios = [
      [1, 1.25, 1.5],
      [1.333, 1.667, 2],
      [1.5, 1.875, 2.25],
      [1.125, 1.414, 1.68]
    ]
    for (let s = 0, c = 0; s < n; s += dur, c++) {
      const chord = ratios[c % ratios.length]
      for (let i = 0; i < dur && s + i < n; i++) {
        const t = i / SR
        const env = Math.min(1, t / 0.3) * Math.min(1, (dur - i) / (0.2 * SR))
        let v = 0
        for (const q of chord) for (let h = 1; h <= 4; h++) v += Math.sin(2 * Math.PI * root * q * h * t) / (h * h)
        x[s + i] = 0.15 * env * v
      }
    }
  } else if (style === 'bass') {
    // slow (60-75 BPM) low pulses, sub-bass drone
    const beat = Math.round((60 / (60 + 15 * u())) * SR)
    const f = 45 + 20 * u()
    for (let i = 0; i < n; i++) {
      const t = (i % beat) / SR
      x[i] =
        0.7 * Math.sin(2 * Math.PI * f * (i / SR)) * Math.exp(-t * 3) +
        0.15 * Math.sin(2 * Math.PI * (f / 2) * (i / SR))
    }
  } else {
    // a sawtooth lead melody with vibrato at medium tempo, quiet hi-hat
    const beat = Math.round((60 / (100 + 20 * u())) * SR)
    const scale = [0, 2, 4, 7, 9, 12, 14]
    let phase = 0
    let note = 440
    for (let i = 0; i < n; i++) {
      if (i % beat === 0) note = 330 * 2 ** (scale[Math.floor(u() * scale.length)] / 12)
      const f = note * (1 + 0.01 * Math.sin(2 * Math.PI * 5.5 * (i / SR)))
      phase += f / SR
      const saw = 2 * (phase - Math.floor(phase)) - 1
      const t = (i % beat) / SR
      x[i] = 0.25 * saw * Math.min(1, t / 0.02) + 0.05 * r() * Math.exp(-t * 60)
    }
  }
  // normalise RMS like the stimulus preparation
  let s2 = 0
  for (let i = 0; i < n; i++) s2 += x[i] * x[i]
  const g = 0.1 / Math.sqrt(s2 / n)
  for (let i = 0; i < n; i++) x[i] *= g
  return x
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b2m-features-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// ---------------------------------------------------------------------------------------------

describe('windows on the TR grid', () => {
  it('places 10 s windows at 1.5 s steps in a 15 s clip, or one whole-clip window', () => {
    expect(Array.from(windowStarts(15, { window: 10, step: 1.5 }).starts)).toEqual([0, 1.5, 3, 4.5])
    expect(windowStarts(15).starts.length).toBe(1)
    expect(windowStarts(15).window).toBe(15)
    expect(windowStarts(8, { window: 10, step: 1.5 }).starts.length).toBe(1)
    expect(windowStarts(16, { window: 10, step: 1.5 }).starts.length).toBe(5)
  })
})

describe('mel front end', () => {
  it("uses Slaney's mel scale and an area-normalised filter bank", () => {
    expect(hzToMel(1000)).toBeCloseTo(15, 12)
    expect(hzToMel(6400)).toBeCloseTo(42, 12)
    expect(melToHz(hzToMel(3210))).toBeCloseTo(3210, 9)
    const bank = melFilterBank(22050, 2048, 64)
    expect(bank.weights.length).toBe(64)
    expect(bank.weights.every((w) => w.length > 0 && w.every((v) => v >= 0))).toBe(true)
    // Slaney normalisation: each triangle's area over frequency is ~1 (2/(hi-lo) * (hi-lo)/2)
    const binHz = 22050 / 2048
    const area = bank.weights[40].reduce((a, b) => a + b, 0) * binHz
    expect(area).toBeGreaterThan(0.9)
    expect(area).toBeLessThan(1.1)
  })
})

describe('built-in embedding', () => {
  const ex = new BuiltinExtractor()

  it('has named, unique dimensions and finite values', () => {
    expect(ex.dim).toBe(296)
    expect(new Set(ex.names).size).toBe(ex.dim)
    const e = ex.embedWindowsSync(synth('lead', 1))
    expect(e.data.length).toBe(ex.dim)
    expect(e.data.every((v) => Number.isFinite(v))).toBe(true)
    const silent = ex.embedWindowsSync(new Float32Array(SR * 3))
    expect(silent.data.every((v) => Number.isFinite(v))).toBe(true)
  })

  it('is deterministic: the same input gives bit-identical output', () => {
    const x = synth('drums', 3, 15)
    const a = ex.embedWindowsSync(x, { window: 10, step: 1.5 })
    const b = new BuiltinExtractor().embedWindowsSync(Float32Array.from(x), { window: 10, step: 1.5 })
    expect(a.times.length).toBe(4)
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true)
  })

  it('finds the tempo of a click track and the pitch class of a tone', () => {
    for (const bpm of [90, 120, 140]) {
      const x = new Float32Array(SR * 12)
      const period = (60 / bpm) * SR
      for (let k = 0; k * period < x.length; k++) {
        const s = Math.round(k * period)
        for (let i = 0; i < 400 && s + i < x.length; i++) x[s + i] = Math.sin(i * 0.3) * Math.exp(-i / 80)
      }
      const e = ex.embedWindowsSync(x)
      const tempo = 120 * 2 ** e.data[ex.names.indexOf('tempo_log2_rel120')]
      expect(Math.abs(tempo / bpm - 1)).toBeLessThan(0.03)
      expect(e.data[ex.names.indexOf('pulse_clarity')]).toBeGreaterThan(0.5)
    }
    const tone = Float32Array.from({ length: SR * 3 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 261.63 * i) / SR)) // C4
    const e = ex.embedWindowsSync(tone)
    const chroma = Array.from(
      { length: 12 },
      (_, c) => e.data[ex.names.indexOf(`chroma_mean_${String(c).padStart(2, '0')}`)]
    )
    expect(chroma.indexOf(Math.max(...chroma))).toBe(0)
  })

  it('resamples other rates and mixes to mono before embedding', async () => {
    const x = synth('chords', 2, 4)
    const at22 = ex.embedWindowsSync(x)
    const up = await embedAudio(ex, { sampleRate: SR, channels: [x, x] })
    expect(Array.from(up.data)).toEqual(Array.from(at22.data))
    const n44 = x.length * 2
    const x44 = Float32Array.from({ length: n44 }, (_, i) => x[Math.floor(i / 2)])
    const e44 = await embedAudio(ex, { sampleRate: 44100, channels: [x44] })
    expect(e44.data.length).toBe(ex.dim)
  })

  it('separates genre-styled clips: leave-one-out nearest-centroid accuracy well above chance', () => {
    const seeds = [1, 2, 3, 4, 5, 6]
    const rows: Float32Array[] = []
    const labels: number[] = []
    STYLES.forEach((style, c) => {
      for (const seed of seeds) {
        rows.push(ex.embedWindowsSync(synth(style, seed)).data)
        labels.push(c)
      }
    })
    const n = rows.length
    const d = ex.dim
    let correct = 0
    for (let i = 0; i < n; i++) {
      const train = rows.filter((_, j) => j !== i)
      const trainLabels = labels.filter((_, j) => j !== i)
      const flat = new Float32Array(train.length * d)
      train.forEach((r, j) => flat.set(r, j * d))
      const t = FeatureTransform.fit(flat, train.length, d)
      const zTrain = t.apply(flat)
      const zTest = t.apply(rows[i])
      const centroids = STYLES.map((_, c) => {
        const m = new Float64Array(d)
        let k = 0
        trainLabels.forEach((l, j) => {
          if (l !== c) return
          k++
          for (let q = 0; q < d; q++) m[q] += zTrain[j * d + q]
        })
        return m.map((v) => v / k)
      })
      const dist = centroids.map((m) => m.reduce((s, v, q) => s + (v - zTest[q]) ** 2, 0))
      if (dist.indexOf(Math.min(...dist)) === labels[i]) correct++
    }
    const accuracy = correct / n
    expect(accuracy).toBeGreaterThanOrEqual(0.9) // chance: 0.25
  })
})

describe('normalisation: z-score and PCA', () => {
  it('Jacobi eigendecomposition satisfies A v = lambda v with orthonormal vectors', () => {
    const d = 12
    const r = rng(9)
    const b = Float64Array.from({ length: d * d }, r)
    const a = new Float64Array(d * d)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) a[i * d + j] += b[i * d + k] * b[j * d + k]
    const { values, vectors } = symmetricEigen(a, d)
    for (let e = 0; e < d; e++) {
      if (e > 0) expect(values[e]).toBeLessThanOrEqual(values[e - 1])
      for (let i = 0; i < d; i++) {
        let av = 0
        for (let j = 0; j < d; j++) av += a[i * d + j] * vectors[e * d + j]
        expect(av).toBeCloseTo(values[e] * vectors[e * d + i], 9)
      }
      for (let f = 0; f < d; f++) {
        let dot = 0
        for (let j = 0; j < d; j++) dot += vectors[e * d + j] * vectors[f * d + j]
        expect(dot).toBeCloseTo(e === f ? 1 : 0, 10)
      }
    }
  })

  it('fits on training rows, reduces to k dims with decorrelated outputs, and round-trips through .npy + JSON', () => {
    const rows = 200
    const d = 30
    const r = rng(4)
    const latent = Array.from({ length: rows }, () => [r() * 5, r() * 2, r()])
    const data = new Float32Array(rows * d)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < d; j++) data[i * d + j] = 10 + j + latent[i][j % 3] * (1 + (j % 5)) + 0.01 * r()
    // one constant column
    for (let i = 0; i < rows; i++) data[i * d + 7] = 3
    const t = FeatureTransform.fit(data, rows, d, { pca: 5 })
    expect(t.outDim).toBe(5)
    expect(t.constantDims).toEqual([7])
    const y = t.apply(data)
    expect(y.length).toBe(rows * 5)
    // outputs: zero mean, variances = explained variance, uncorrelated
    for (let a = 0; a < 5; a++) {
      let m = 0
      for (let i = 0; i < rows; i++) m += y[i * 5 + a]
      expect(Math.abs(m / rows)).toBeLessThan(1e-4)
      for (let b = a; b < 5; b++) {
        let c = 0
        for (let i = 0; i < rows; i++) c += y[i * 5 + a] * y[i * 5 + b]
        c /= rows - 1
        if (a === b) expect(c / t.pca!.explainedVariance[a]).toBeCloseTo(1, 4)
        else expect(Math.abs(c)).toBeLessThan(1e-3 * t.pca!.explainedVariance[0])
      }
    }
    // three latent factors carry almost everything
    const ratio = t.pca!.explainedVarianceRatio
    expect(ratio[0] + ratio[1] + ratio[2]).toBeGreaterThan(0.99)
    const saveDir = join(dir, 'transform')
    mkdirSync(saveDir, { recursive: true })
    const json = t.save(saveDir, 'set1')
    const back = FeatureTransform.load(json)
    expect(Array.from(back.apply(data))).toEqual(Array.from(y))
    // refitting gives the same numbers
    expect(Array.from(FeatureTransform.fit(data, rows, d, { pca: 5 }).apply(data))).toEqual(Array.from(y))
    // z-score alone
    const z = FeatureTransform.fit(data, rows, d).apply(data)
    let m0 = 0
    let v0 = 0
    for (let i = 0; i < rows; i++) m0 += z[i * d]
    for (let i = 0; i < rows; i++) v0 += z[i * d] ** 2
    expect(m0 / rows).toBeCloseTo(0, 5)
    expect(v0 / rows).toBeCloseTo(1, 4)
  })

  it('fits a 296-dim PCA to 128 on built-in embeddings', () => {
    const ex = new BuiltinExtractor()
    const rows: Float32Array[] = []
    for (const style of STYLES)
      for (let s = 1; s <= 4; s++) rows.push(ex.embedWindowsSync(synth(style, s, 12), { window: 4, step: 1.5 }).data)
    const flat = Float32Array.from(rows.flatMap((r) => Array.from(r)))
    const n = flat.length / ex.dim
    const t = FeatureTransform.fit(flat, n, ex.dim, { pca: 128 })
    expect(t.apply(flat).length).toBe(n * 128)
  })
})

// ---------------------------------------------------------------------------------------------
// ONNX encoders: a model folder the test builds itself.

const ENC_SR = 8000
const FRAMES = 50
const FRAME_LEN = 160 // 1 s = 8000 samples = 50 x 160
const OUT = 16

function projection(rows: number, cols: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, rng(seed))
}

/** waveform [batch, 8000] -> frames [batch, 50, 160] -> mean and L2 per frame -> concat -> MatMul to 16. */
function waveformModel(w: Float32Array): Uint8Array {
  const g = new GraphBuilder('toy_waveform_encoder')
  const x = g.input('waveform', 'float32', ['batch', ENC_SR])
  const shape = g.constant(BigInt64Array.from([-1n, BigInt(FRAMES), BigInt(FRAME_LEN)]), [3])
  const frames = g.node('Reshape', [x, shape])
  const mean = g.node('ReduceMean', [frames], { axes: [2], keepdims: 0 })
  const l2 = g.node('ReduceL2', [frames], { axes: [2], keepdims: 0 })
  const both = g.node('Concat', [mean, l2], { axis: 1 })
  const y = g.node('MatMul', [both, g.initializer('W', w, [2 * FRAMES, OUT])])
  g.output(g.node('Identity', [y], {}, { outputs: ['embedding'] }), 'float32', ['batch', OUT])
  return g.toModel()
}

function waveformReference(x: Float32Array, w: Float32Array): Float64Array {
  const feats = new Float64Array(2 * FRAMES)
  for (let f = 0; f < FRAMES; f++) {
    let s = 0
    let q = 0
    for (let i = 0; i < FRAME_LEN; i++) {
      const v = x[f * FRAME_LEN + i]
      s += v
      q += v * v
    }
    feats[f] = s / FRAME_LEN
    feats[FRAMES + f] = Math.sqrt(q)
  }
  const out = new Float64Array(OUT)
  for (let j = 0; j < OUT; j++) for (let k = 0; k < 2 * FRAMES; k++) out[j] += feats[k] * w[k * OUT + j]
  return out
}

function writeFolder(name: string, model: Uint8Array, manifest: unknown): string {
  const d = join(dir, 'models', name)
  mkdirSync(d, { recursive: true })
  writeFileSync(join(d, 'model.onnx'), model)
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(manifest, null, 2))
  return d
}

describe('ONNX encoders from a model folder', () => {
  const sessions = new SessionManager({ preferred: ['cpu'], intraOpNumThreads: 1 })
  afterAll(() => sessions.dispose())
  const w = projection(2 * FRAMES, OUT, 11)
  const base = {
    name: 'toy',
    sampleRate: ENC_SR,
    windowSeconds: 1,
    input: { name: 'waveform', layout: 'waveform' },
    output: { name: 'embedding', dim: OUT },
    batch: 3
  }

  it('runs a waveform encoder on TR-grid windows, batching, padding and averaging chunks as JS does', async () => {
    const folder = writeFolder('toy', waveformModel(w), base)
    const enc = await OnnxEncoder.load(folder, sessions)
    expect(enc.name).toBe('onnx:toy')
    expect(enc.dim).toBe(OUT)
    const x = Float32Array.from({ length: ENC_SR * 5 + 123 }, rng(3))
    // 1 s windows every 0.5 s: 9 windows, 3 batches
    const e = await enc.embedWindows(x, { window: 1, step: 0.5 })
    expect(e.times.length).toBe(9)
    for (let k = 0; k < 9; k++) {
      const ref = waveformReference(x.subarray(k * 4000, k * 4000 + ENC_SR), w)
      for (let j = 0; j < OUT; j++) expect(e.data[k * OUT + j]).toBeCloseTo(ref[j], 4)
    }
    // 2.5 s windows: chunks of 1 s (the last zero-padded) averaged
    const long = await enc.embedWindows(x, { window: 2.5, step: 2.5 })
    const seg = x.subarray(0, 20000)
    const pad = new Float32Array(ENC_SR)
    pad.set(seg.subarray(16000))
    const refs = [
      waveformReference(seg.subarray(0, 8000), w),
      waveformReference(seg.subarray(8000, 16000), w),
      waveformReference(pad, w)
    ]
    for (let j = 0; j < OUT; j++) expect(long.data[j]).toBeCloseTo((refs[0][j] + refs[1][j] + refs[2][j]) / 3, 4)
  })

  it('runs a log-mel encoder with the manifest front end', async () => {
    const frontEnd = MelFrontEnd.parse({
      nFft: 256,
      hop: 80,
      nMels: 32,
      fMin: 50,
      fMax: 4000,
      melScale: 'htk',
      log: 'ln',
      padMode: 'reflect'
    })
    const frames = melFrames(frontEnd, ENC_SR)
    const wm = projection(32, 8, 5)
    const g = new GraphBuilder('toy_mel')
    const mel = g.input('mel', 'float32', ['batch', 32, frames])
    const pooled = g.node('ReduceMean', [mel], { axes: [2], keepdims: 0 })
    g.output(g.node('MatMul', [pooled, g.initializer('W', wm, [32, 8])], {}, { outputs: ['output'] }), 'float32', [
      'batch',
      8
    ])
    const folder = writeFolder('toymel', g.toModel(), {
      sampleRate: ENC_SR,
      windowSeconds: 1,
      input: { name: 'mel', layout: 'logmel', frontEnd },
      output: { name: 'output', dim: 8 },
      normalise: 'l2'
    })
    const enc = await OnnxEncoder.load(folder, sessions)
    const x = Float32Array.from({ length: ENC_SR }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 700 * i) / ENC_SR))
    const e = await enc.embedWindows(x)
    const lm = logMel(frontEnd, ENC_SR, x)
    const ref = new Float64Array(8)
    for (let m = 0; m < 32; m++) {
      let s = 0
      for (let t = 0; t < frames; t++) s += lm[m * frames + t]
      for (let j = 0; j < 8; j++) ref[j] += (s / frames) * wm[m * 8 + j]
    }
    const norm = Math.hypot(...ref)
    for (let j = 0; j < 8; j++) expect(e.data[j]).toBeCloseTo(ref[j] / norm, 4)
  })

  it('rejects bad manifests with the file and field named', async () => {
    const model = waveformModel(w)
    const bad = (name: string, manifest: unknown) => OnnxEncoder.load(writeFolder(name, model, manifest), sessions)
    await expect(bad('b1', { ...base, input: { name: 'waveform', layout: 'spectrogram' } })).rejects.toThrow(
      /b1[\\/]manifest\.json: invalid encoder manifest: input\.layout/
    )
    await expect(bad('b2', { ...base, sampleRate: undefined })).rejects.toThrow(
      /b2[\\/]manifest\.json: invalid encoder manifest: sampleRate/
    )
    await expect(bad('b3', { ...base, input: { name: 'audio', layout: 'waveform' } })).rejects.toThrow(
      /field input\.name: the model has no input "audio" \(it has waveform\)/
    )
    await expect(bad('b4', { ...base, model: 'other.onnx' })).rejects.toThrow(
      /other\.onnx: the manifest's model file other\.onnx is missing/
    )
    await expect(bad('b5', { ...base, output: { name: 'embedding', dim: 17 } })).rejects.toThrow(/field output\.dim/)
    await expect(OnnxEncoder.load(join(dir, 'models', 'absent'), sessions)).rejects.toThrow(/no manifest\.json/)
  })

  it('says which CLAP files to place where', async () => {
    const root = join(dir, 'models')
    const check = checkClapFolder(root)
    expect(check.ok).toBe(false)
    expect(check.missing).toEqual([
      'onnx/audio_model.onnx (or onnx/model.onnx)',
      'config.json',
      'preprocessor_config.json'
    ])
    expect(check.message).toContain(join(root, 'clap-htsat-unfused', 'onnx', 'audio_model.onnx'))
    expect(check.message).toContain('huggingface.co/Xenova/clap-htsat-unfused')
    await expect(loadClap(root)).rejects.toMatchObject({ code: 'not_found' })
    mkdirSync(join(root, 'clap-htsat-unfused', 'onnx'), { recursive: true })
    for (const f of ['onnx/audio_model.onnx', 'config.json', 'preprocessor_config.json'])
      writeFileSync(join(root, 'clap-htsat-unfused', f), '{}')
    expect(checkClapFolder(root).ok).toBe(true)
    await expect(loadClap(root)).rejects.toThrow(/@huggingface\/transformers is not installed/)
  })
})
