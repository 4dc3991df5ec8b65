/**
 * The session manager: one place that creates ONNX Runtime sessions, picks the execution provider
 * (CUDA first, then CPU, unless told otherwise), remembers why a provider is missing, sets threads and
 * optimisation, and caches sessions so a model is loaded once per provider.
 *
 * Note: onnxruntime-node runs `session.run` synchronously on the calling thread (inside a setImmediate),
 * so long runs block that thread's event loop; heavy work belongs in a job worker.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve as resolvePath } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ExecutionProvider } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { GraphBuilder } from './graph'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFn = (level: LogLevel, text: string) => void

export interface SessionManagerOptions {
  /** Providers in order of preference for sessions that do not say otherwise. Default ['cuda', 'cpu']. */
  preferred?: readonly ExecutionProvider[]
  /** Threads inside one operator. Default: os.availableParallelism(). */
  intraOpNumThreads?: number
  /** Threads across operators. Default 1. */
  interOpNumThreads?: number
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
  /** CUDA device ordinal. Default 0. */
  cudaDeviceId?: number
  /**
   * Always find CUDA availability by creating a probe session, even when its libraries are visibly
   * missing (that attempt prints a native error line to stderr). Default false.
   */
  alwaysProbe?: boolean
  log?: LogFn
}

export interface SessionOptions {
  /** Providers to try, in order, for this session. Default: the manager's list. */
  providers?: readonly ExecutionProvider[]
  /**
   * A caller-chosen identity for in-memory models, used instead of hashing the bytes (the caller promises
   * the same key always comes with the same bytes). The provider is appended to it.
   */
  cacheKey?: string
  /**
   * Use only the listed providers. By default CPU is the implicit last resort, so asking for ['cuda']
   * where CUDA is missing gives a CPU session (with a logged warning) rather than an error.
   */
  strict?: boolean
}

export interface SessionHandle {
  session: ort.InferenceSession
  provider: ExecutionProvider
  /** The cache key; pass it to `release`. */
  key: string
}

export interface ProviderReport {
  /** Providers sessions can be created with, in order of preference. */
  providers: ExecutionProvider[]
  /** Why a provider is missing, e.g. "CUDA: ... Failed to load shared library". */
  notes: string[]
}

interface Verdict {
  ok: boolean
  error?: string
}

const NOOP_LOG: LogFn = () => {}

/** The version of onnxruntime-node in use. */
export function onnxRuntimeVersion(): string {
  const v = (ort.env.versions as Record<string, string | undefined>).node ?? ort.env.versions.common
  if (v) return v
  try {
    const pkg = JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

let probeModel: Uint8Array | undefined
/** A one-node Identity model used to probe whether a provider can be created. */
function providerProbeModel(): Uint8Array {
  if (!probeModel) {
    const g = new GraphBuilder('provider_probe')
    const x = g.input('x', 'float32', [1])
    g.output(g.node('Identity', [x]), 'float32', [1])
    probeModel = g.toModel()
  }
  return probeModel
}

/**
 * On Linux the CUDA provider lives in two shared libraries that onnxruntime-node's installer downloads
 * beside its binding (skipped when installed with --onnxruntime-node-install-cuda=skip). When they are
 * missing we can say so precisely, and skip a probe that would only print a native error to stderr.
 */
function missingCudaLibraries(): string | undefined {
  if (process.platform !== 'linux') return undefined
  let binDir: string
  try {
    binDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', 'linux', process.arch)
  } catch {
    return undefined
  }
  if (!existsSync(join(binDir, 'onnxruntime_binding.node'))) return undefined // unusual layout: probe instead
  const missing = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].filter(
    (f) => !existsSync(join(binDir, f))
  )
  if (missing.length === 0) return undefined
  return `${missing.join(' and ')} not installed in ${binDir} (onnxruntime-node was installed without its CUDA binaries)`
}

function firstLine(text: string): string {
  // ORT messages may carry ANSI colour codes and a multi-line log tail; keep the first meaningful line.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\u001b\[[0-9;]*m/g, '')
  return (
    clean
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? clean
  )
}

function errorText(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err))
}

