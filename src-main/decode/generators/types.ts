/**
 * The generator contract: a predicted embedding in, mono PCM out. Every generator is seeded and
 * deterministic (the same embedding, seed, length and rate give the same samples), and describes what
 * defines its output for the clip's provenance.
 */
import type { SessionManager } from '../../onnx/sessions'

export interface GenerateOptions {
  seed: number
  /** Length of the clip in seconds. */
  seconds: number
  /** Sample rate of the returned samples (Hz). */
  sampleRate: number
}

export interface Generator {
  /** 'spectral' | 'mosaic' | 'onnx:<name>' | 'musicgen'. */
  id: string
  /** Mono PCM at opts.sampleRate, round(seconds * sampleRate) samples, peak at most 1. */
  generate(embedding: Float32Array, opts: GenerateOptions): Promise<Float32Array>
  /** Everything that defines the output besides embedding and options (for provenance). */
  describe(): Record<string, unknown>
  /** Embedding dimension the generator expects. */
  readonly dim: number
  dispose(): Promise<void>
}

/** What creating a generator may need and report (learning the spectral map can take a while). */
export interface GeneratorContext {
  sessions: SessionManager
  progress?: (fraction: number, message: string) => void
  log?: (level: 'info' | 'warn', text: string) => void
  cancelled?: () => boolean
}

/**
 * The library's rows in the space the embeddings live in, when that is not the raw extractor space (a
 * decoder predicts z-scored / PCA-reduced embeddings). `id` names the transform, for caches.
 */
export interface LibrarySpace {
  id: string
  /** rows x dim, float32, in the library's row order. */
  data: Float32Array
  dim: number
}
