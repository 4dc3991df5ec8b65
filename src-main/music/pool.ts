/**
 * A small pool of worker threads that read, decode, resample and embed audio files for a library scan.
 *
 * The workers run the job worker script itself (`jobs/worker-entry.ts`, bundled as job-worker.js), as
 * kind `library.add` with `{ poolWorker: config }` for parameters: so the pool needs no bundle entry of
 * its own and runs the same from source (tsx) and from the Electron build. The contract's params for
 * `library.add` are strict, so no face can start a pool worker as a job.
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Worker, parentPort } from 'node:worker_threads'
import { B2mError } from '../common/errors'
import { decodeAudioBytes, resampleChannel, toMono } from '../formats/audio'
import type { WorkerInput } from '../jobs/protocol'
import { jobWorkerScript } from '../jobs/worker-script'
import { openExtractor } from './extractors'

export interface PoolConfig {
  extractor: string
  workspaceRoot: string
  /** Embed the first this many seconds. */
  seconds: number
  /** Average windows of this length (every `window` s); default one window over the whole excerpt. */
  window?: number
}

/** What a worker learned about one file. */
export type EmbedOutcome =
  | {
      ok: true
      vector: Float32Array
      duration: number
      title: string | null
      artist: string | null
      album: string | null
      genre: string | null
      tags: Record<string, unknown>
    }
  | { ok: false; error: string }

type ToWorker = { type: 'pool.task'; id: number; path: string } | { type: 'pool.close' }
type FromWorker =
  | { type: 'pool.ready'; dim: number }
  | { type: 'pool.result'; id: number; outcome: EmbedOutcome }
  // what the job worker entry itself sends
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string }
  | { type: 'error'; message: string }
  | { type: 'done' | 'cancelled' | 'progress' }

interface Slot {
  worker: Worker
  ready: boolean
  busy: { id: number; path: string } | null
}

export class EmbedPool {
  private readonly slots: Slot[] = []
  private readonly queue: { id: number; path: string }[] = []
  private readonly waiting = new Map<number, (o: EmbedOutcome) => void>()
  private nextId = 1
  private fatal: Error | null = null
  private closing = false
  private failFatal: ((err: Error) => void) | null = null
  /** Rejects when a worker cannot start (e.g. the extractor does not load): the scan must stop. */
  readonly failed: Promise<never>

