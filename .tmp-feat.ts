import FFT from 'fft.js'
import { BuiltinExtractor } from './src-main/features/builtin/extractor'
const N = 32
const f = new FFT(N); const out = f.createComplexArray() as number[]; const x = Array.from({ length: N }, (_, i) => Math.sin(i * 1.3) + (i % 3))
f.realTransform(out, x)
for (const k of [0, 5, N / 2]) { let re = 0, im = 0; for (let n = 0; n < N; n++) { re += x[n] * Math.cos(2 * Math.PI * k * n / N); im -= x[n] * Math.sin(2 * Math.PI * k * n / N) } console.log(k, re.toFixed(6), out[2 * k].toFixed(6), im.toFixed(6), out[2 * k + 1].toFixed(6)) }
const sr = 22050, n = sr * 15
const sig = new Float32Array(n); let s = 7
for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const beat = (i % 11025) < 1500 ? 1 : 0; sig[i] = 0.3 * Math.sin(2 * Math.PI * 220 * i / sr) + 0.2 * beat * (s / 2 ** 32 - 0.5) }
const e = new BuiltinExtractor()
console.log('dim', e.dim)
for (let r = 0; r < 5; r++) { const t = performance.now(); const w = e.embedWindowsSync(sig); const t2 = performance.now(); const w2 = e.embedWindowsSync(sig, { window: 10, step: 1.5 }); console.log('whole ms', (t2 - t).toFixed(1), 'windows ms', (performance.now() - t2).toFixed(1), w2.times.length) }
const w = e.embedWindowsSync(sig)
const idx = (nm: string) => e.names.indexOf(nm)
for (const nm of ['tempo_log2_rel120', 'pulse_clarity', 'chroma_mean_09', 'chroma_mean_00', 'centroid_khz_mean', 'rms_db_mean', 'mtf_rate2-4hz_scale0-0', 'mtf_rate0.25-0.5hz_scale0-0', 'onset_mean']) console.log(nm, w.data[idx(nm)])
console.log('tempo bpm', 120 * 2 ** w.data[idx('tempo_log2_rel120')], 'nan?', w.data.some((v) => !Number.isFinite(v)))
