import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  decodeAudioBytes,
  encodeFlac,
  encodeWav,
  resampleChannel,
  type ResampleQuality
} from '../../src-main/formats/audio'
import { BuiltinExtractor } from '../../src-main/features/builtin/extractor'
import { OnnxEncoder } from '../../src-main/features/onnx/encoder'
import { GraphBuilder } from '../../src-main/onnx/graph'
import { SessionManager } from '../../src-main/onnx/sessions'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

/** A 15 s music-like test clip: chords, a bass line and noise-burst drums at 120 BPM. */
function clip(sr: number, seconds = 15): Float32Array {
  const r = rng(42)
  const n = sr * seconds
  const x = new Float32Array(n)
  const beat = Math.round(sr / 2)
  for (let i = 0; i < n; i++) {
    const t = i / sr
    const tb = (i % beat) / sr
    x[i] =
      0.1 * (Math.sin(2 * Math.PI * 220 * t) + Math.sin(2 * Math.PI * 277.2 * t) + Math.sin(2 * Math.PI * 329.6 * t)) +
      0.2 * Math.sin(2 * Math.PI * 55 * t) * Math.exp(-tb * 4) +
      0.3 * r() * Math.exp(-tb * 40)
  }
  return x
}

/** Median and best of `reps` timed runs (seconds), after one warm-up. */
async function time(reps: number, fn: () => unknown): Promise<{ median: number; best: number }> {
  await fn()
  const t: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await fn()
    t.push((performance.now() - t0) / 1000)
  }
  t.sort((a, b) => a - b)
  return { median: t[Math.floor(t.length / 2)], best: t[0] }
}

function toyEncoder(sr: number, seconds: number, frameLen: number, hidden: number, out: number): Uint8Array {
  const samples = sr * seconds
  const frames = samples / frameLen
  const r = rng(7)
  const g = new GraphBuilder('bench_encoder')
  const x = g.input('waveform', 'float32', ['batch', samples])
  const fr = g.node('Reshape', [x, g.constant(BigInt64Array.from([-1n, BigInt(frames), BigInt(frameLen)]), [3])])
  const l2 = g.node('ReduceL2', [fr], { axes: [2], keepdims: 0 })
  const h = g.node('Relu', [
    g.node('MatMul', [l2, g.initializer('W1', Float32Array.from({ length: frames * hidden }, r), [frames, hidden])])
  ])
  const y = g.node(
    'MatMul',
    [h, g.initializer('W2', Float32Array.from({ length: hidden * out }, r), [hidden, out])],
    {},
    { outputs: ['embedding'] }
  )
  g.output(y, 'float32', ['batch', out])
  return g.toModel()
}

/**
 * The built-in embedding's speed as multiples of real time on one core (JS runs on one thread), the
 * resampler's and codecs' speeds, and an ONNX encoder's throughput on CPU through the session manager.
 */
export async function benchEmbed(): Promise<Record<string, unknown>> {
  const sr = 22050
  const seconds = 15
  const x = clip(sr, seconds)
  const ex = new BuiltinExtractor()
  const whole = await time(15, () => ex.embedWindowsSync(x))
  const tr = await time(15, () => ex.embedWindowsSync(x, { window: 10, step: 1.5 }))
  const long = clip(sr, 60)
  const trLong = await time(5, () => ex.embedWindowsSync(long, { window: 10, step: 1.5 }))
  const builtin = {
    dim: ex.dim,
    clipSeconds: seconds,
    wholeClip: { seconds: whole, xRealTimePerCore: seconds / whole.median },
    tr10s_step1p5s: { windows: 4, seconds: tr, xRealTimePerCore: seconds / tr.median },
    tr10s_step1p5s_60sRun: { windows: 34, seconds: trLong, xRealTimePerCore: 60 / trLong.median },
    goalXRealTimePerCore: 100
  }

  const x44 = clip(44100, seconds)
  const resampling: Record<string, unknown> = {}
  for (const q of ['best', 'medium', 'fastest'] as ResampleQuality[]) {
    const t = await time(3, () => resampleChannel(x44, 44100, sr, q))
    resampling[`44100->22050 ${q}`] = { seconds: t, xRealTimePerCore: seconds / t.median }
  }

  const stereo = { sampleRate: 44100, channels: [x44, x44.map((v, i) => (i > 0 ? x44[i - 1] : v))] }
  const wav = encodeWav(stereo)
  const flacT = await time(3, () => encodeFlac(stereo))
  const flac = encodeFlac(stereo)
  const codecs = {
    flacEncode16Stereo44k: { seconds: flacT, xRealTime: seconds / flacT.median, ratio: flac.length / wav.length },
    flacDecode: (() => ({}))(),
    wavDecode: (() => ({}))()
  }
  const fd = await time(3, () => decodeAudioBytes(flac))
  const wd = await time(3, () => decodeAudioBytes(wav))
  codecs.flacDecode = { seconds: fd, xRealTime: seconds / fd.median }
  codecs.wavDecode = { seconds: wd, xRealTime: seconds / wd.median }

  // ONNX: a small waveform encoder (10 s at 16 kHz -> 1000 frame energies -> 1024 -> 512) on CPU.
  const dir = mkdtempSync(join(tmpdir(), 'b2m-bench-embed-'))
  const onnx: Record<string, unknown> = {}
  try {
    const folder = join(dir, 'models', 'bench')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'model.onnx'), toyEncoder(16000, 10, 160, 1024, 512))
    writeFileSync(
      join(folder, 'manifest.json'),
      JSON.stringify({
        sampleRate: 16000,
        windowSeconds: 10,
        input: { name: 'waveform', layout: 'waveform' },
        output: { name: 'embedding', dim: 512 },
        batch: 16
      })
    )
    const audio = clip(16000, 60)
    for (const threads of [1, 0]) {
      const sessions = new SessionManager({ preferred: ['cpu'], ...(threads ? { intraOpNumThreads: threads } : {}) })
      try {
        const enc = await OnnxEncoder.load(folder, sessions)
        const t = await time(5, () => enc.embedWindows(audio, { window: 10, step: 1.5 }))
        const windows = 34
        onnx[threads ? 'toyEncoder_1thread' : 'toyEncoder_allThreads'] = {
          model: 'waveform 10 s @16 kHz -> 1000 frame RMS -> MatMul 1000x1024 -> Relu -> MatMul 1024x512',
          windowsPerSecond: windows / t.median,
          audioSecondsPerSecond: (windows * 10) / t.median,
          seconds: t
        }
      } finally {
        await sessions.dispose()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  onnx.clap = 'not measured: @huggingface/transformers is not installed and models/clap-htsat-unfused/ is absent'

  return {
    name: 'embed',
    unit: 'seconds (median and best of N); xRealTimePerCore = audio seconds / compute seconds on one thread',
    builtin,
    resampling,
    codecs,
    onnx
  }
}
