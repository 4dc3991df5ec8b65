import { defineStore } from 'pinia'
import type { DemoRunResult } from '@contract'
import { followedJob } from './followed-job'
import { useAppStore } from './app'
import { useSubjectsStore } from './subjects'

function isDemoResult(r: unknown): r is DemoRunResult {
  const o = r as DemoRunResult | null
  return !!o && typeof o === 'object' && typeof o.identification === 'number' && Array.isArray(o.checks)
}

/** The embedded demo study: one `demo.run` job (generate, import, … report), followed from any view. */
export const useDemoStore = defineStore('demo', () => {
  const app = useAppStore()
  const subjects = useSubjectsStore()
  const run = followedJob(isDemoResult, () => {
    void subjects.load()
    void app.refreshCounts()
  })

  function open(quick: boolean): Promise<boolean> {
    return run.start({ kind: 'demo.run', params: { quick } })
  }

  return { run, open }
})
