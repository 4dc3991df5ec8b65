import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type { Job, JobRequest } from '@contract'
import { ApiError } from '../transport'
import { useJobsStore } from './jobs'

/**
 * A job a view starts and then follows: its live record (from the jobs store, so job.update events move
 * it), the start's own failure, and its result once it succeeded — when `isResult` recognises it. Made
 * inside a setup store, so it lives as long as the store and a running job survives leaving the view.
 */
export function followedJob<R>(isResult: (r: unknown) => r is R, onSucceeded?: (result: R | null) => void) {
  const jobs = useJobsStore()
  const id = ref<number | null>(null)
  const starting = ref(false)
  const startError = shallowRef<ApiError | null>(null)
  const job = computed<Job | null>(() => (id.value === null ? null : (jobs.byId.get(id.value) ?? null)))
  const busy = computed(
    () => starting.value || (!!job.value && (job.value.state === 'queued' || job.value.state === 'running'))
  )
  const result = computed<R | null>(() => {
    const j = job.value
    return j && j.state === 'succeeded' && isResult(j.result) ? j.result : null
  })

  async function start(request: JobRequest): Promise<boolean> {
    starting.value = true
    startError.value = null
    try {
      const started = await jobs.startJob(request)
      jobs.logOf(started.id) // keep its live lines from now on
      id.value = started.id
      void jobs.loadLog(started.id)
      return true
    } catch (err) {
      startError.value = ApiError.from(err)
      return false
    } finally {
      starting.value = false
    }
  }

  if (onSucceeded)
    watch(
      () => job.value?.state,
      (state, was) => {
        if (state === 'succeeded' && was !== 'succeeded') onSucceeded(result.value)
      }
    )

  return reactive({ id, starting, startError, job, busy, result, start })
}
