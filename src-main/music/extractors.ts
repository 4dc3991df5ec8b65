/**
 * From an extractor name (`builtin`, `onnx:<folder>`, `clap`) to a ready FeatureExtractor, with what
 * provenance needs to know about it. ONNX model folders are looked up in the workspace's `models/`
 * first, then in the app's `models/` folder.
 */
import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { findUp } from '../common/find-up'
import { BuiltinExtractor, CLAP_FOLDER, type FeatureExtractor, OnnxEncoder, loadClap } from '../features'
import { SessionManager, type LogFn } from '../onnx/sessions'
import { sha256File } from './files'

export interface OpenedExtractor {
  spec: string
  extractor: FeatureExtractor
  /** Everything that defines the output (for provenance), without run-time details such as the provider. */
  identity: Record<string, unknown>
  /** identity plus run-time details (execution provider). */
  describe: Record<string, unknown>
  dispose(): Promise<void>
}

/** Where `onnx:<name>` folders are looked for, in order. */
export function modelsDirs(workspaceRoot: string): string[] {
  const dirs = [join(workspaceRoot, 'models')]
  const app = findUp(__dirname, 'models', 4)
  if (app && !dirs.includes(app)) dirs.push(app)
  return dirs
}

/** The folder of model `name`: the first `models/<name>/` that exists. */
export function resolveModelDir(workspaceRoot: string, name: string): string {
  const dirs = modelsDirs(workspaceRoot)
  for (const d of dirs) {
    const p = join(d, name)
    if (existsSync(p) && statSync(p).isDirectory()) return p
  }
  throw new B2mError(
    'not_found',
    `no model folder "${name}": put model.onnx and manifest.json in ${dirs.map((d) => join(d, name)).join(' or ')}`,
    join(dirs[0], name)
  )
}

const modelHashes = new Map<string, string>()

export async function openExtractor(
  spec: string,
  workspaceRoot: string,
  opts: { intraOpNumThreads?: number; log?: LogFn } = {}
): Promise<OpenedExtractor> {
  if (spec === 'builtin') {
    const ex = new BuiltinExtractor()
    const identity = ex.describe()
    return { spec, extractor: ex, identity, describe: identity, dispose: async () => {} }
  }
  const name = spec === 'clap' ? CLAP_FOLDER : spec.startsWith('onnx:') ? spec.slice(5) : null
  if (name === null || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new B2mError('bad_request', `unknown extractor "${spec}": use builtin, clap or onnx:<model folder>`)
  // CLAP (a transformers.js folder, no manifest.json): say exactly what is missing.
  if (name === CLAP_FOLDER) {
    const roots = modelsDirs(workspaceRoot)
    const root = roots.find((d) => existsSync(join(d, CLAP_FOLDER))) ?? roots[0]
    // loadClap always throws today: the files to place, or that @huggingface/transformers is missing.
    if (spec === 'clap' || !existsSync(join(root, CLAP_FOLDER, 'manifest.json'))) await loadClap(root)
  }
  const dir = resolveModelDir(workspaceRoot, name)
  const sessions = new SessionManager({ intraOpNumThreads: opts.intraOpNumThreads, log: opts.log })
  try {
    const enc = await OnnxEncoder.load(dir, sessions, { name })
    let modelSha256 = modelHashes.get(enc.modelPath)
    if (!modelSha256) {
      modelSha256 = sha256File(enc.modelPath)
      modelHashes.set(enc.modelPath, modelSha256)
    }
    const identity = {
      name: enc.name,
      dim: enc.dim,
      manifest: enc.manifest,
      modelSha256,
      manifestSha256: createHash('sha256').update(JSON.stringify(enc.manifest)).digest('hex')
    }
    return {
      spec,
      extractor: enc,
      identity,
      describe: { ...identity, provider: enc.provider },
      dispose: () => sessions.dispose()
    }
  } catch (err) {
    await sessions.dispose()
    throw err
  }
}
