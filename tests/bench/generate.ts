/**
 * `npm run bench -- generate`: the spectral generator's audio path — 15 s of pooled log-mel inverted
 * by the mel pseudo-inverse and 32 fast Griffin-Lim iterations (nFft 2048, hop 512, 22,050 Hz) — next to
 * the same algorithm in numpy (rfft/irfft over all frames at once) in the same run.
 */
import { pooledLogMel, renderLogMel, SPECTRAL_PARAMS } from '../../src-main/decode/generators/spectral'
import { python } from './python'

const SECONDS = 15

function clip(sr: number, seconds: number): Float32Array {
  let s = 42
  const x = new Float32Array(sr * seconds)
  const beat = Math.round(sr / 2)
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const t = i / sr
    const tb = (i % beat) / sr
    x[i] =
      0.1 * Math.sin(2 * Math.PI * 220 * t) +
      0.2 * Math.sin(2 * Math.PI * 55 * t) +
      0.3 * (s / 2 ** 32 - 0.5) * Math.exp(-tb * 40)
  }
  return x
}

const NUMPY = (frames: number, reps: number) => `
import json, time, numpy as np
P = ${JSON.stringify({ nFft: SPECTRAL_PARAMS.nFft, hop: SPECTRAL_PARAMS.hop, it: SPECTRAL_PARAMS.iterations, m: SPECTRAL_PARAMS.momentum })}
n_fft, hop = P['nFft'], P['hop']
bins, T = n_fft // 2 + 1, ${frames}
L = ${SECONDS * SPECTRAL_PARAMS.sampleRate}
rng = np.random.default_rng(0)
S = np.abs(rng.standard_normal((T, bins)))
win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
idx = np.arange(T)[:, None] * hop - n_fft // 2 + np.arange(n_fft)[None, :]
ok = (idx >= 0) & (idx < L)
wsum = np.zeros(L); np.add.at(wsum, idx[ok], np.broadcast_to(win ** 2, idx.shape)[ok])
def istft(X):
    fr = np.fft.irfft(X, n_fft, axis=1) * win
    y = np.zeros(L); np.add.at(y, idx[ok], fr[ok])
    return np.where(wsum > 1e-10, y / np.maximum(wsum, 1e-10), y)
def stft(y):
    fr = np.where(ok, y[np.clip(idx, 0, L - 1)], 0) * win
    return np.fft.rfft(fr, axis=1)
def fgla():
    ang = np.exp(2j * np.pi * rng.random((T, bins)))
    reb = np.zeros((T, bins), complex)
    for _ in range(P['it']):
        prev = reb
        reb = stft(istft(S * ang))
        a = reb - P['m'] / (1 + P['m']) * prev
        ang = a / (np.abs(a) + 1e-16)
    return istft(S * ang)
fgla()
ts = []
for _ in range(${reps}):
    t0 = time.perf_counter(); fgla(); ts.append(time.perf_counter() - t0)
ts.sort()
print(json.dumps({"medianS": ts[len(ts) // 2], "bestS": ts[0], "numpy": np.__version__}))
`

export async function benchGenerate(): Promise<Record<string, unknown>> {
  const reps = 3
  const pooled = Float64Array.from(pooledLogMel(clip(SPECTRAL_PARAMS.sampleRate, SECONDS), SECONDS))
  const pooledFrames = pooled.length / SPECTRAL_PARAMS.nMels
  renderLogMel(pooled, pooledFrames, { seed: 0, seconds: SECONDS })
  const t: number[] = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    renderLogMel(pooled, pooledFrames, { seed: r, seconds: SECONDS })
    t.push((performance.now() - t0) / 1000)
  }
  t.sort((a, b) => a - b)
  const frames = Math.floor((SECONDS * SPECTRAL_PARAMS.sampleRate) / SPECTRAL_PARAMS.hop) + 1
  const numpy = python(NUMPY(frames, reps)) as { medianS: number; bestS: number; numpy: string }
  return {
    bench: 'generate',
    what: `spectral: ${SECONDS} s, pseudo-inverse + ${SPECTRAL_PARAMS.iterations} fast Griffin-Lim iterations (nFft ${SPECTRAL_PARAMS.nFft}, hop ${SPECTRAL_PARAMS.hop})`,
    b2m: { medianS: t[Math.floor(t.length / 2)], bestS: t[0], realTime: SECONDS / t[Math.floor(t.length / 2)] },
    numpy,
    ratioVsNumpy: numpy.medianS / t[Math.floor(t.length / 2)]
  }
}