  constructor(
    private readonly config: PoolConfig,
    readonly size: number = availableParallelism(),
    private readonly log: (level: 'info' | 'warn', text: string) => void = () => {}
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.failFatal = reject
    })
    this.failed.catch(() => {}) // observed by the scan through `embed`
    for (let i = 0; i < Math.max(1, size); i++) this.spawn()
  }

  private spawn(): void {
    const input: WorkerInput = {
      jobId: 0,
      kind: 'library.add',
      params: { poolWorker: this.config },
      workspaceRoot: this.config.workspaceRoot,
      cancelFlag: new SharedArrayBuffer(4)
    }
    const slot: Slot = { worker: new Worker(jobWorkerScript(), { workerData: input }), ready: false, busy: null }
    this.slots.push(slot)
    slot.worker.on('message', (m: FromWorker) => {
      if (m.type === 'pool.ready') {
        slot.ready = true
        this.pump()
      } else if (m.type === 'pool.result') {
        const task = slot.busy
        slot.busy = null
        if (task) this.settle(task.id, m.outcome)
        this.pump()
      } else if (m.type === 'log' && m.level !== 'debug') this.log(m.level === 'info' ? 'info' : 'warn', m.text)
      else if (m.type === 'error') this.die(new B2mError('failed', `library worker: ${m.message}`))
    })
    slot.worker.on('error', (err) => this.die(err))
    slot.worker.on('exit', (code) => {
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      if (this.closing) return
      if (!slot.ready) {
        this.die(new B2mError('failed', `a library worker stopped while starting (exit code ${code})`))
        return
      }
      // A file that kills its worker (out of memory, a native crash) is unreadable; the scan goes on.
      if (slot.busy)
        this.settle(slot.busy.id, { ok: false, error: `the worker reading this file stopped (exit code ${code})` })
      this.spawn()
    })
  }

  private die(err: Error): void {
    if (this.fatal || this.closing) return
    this.fatal = err
    this.failFatal?.(err)
  }

  private settle(id: number, outcome: EmbedOutcome): void {
    const resolve = this.waiting.get(id)
    this.waiting.delete(id)
    resolve?.(outcome)
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.busy || this.queue.length === 0) continue
      const task = this.queue.shift()!
      slot.busy = task
      slot.worker.postMessage({ type: 'pool.task', id: task.id, path: task.path } satisfies ToWorker)
    }
  }

  /** Embeds one file; resolves with its outcome (unreadable files resolve with the error). */
  embed(path: string): Promise<EmbedOutcome> {
    if (this.fatal) return Promise.reject(this.fatal)
    const id = this.nextId++
    const p = new Promise<EmbedOutcome>((resolve) => this.waiting.set(id, resolve))
    this.queue.push({ id, path })
    this.pump()
    return Promise.race([p, this.failed])
  }

  /** Fails every pending and later `embed` with `err` (a cancel); `close` still stops the workers. */
  abort(err: Error): void {
    this.die(err)
  }

  /** Stops every worker (what is queued is dropped). */
  async close(): Promise<void> {
    this.closing = true
    this.queue.length = 0
    await Promise.all(
      this.slots.map(async (s) => {
        s.worker.postMessage({ type: 'pool.close' } satisfies ToWorker)
        await s.worker.terminate()
      })
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Worker side

type MusicMetadata = typeof import('music-metadata')
let mmModule: Promise<MusicMetadata | null> | null = null
function musicMetadata(): Promise<MusicMetadata | null> {
  mmModule ??= import('music-metadata').catch(() => null)
  return mmModule
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null)

/** Tags a library shows and searches: common fields and the format, nothing big (no pictures, no lyrics). */
async function readTags(bytes: Uint8Array, path: string): Promise<Record<string, unknown>> {
  const mm = await musicMetadata()
  if (!mm) return {}
  try {
    const meta = await mm.parseBuffer(bytes, { path }, { skipCovers: true, duration: false })
    const c = meta.common
    const f = meta.format
    const tags: Record<string, unknown> = {
      title: c.title,
      artist: c.artist,
      album: c.album,
      albumartist: c.albumartist,
      genre: c.genre?.[0],
      year: c.year,
      track: c.track?.no ?? undefined,
      bpm: c.bpm,
      container: f.container,
      codec: f.codec,
      sampleRate: f.sampleRate,
      channels: f.numberOfChannels,
      bitrate: f.bitrate ? Math.round(f.bitrate) : undefined
    }
    for (const k of Object.keys(tags)) if (tags[k] === undefined || tags[k] === null || tags[k] === '') delete tags[k]
    return tags
  } catch {
    return {}
  }
}

/**
 * Runs in a pool worker: loads the extractor once, then embeds the files it is sent until closed.
 * Resolves when the parent closes the pool (the parent terminates the thread).
 */
export async function runPoolWorker(config: PoolConfig): Promise<null> {
  const port = parentPort
  if (!port) throw new Error('runPoolWorker must run in a worker thread')
  const opened = await openExtractor(config.extractor, config.workspaceRoot, { intraOpNumThreads: 1 })
  const ex = opened.extractor
  const embedOne = async (path: string): Promise<EmbedOutcome> => {
    try {
      const bytes = await readFile(path)
      const audio = await decodeAudioBytes(bytes, path)
      const sr = audio.sampleRate
      const frames = audio.channels[0]?.length ?? 0
      if (frames === 0) return { ok: false, error: `${path}: no audio samples` }
      const mono = toMono(audio)
      const cut = mono.subarray(0, Math.min(mono.length, Math.round(config.seconds * sr)))
      const signal = sr === ex.sampleRate ? cut : await resampleChannel(cut, sr, ex.sampleRate, 'medium')
      const emb = await ex.embedWindows(signal, config.window ? { window: config.window, step: config.window } : {})
      const W = emb.times.length
      const D = emb.dim
      if (W === 0) return { ok: false, error: `${path}: too short to embed` }
      const vector = new Float32Array(D)
      for (let j = 0; j < D; j++) {
        let s = 0
        for (let w = 0; w < W; w++) s += emb.data[w * D + j]
        vector[j] = s / W
        if (!Number.isFinite(vector[j])) return { ok: false, error: `${path}: the embedding has non-finite values` }
      }
      const tags = await readTags(bytes, path)
      return {
        ok: true,
        vector,
        duration: frames / sr,
        title: text(tags.title),
        artist: text(tags.artist),
        album: text(tags.album),
        genre: text(tags.genre),
        tags
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return { ok: false, error: message.startsWith(path) ? message : `${path}: ${message}` }
    }
  }
  return new Promise<null>((resolve) => {
    let chain: Promise<unknown> = Promise.resolve()
    port.on('message', (m: ToWorker) => {
      if (m.type === 'pool.close') {
        void opened.dispose().finally(() => resolve(null))
        return
      }
      if (m.type !== 'pool.task') return
      chain = chain.then(async () => {
        const outcome = await embedOne(m.path)
        const transfer = outcome.ok ? [outcome.vector.buffer as ArrayBuffer] : []
        port.postMessage({ type: 'pool.result', id: m.id, outcome } satisfies FromWorker, transfer)
      })
    })
    port.postMessage({ type: 'pool.ready', dim: ex.dim } satisfies FromWorker)
  })
}
