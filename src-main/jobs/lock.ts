import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { B2mError } from '../common/errors'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One process at a time runs jobs in a workspace: it holds a pid lock file. A lock left by a dead
 * process is taken over, and the caller learns so (its running jobs are then interrupted ones).
 */
export function acquireLock(file: string): { release: () => void; tookOverFrom: number | null } {
  let tookOverFrom: number | null = null
  try {
    const fd = openSync(file, 'wx')
    writeFileSync(fd, String(process.pid))
    closeSync(fd)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10)
    if (Number.isFinite(pid) && pid !== process.pid && alive(pid))
      throw new B2mError('conflict', `another Brain2Music Lab process (pid ${pid}) runs jobs in this workspace`, file)
    tookOverFrom = Number.isFinite(pid) ? pid : null
    writeFileSync(file, String(process.pid))
  }
  return {
    tookOverFrom,
    release: () => {
      try {
        if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file)
      } catch {
        // already gone
      }
    }
  }
}
