import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The first existing `rel` in `start` or one of its parents. Bundling can move code into a chunks/
 * folder, so files shipped beside the bundle (worker, renderer) are looked up rather than assumed.
 */
export function findUp(start: string, rel: string, levels = 4): string | null {
  let dir = start
  for (let i = 0; i <= levels; i++) {
    const p = join(dir, rel)
    if (existsSync(p)) return p
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return null
}
