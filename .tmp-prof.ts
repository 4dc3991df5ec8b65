import { frameFeatures, DEFAULT_PARAMS } from './src-main/features/builtin/frames'
import { powerSpectrogram } from './src-main/features/builtin/dsp'
import { poolWindow } from './src-main/features/builtin/pool'
const sr = 22050, n = sr * 15
const sig = new Float32Array(n); let s = 7
for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; sig[i] = 0.3 * Math.sin(2 * Math.PI * 220 * i / sr) + 0.2 * (s / 2 ** 32 - 0.5) }
for (let r = 0; r < 8; r++) {
  let t = performance.now(); powerSpectrogram(sig, { nFft: 2048, hop: 512, center: true }); const a = performance.now() - t
  t = performance.now(); const ff = frameFeatures(sig, DEFAULT_PARAMS); const b = performance.now() - t
  t = performance.now(); const out = new Float32Array(400); poolWindow(ff, 20, 7, 0, ff.frames, out, 0); const c = performance.now() - t
  console.log('stft', a.toFixed(1), 'frames', b.toFixed(1), 'pool', c.toFixed(1))
}
