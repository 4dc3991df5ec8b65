#!/usr/bin/env node
// For machines with an NVIDIA GPU: fetch ONNX Runtime's CUDA execution provider, which the normal
// install skips (see .npmrc) because build machines are offline. Needs CUDA 12 + cuDNN 9 on the system.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const script = join(root, 'node_modules', 'onnxruntime-node', 'script', 'install.js')
const r = spawnSync(process.execPath, [script], {
  cwd: join(root, 'node_modules', 'onnxruntime-node'),
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12', npm_config_onnxruntime_node_install: 'cuda12' }
})
if (r.status !== 0) {
  console.error('gpu:install failed: the CUDA provider could not be downloaded (is this machine online?)')
  process.exit(r.status ?? 1)
}
console.log('CUDA provider installed. `npx b2m info --json` should now list "cuda" in executionProviders.')
