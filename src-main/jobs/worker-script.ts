import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { findUp } from '../common/find-up'

/**
 * The script job workers run: worker-bootstrap.cjs from source (tsx), job-worker.js from the bundle.
 * Pools of helper threads (library embedding, demo rendering) run it too, as their job kind with
 * parameters no face can send, so they need no bundle entry of their own.
 */
export function jobWorkerScript(): string {
  if (__filename.endsWith('.ts')) return join(__dirname, 'worker-bootstrap.cjs')
  const bundled = findUp(__dirname, 'job-worker.js', 1)
  if (!bundled) throw new B2mError('internal', `job-worker.js not found beside ${__dirname}`)
  return bundled
}
