import { SingleBar, Presets } from 'cli-progress'
import type { Job } from '../../src-preload/api'

/**
 * A terminal progress bar for a job, on stderr so that --json output on stdout stays clean.
 * When stderr is not a terminal (CI, pipes) it prints a line per 10% instead of redrawing.
 */
export function jobProgress(title: string): { update(job: Job): void; stop(): void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${title} |{bar}| {percentage}% {message}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false
      },
      Presets.shades_classic
    )
    bar.start(1000, 0, { message: '' })
    return {
      update: (job) => bar.update(Math.round(job.progress * 1000), { message: job.message }),
      stop: () => bar.stop()
    }
  }
  let lastDecile = -1
  return {
    update: (job) => {
      const decile = Math.floor(job.progress * 10)
      if (decile !== lastDecile) {
        lastDecile = decile
        process.stderr.write(`${title}: ${Math.round(job.progress * 100)}% ${job.message}\n`)
      }
    },
    stop: () => undefined
  }
}
