import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef } from 'vue'
import type { Job, JobLogLine, JobRequest, JobState } from '@contract'
import { ApiError, api } from '../transport'
import { useAppStore } from './app'

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'interrupted']
export const isTerminal = (s: JobState): boolean => TERMINAL_STATES.includes(s)
export const isCancellable = (s: JobState): boolean => s === 'queued' || s === 'running'

const MAX_LOG_LINES = 5000

export interface JobLog {
  lines: JobLogLine[]
  /** jobs.log has been fetched once; later lines come from job.log events. */
  loaded: boolean
  loading: boolean
  error: ApiError | null
}

/** Long work in the core: the list, live state from job.update, logs from jobs.log + job.log. */
export const useJobsStore = defineStore('jobs', () => {
  const byId = reactive(new Map<number, Job>())
  const logs = reactive(new Map<number, JobLog>())
  const loaded = ref(false)
  const error = shallowRef<ApiError | null>(null)
  let started = false

  const list = computed(() => [...byId.values()].sort((a, b) => b.id - a.id))
  const active = computed(() => list.value.filter((j) => !isTerminal(j.state)))

  /**
   * Apply a job record. Events arrive in order and always apply. Snapshots — call results such as
   * jobs.list, jobs.start, jobs.cancel — may be older than an event that overtook them (a cancel's
   * "cancelling…" answer can land after the "cancelled" event), so they never move a job backwards.
   */
  function upsert(job: Job, fromSnapshot = false): void {
    const prev = byId.get(job.id)
    if (fromSnapshot && prev) {
      if (isTerminal(prev.state) && !isTerminal(job.state)) return
      if (prev.state === job.state && prev.progress > job.progress) return
    }
    byId.set(job.id, job)
    const app = useAppStore()
    if (!prev || (isTerminal(job.state) && !isTerminal(prev.state))) void app.refreshCounts()
  }

  function logOf(id: number): JobLog {
    let log = logs.get(id)
    if (!log) {
      logs.set(id, { lines: [], loaded: false, loading: false, error: null })
      log = logs.get(id)!
    }
    return log
  }

  function mergeLines(log: JobLog, incoming: JobLogLine[]): void {
    if (incoming.length === 0) return
    const last = log.lines.length ? log.lines[log.lines.length - 1].seq : -Infinity
    if (incoming.every((l, i) => l.seq > (i === 0 ? last : incoming[i - 1].seq))) {
      log.lines.push(...incoming) // the common case: in order, after what we have
    } else {
      const seen = new Map<number, JobLogLine>()
      for (const l of log.lines) seen.set(l.seq, l)
      for (const l of incoming) seen.set(l.seq, l)
      log.lines = [...seen.values()].sort((a, b) => a.seq - b.seq)
    }
    if (log.lines.length > MAX_LOG_LINES) log.lines.splice(0, log.lines.length - MAX_LOG_LINES)
  }

  async function load(): Promise<void> {
    try {
      const jobs = await api().call('jobs.list', { limit: 100 })
      for (const j of jobs) upsert(j, true)
      error.value = null
      loaded.value = true
    } catch (err) {
      error.value = ApiError.from(err)
    }
  }

  async function loadLog(id: number): Promise<void> {
    const log = logOf(id)
    if (log.loading) return
    log.loading = true
    try {
      mergeLines(log, await api().call('jobs.log', { id, afterSeq: 0 }))
      log.loaded = true
      log.error = null
    } catch (err) {
      log.error = ApiError.from(err)
    } finally {
      log.loading = false
    }
  }

  async function startJob(request: JobRequest): Promise<Job> {
    const job = await api().call('jobs.start', request)
    upsert(job, true)
    return job
  }

  async function cancel(id: number): Promise<Job> {
    const job = await api().call('jobs.cancel', { id })
    upsert(job, true)
    return job
  }

  function start(): void {
    if (started) return
    started = true
    const t = api()
    t.on('job.update', (job) => upsert(job))
    t.on('job.log', (line) => {
      const log = logs.get(line.jobId)
      // Keep live lines only for logs someone has opened (or is opening); others load on demand.
      if (log) mergeLines(log, [line])
    })
    let wasConnected = t.connection.status === 'connected'
    t.onConnection((s) => {
      const now = s.status === 'connected'
      if (now && !wasConnected && loaded.value) {
        // Events were missed while away: take a fresh snapshot, and catch up the open logs.
        void load()
        for (const id of logs.keys()) void loadLog(id)
      }
      wasConnected = now
    })
    void load()
  }

  return { byId, list, active, logs, loaded, error, start, load, loadLog, logOf, startJob, cancel }
})
