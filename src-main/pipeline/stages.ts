/**
 * A pipeline of named stages sharing one progress bar: each stage owns a slice of [0, 1] proportional to
 * its expected cost, reports its own fraction inside it, and is timed.
 */
import { B2mError } from '../common/errors'

export interface PipelineIo {
  progress(fraction: number, message: string): void
  log(level: 'info' | 'warn', text: string): void
  cancelled(): boolean
}

export interface StageIo extends PipelineIo {
  /** Throws when the pipeline was cancelled. */
  check(): void
}

export class Stages {
  readonly seconds: Record<string, number> = {}
  private readonly total: number
  private done = 0

  constructor(
    private readonly io: PipelineIo,
    private readonly weights: Record<string, number>
  ) {
    this.total = Object.values(weights).reduce((a, b) => a + b, 0)
  }

  async run<T>(name: string, label: string, body: (io: StageIo) => Promise<T> | T): Promise<T> {
    const w = this.weights[name]
    if (w === undefined) throw new B2mError('internal', `pipeline stage "${name}" has no weight`)
    const a = this.done / this.total
    const b = (this.done + w) / this.total
    const io = this.io
    const check = (): void => {
      if (io.cancelled()) throw new B2mError('failed', `cancelled during ${label}`)
    }
    check()
    io.progress(a, label)
    io.log('info', `${label}…`)
    const t0 = performance.now()
    const result = await body({
      progress: (f, m) => io.progress(a + (b - a) * Math.min(1, Math.max(0, f)), `${label}: ${m}`),
      log: (level, text) => io.log(level, text),
      cancelled: () => io.cancelled(),
      check
    })
    check()
    this.seconds[name] = Math.round((performance.now() - t0) / 100) / 10
    this.done += w
    io.progress(b, `${label}: done`)
    io.log('info', `${label}: done in ${this.seconds[name]} s`)
    return result
  }
}
