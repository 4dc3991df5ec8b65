import { spawnSync } from 'node:child_process'
import { readNpy } from '../../src-main/formats/npy'
import { SessionManager } from '../../src-main/onnx/sessions'
import { ridgeFit } from '../../src-main/ridge'
async function main() {
  const dir = '/tmp/rw/k1'
  spawnSync('python3', ['-c', `
import numpy as np, os
os.makedirs('${dir}', exist_ok=True)
rng = np.random.default_rng(1)
n,p,t=120,300,7
Z = rng.standard_normal((n, 4))
X = Z @ rng.standard_normal((4, p)) * 0.5 + rng.standard_normal((n, p)) + 3.0
Y = Z @ rng.standard_normal((4, t)) * np.linspace(0.05, 2, t) + rng.standard_normal((n, t)) + 1.5
Y[:, 0] = 2.0
Y[:, 1] = rng.standard_normal(n)
np.save('${dir}/X.npy', X.astype(np.float32)); np.save('${dir}/Y.npy', Y.astype(np.float32))
`])
  spawnSync('python3', ['/work/shared/bench/ridge_ref.py', 'fit', '--x', `${dir}/X.npy`, '--y', `${dir}/Y.npy`, '--out', `${dir}/ref`])
  const x = readNpy(`${dir}/X.npy`).data as Float32Array, y = readNpy(`${dir}/Y.npy`).data as Float32Array
  const mgr = new SessionManager({ preferred: ['cpu'] })
  const fit = await ridgeFit(x, [120, 300], y, [120, 7], { sessions: mgr })
  const ra = readNpy(`${dir}/ref/alphas.npy`).data as Float64Array
  const rs = readNpy(`${dir}/ref/cv_scores.npy`).data as Float64Array
  console.log('ours', Array.from(fit.bestAlphas).map((a) => a.toExponential(2)).join(' '))
  console.log('ref ', Array.from(ra).map((a) => a.toExponential(2)).join(' '))
  for (let j = 0; j < 7; j++) {
    let mx = 0
    for (let a = 0; a < 25; a++) mx = Math.max(mx, Math.abs(rs[a * 7 + j] - fit.cvScores[a * 7 + j]))
    console.log(j, 'cv maxdiff', mx.toExponential(2), 'ours', Array.from({ length: 25 }, (_, a) => fit.cvScores[a * 7 + j].toFixed(7)).slice(18).join(','), '\n   ref', Array.from({ length: 25 }, (_, a) => rs[a * 7 + j].toFixed(7)).slice(18).join(','))
  }
  await mgr.dispose()
}
main()