export class SessionManager {
  private readonly opts: Required<Omit<SessionManagerOptions, 'log'>>
  private readonly log: LogFn
  private readonly cache = new Map<string, Promise<SessionHandle>>()
  private readonly verdicts = new Map<ExecutionProvider, Promise<Verdict>>()
  private readonly warned = new Set<ExecutionProvider>()
  private disposed = false

  constructor(options: SessionManagerOptions = {}) {
    this.opts = {
      preferred: options.preferred && options.preferred.length > 0 ? options.preferred : ['cuda', 'cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
      interOpNumThreads: options.interOpNumThreads ?? 1,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      cudaDeviceId: options.cudaDeviceId ?? 0,
      alwaysProbe: options.alwaysProbe ?? false
    }
    this.log = options.log ?? NOOP_LOG
  }

  /** Number of cached sessions. */
  get size(): number {
    return this.cache.size
  }

  /** Which providers can create sessions here, in the manager's order of preference, and why others cannot. */
  async availableProviders(): Promise<ProviderReport> {
    const providers: ExecutionProvider[] = []
    const notes: string[] = []
    const order: ExecutionProvider[] = [...new Set<ExecutionProvider>([...this.opts.preferred, 'cuda', 'cpu'])]
    for (const p of order) {
      const v = await this.verdict(p)
      if (v.ok) providers.push(p)
      else notes.push(`${p.toUpperCase()}: ${v.error}`)
    }
    return { providers, notes }
  }

  /**
   * Whether `provider` can create a session, found once by creating a tiny session with it alone
   * (for CUDA on Linux, a missing provider library answers first, without the noisy native attempt);
   * the verdict and error text are cached for the life of the manager.
   */
  private verdict(provider: ExecutionProvider): Promise<Verdict> {
    let v = this.verdicts.get(provider)
    if (!v) {
      v = (async (): Promise<Verdict> => {
        const backends = ort.listSupportedBackends?.() ?? []
        const known = backends.find((b) => b.name === provider)
        if (backends.length > 0 && !known) {
          return {
            ok: false,
            error: `not built into onnxruntime-node ${onnxRuntimeVersion()} on ${process.platform}-${process.arch}`
          }
        }
        if (provider === 'cuda' && !this.opts.alwaysProbe) {
          const missing = missingCudaLibraries()
          if (missing) {
            this.log('debug', `onnx: execution provider cuda is unavailable: ${missing}`)
            return { ok: false, error: missing }
          }
        }
        try {
          const s = await ort.InferenceSession.create(providerProbeModel(), {
            executionProviders: [this.providerConfig(provider)],
            logSeverityLevel: 4
          })
          await s.release()
          this.log('debug', `onnx: execution provider ${provider} is available`)
          return { ok: true }
        } catch (err) {
          let error = errorText(err)
          if (known && !known.bundled)
            error +=
              ' (not bundled with onnxruntime-node: needs its downloaded provider libraries and the vendor runtime)'
          this.log('debug', `onnx: execution provider ${provider} is unavailable: ${error}`)
          return { ok: false, error }
        }
      })()
      this.verdicts.set(provider, v)
    }
    return v
  }

  private providerConfig(provider: ExecutionProvider): ort.InferenceSession.ExecutionProviderConfig {
    if (provider === 'cuda') return { name: 'cuda', deviceId: this.opts.cudaDeviceId }
    return 'cpu'
  }

  private sessionOptions(provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
    return {
      // CUDA sessions keep CPU as the fallback for operators CUDA lacks.
      executionProviders: provider === 'cpu' ? ['cpu'] : [this.providerConfig(provider), 'cpu'],
      intraOpNumThreads: this.opts.intraOpNumThreads,
      interOpNumThreads: this.opts.interOpNumThreads,
      graphOptimizationLevel: this.opts.graphOptimizationLevel,
      executionMode: 'sequential',
      logSeverityLevel: 3
    }
  }

  /**
   * A session for a model file (path) or in-memory model (bytes), on the first usable provider of the
   * preference list. Cached by (file path + mtime + size | content hash | cacheKey) + provider.
   */
  async session(model: string | Uint8Array, options: SessionOptions = {}): Promise<SessionHandle> {
    if (this.disposed) throw new B2mError('failed', 'the session manager has been disposed')
    const asked = options.providers ?? this.opts.preferred
    if (asked.length === 0) throw new B2mError('bad_request', 'the provider list is empty')
    const preferred: readonly ExecutionProvider[] = options.strict || asked.includes('cpu') ? asked : [...asked, 'cpu']
    const file = typeof model === 'string' ? resolvePath(model) : undefined
    const source = await this.sourceKey(model, file, options.cacheKey)

    const skipped: string[] = []
    let lastError: unknown
    for (const provider of preferred) {
      const v = await this.verdict(provider)
      if (!v.ok) {
        skipped.push(`${provider}: ${v.error}`)
        this.noteFallback(provider, v.error ?? 'unavailable', options.providers !== undefined)
        continue
      }
      const key = `${source}|${provider}`
      const cached = this.cache.get(key)
      if (cached) return cached
      const created = this.create(model, provider, key)
      this.cache.set(key, created)
      try {
        return await created
      } catch (err) {
        this.cache.delete(key)
        lastError = err
        if (provider === preferred[preferred.length - 1]) break
        this.log(
          'warn',
          `onnx: could not create a ${provider} session for ${describe(model, file)}: ${errorText(err)}; trying the next provider`
        )
      }
    }
    if (lastError !== undefined) throw this.loadError(lastError, model, file)
    throw new B2mError(
      'failed',
      `no usable execution provider among [${preferred.join(', ')}]: ${skipped.join('; ')}`,
      file
    )
  }

  /** A provider asked for by name that is missing is a warning; the default preference missing it is not. */
  private noteFallback(provider: ExecutionProvider, why: string, asked: boolean): void {
    if (this.warned.has(provider)) return
    this.warned.add(provider)
    this.log(
      asked ? 'warn' : 'info',
      `onnx: ${provider.toUpperCase()} execution provider unavailable (${why}); falling back`
    )
  }

  private async sourceKey(
    model: string | Uint8Array,
    file: string | undefined,
    cacheKey: string | undefined
  ): Promise<string> {
    if (cacheKey) return `key:${cacheKey}`
    if (file !== undefined) {
      let st
      try {
        st = await stat(file)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT') throw new B2mError('not_found', 'ONNX model file not found', file)
        throw new B2mError('failed', `cannot read ONNX model: ${errorText(err)}`, file)
      }
      if (!st.isFile()) throw new B2mError('bad_request', 'ONNX model path is not a file', file)
      return `file:${file}:${st.mtimeMs}:${st.size}`
    }
    const bytes = model as Uint8Array
    if (bytes.length === 0) throw new B2mError('bad_request', 'ONNX model bytes are empty')
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  }

  private async create(model: string | Uint8Array, provider: ExecutionProvider, key: string): Promise<SessionHandle> {
    const t0 = performance.now()
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(resolvePath(model), this.sessionOptions(provider))
        : await ort.InferenceSession.create(model, this.sessionOptions(provider))
    this.log(
      'debug',
      `onnx: session ${key} on ${provider} (${this.opts.intraOpNumThreads} intra-op threads) in ${(performance.now() - t0).toFixed(1)} ms`
    )
    return { session, provider, key }
  }

  private loadError(err: unknown, model: string | Uint8Array, file: string | undefined): B2mError {
    if (err instanceof B2mError) return err
    const text = errorText(err)
    const what =
      file !== undefined
        ? 'not a loadable ONNX model'
        : `in-memory ONNX model (${(model as Uint8Array).length} bytes) cannot be loaded`
    return new B2mError('bad_request', `${what}: ${text}`, file)
  }

  /** Disposes a cached session and forgets it. Returns false when the key is unknown. */
  async release(key: string): Promise<boolean> {
    const entry = this.cache.get(key)
    if (!entry) return false
    this.cache.delete(key)
    try {
      const h = await entry
      await h.session.release()
    } catch {
      // a session that failed to load has nothing to release
    }
    return true
  }

  /** Releases every cached session; the manager cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true
    const keys = [...this.cache.keys()]
    await Promise.all(keys.map((k) => this.release(k)))
  }
}

function describe(model: string | Uint8Array, file: string | undefined): string {
  return file ?? `in-memory model (${(model as Uint8Array).length} bytes)`
}
