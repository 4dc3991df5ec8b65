import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { ImportPreview, Job, PreprocessingInfo } from '@contract'
import { ApiError, api } from '../transport'
import { useJobsStore } from './jobs'
import { useSubjectsStore } from './subjects'

/** What an `import.bids` job returns (src-main/import/bids-import.ts ImportResult). */
export interface ImportResultView {
  root: string
  subjects: {
    id: string
    maskVoxels: number
    runs: { task: string; run: number; session: string | null; skipped?: string }[]
  }[]
  warnings: string[]
}

function isImportResult(r: unknown): r is ImportResultView {
  const o = r as ImportResultView | null
  return !!o && typeof o === 'object' && Array.isArray(o.subjects) && Array.isArray(o.warnings)
}

export type DetrendMethod = 'median' | 'poly' | 'none'

/**
 * The Import view's state: the folder, its preview, the subject selection, the import job and the
 * preprocessing of an imported subject. Kept in a store so a running import survives leaving the view.
 */
export const useImportsStore = defineStore('imports', () => {
  const jobs = useJobsStore()
  const subjects = useSubjectsStore()

  // --- the data set and its preview
  const path = ref('')
  const mask = ref('')
  const preview = shallowRef<ImportPreview | null>(null)
  const previewing = ref(false)
  const previewError = shallowRef<ApiError | null>(null)
  /** Subjects ticked for import (ids like "sub-001"). */
  const selected = ref<string[]>([])
  const picking = ref(false)
  const pickError = shallowRef<ApiError | null>(null)

  async function pickFolder(): Promise<void> {
    picking.value = true
    pickError.value = null
    try {
      const r = await api().call('app.pickFolder', { title: 'Choose a BIDS data set folder' })
      if (r.path) {
        path.value = r.path
        await loadPreview()
      }
    } catch (err) {
      pickError.value = ApiError.from(err)
    } finally {
      picking.value = false
    }
  }

  async function loadPreview(): Promise<void> {
    const p = path.value.trim()
    if (!p) return
    previewing.value = true
    previewError.value = null
    try {
      const result = await api().call('import.preview', { path: p })
      const sameRoot = preview.value?.root === result.root
      preview.value = result
      const ids = result.subjects.filter((s) => s.runs.some((r) => r.importable)).map((s) => s.id)
      // A fresh data set selects every importable subject; a refresh keeps the user's choice.
      selected.value = sameRoot ? selected.value.filter((id) => ids.includes(id)) : ids
    } catch (err) {
      preview.value = null
      previewError.value = ApiError.from(err)
    } finally {
      previewing.value = false
    }
  }

  function clearPreview(): void {
    preview.value = null
    previewError.value = null
  }

  // --- the import job
  const importJobId = ref<number | null>(null)
  const importStarting = ref(false)
  const importStartError = shallowRef<ApiError | null>(null)
  const importJob = computed<Job | null>(() =>
    importJobId.value === null ? null : (jobs.byId.get(importJobId.value) ?? null)
  )
  const importResult = computed(() => {
    const j = importJob.value
    return j && j.state === 'succeeded' && isImportResult(j.result) ? j.result : null
  })

  async function startImport(): Promise<void> {
    const p = preview.value
    if (!p) return
    importStarting.value = true
    importStartError.value = null
    try {
      const all = p.subjects.filter((s) => s.runs.some((r) => r.importable)).map((s) => s.id)
      const chosen = selected.value.filter((id) => all.includes(id))
      const params: { path: string; subjects?: string[]; mask?: string } = { path: p.root }
      if (chosen.length !== all.length) params.subjects = chosen
      if (mask.value.trim()) params.mask = mask.value.trim()
      const job = await jobs.startJob({ kind: 'import.bids', params })
      jobs.logOf(job.id) // keep its live lines from now on
      importJobId.value = job.id
      void jobs.loadLog(job.id)
    } catch (err) {
      importStartError.value = ApiError.from(err)
    } finally {
      importStarting.value = false
    }
  }

  // --- preprocessing
  const ppSubject = ref('')
  const shift = ref(3)
  const detrendMethod = ref<DetrendMethod>('median')
  const detrendSeconds = ref(240)
  const detrendOrder = ref(2)
  const grid = ref<'clip' | 'windows'>('clip')
  const windowSeconds = ref(10)
  const stepSeconds = ref(1.5)
  const detrendSpec = computed(() =>
    detrendMethod.value === 'median'
      ? `median:${detrendSeconds.value}`
      : detrendMethod.value === 'poly'
        ? `poly:${detrendOrder.value}`
        : 'none'
  )
  const ppJobId = ref<number | null>(null)
  const ppStarting = ref(false)
  const ppStartError = shallowRef<ApiError | null>(null)
  const ppJob = computed<Job | null>(() => (ppJobId.value === null ? null : (jobs.byId.get(ppJobId.value) ?? null)))
  const preprocessings = ref<PreprocessingInfo[]>([])
  const ppListError = shallowRef<ApiError | null>(null)
  const ppListLoading = ref(false)

  async function loadPreprocessings(): Promise<void> {
    ppListLoading.value = true
    try {
      preprocessings.value = await api().call('preprocessing.list', ppSubject.value ? { subject: ppSubject.value } : {})
      ppListError.value = null
    } catch (err) {
      ppListError.value = ApiError.from(err)
    } finally {
      ppListLoading.value = false
    }
  }

  async function startPreprocess(): Promise<void> {
    if (!ppSubject.value) return
    ppStarting.value = true
    ppStartError.value = null
    try {
      const job = await jobs.startJob({
        kind: 'preprocess',
        params: {
          subject: ppSubject.value,
          shift: shift.value,
          detrend: detrendSpec.value,
          grid: grid.value,
          ...(grid.value === 'windows' ? { window: windowSeconds.value, step: stepSeconds.value } : {})
        }
      })
      jobs.logOf(job.id)
      ppJobId.value = job.id
      void jobs.loadLog(job.id)
    } catch (err) {
      ppStartError.value = ApiError.from(err)
    } finally {
      ppStarting.value = false
    }
  }

  // A finished job changes what the catalogue holds: refresh what shows it.
  watch(
    () => importJob.value?.state,
    (state, was) => {
      if (state !== 'succeeded' || was === 'succeeded') return
      void subjects.load()
      if (preview.value) void loadPreview()
      const first = importResult.value?.subjects[0]?.id
      if (first) ppSubject.value = first
    }
  )
  watch(
    () => ppJob.value?.state,
    (state, was) => {
      if (state === 'succeeded' && was !== 'succeeded') void loadPreprocessings()
    }
  )
  watch(ppSubject, () => void loadPreprocessings())

  return {
    path,
    mask,
    preview,
    previewing,
    previewError,
    selected,
    picking,
    pickError,
    pickFolder,
    loadPreview,
    clearPreview,
    importJobId,
    importJob,
    importResult,
    importStarting,
    importStartError,
    startImport,
    ppSubject,
    shift,
    detrendMethod,
    detrendSeconds,
    detrendOrder,
    detrendSpec,
    grid,
    windowSeconds,
    stepSeconds,
    ppJob,
    ppStarting,
    ppStartError,
    startPreprocess,
    preprocessings,
    ppListError,
    ppListLoading,
    loadPreprocessings
  }
})
