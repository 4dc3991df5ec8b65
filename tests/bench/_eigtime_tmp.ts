import { SessionManager } from '../../src-main/onnx/sessions'
import { eigh } from '../../src-main/ridge/eigh'
import { spawnSync } from 'node:child_process'
async function main() {
  const mgr = new SessionManager({ preferred: ['cpu'] })
  const args = process.argv.slice(2)
  const nb = Number(process.env.NB ?? 64),
    of = Number(process.env.OF ?? 400)
  for (const n of args.map(Number)) {
    const a = new Float64Array(n * n)
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const v = Math.random() - 0.5
        a[i * n + j] = v
        a[j * n + i] = v
      }
    const t = performance.now()
    let ph = {}
    await eigh(a, n, { sessions: mgr, blockSize: nb, ortMatvecFrom: of, onPhases: (p) => (ph = p) })
    const dt = (performance.now() - t) / 1000
    const r = spawnSync(
      'python3',
      [
        '-c',
        `import numpy as np,time\nrng=np.random.default_rng(0);a=rng.standard_normal((${n},${n}));a=a+a.T\nnp.linalg.eigh(a[:50,:50])\nt=time.perf_counter();np.linalg.eigh(a);print(time.perf_counter()-t)`
      ],
      { encoding: 'utf8' }
    )
    console.log(JSON.stringify(ph), n, 'b2m', dt.toFixed(3), 'numpy', Number(r.stdout).toFixed(3))
  }
  await mgr.dispose()
}
main()
