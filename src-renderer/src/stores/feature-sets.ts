import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { FeatureSetDetail, FeaturesComputeResult } from '@contract'
import { ApiError, api } from '../transport'
import { followedJob } from './followed-job'
import { loadedList } from './loaded-list'

function isComputeResult(r: unknown): r is FeaturesComputeResult {
  const o = r as FeaturesComputeResult | null
  return !!o && typeof o === 'object' && typeof o.id === 'number' && typeof o.rows === 'number'
}

export type ExtractorKind = 'builtin' | 'onnx' | 'clap'

/** Same rule as the contract's ExtractorSpec for the model folder's name. */
export const ONNX_MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
/** Same rule as the contract's names (feature sets, libraries). */
export const SET_NAME = /^[^/\\\0]{1,100}$/

/**
 * Feature sets (per-window embeddings of the stimuli), the one shown in detail, and the
 * `features.compute` job with its form.
 */
export const useFeatureSetsStore = defineStore('featureSets', () => {
  const { list, loaded, loading, error, load } = loadedList('features.list', {}, () => {
    if (selectedId.value !== null && !list.value.some((s) => s.id === selectedId.value)) void select(null)
  })

  const selectedId = ref<number | null>(null)
  const detail = shallowRef<FeatureSetDetail | null>(null)
  const detailLoading = ref(false)
  const detailError = shallowRef<ApiError | null>(null)
  let detailSeq = 0

  async function select(id: number | null): Promise<void> {
    const seq = ++detailSeq
    selectedId.value = id
    detailError.value = null
    if (id === null) {
      detail.value = null
      return
    }
    if (detail.value?.id !== id) detail.value = null
    detailLoading.value = true
    try {
      const d = await api().call('features.get', { id })
      if (seq === detailSeq) detail.value = d
    } catch (err) {
      if (seq === detailSeq) detailError.value = ApiError.from(err)
    } finally {
      if (seq === detailSeq) detailLoading.value = false
    }
  }

  // --- the compute form (defaults: the paper's 10 s windows at 1.5 s steps, z-scored, PCA to MuLan's 128)
  const name = ref('')
  const extractorKind = ref<ExtractorKind>('builtin')
  const onnxModel = ref('')
  const wholeClip = ref(false)
  const window = ref(10)
  const step = ref(1.5)
  const usePca = ref(false)
  const pca = ref(128)
  const normalise = ref(true)

  const extractor = computed(() =>
    extractorKind.value === 'onnx' ? `onnx:${onnxModel.value.trim()}` : extractorKind.value
  )
  /** What is wrong with the form, in words; null when it can start. */
  const formProblem = computed<string | null>(() => {
    const n = name.value.trim()
    if (!n) return 'Give the feature set a name.'
    if (!SET_NAME.test(n)) return 'A name has no slashes and at most 100 characters.'
    if (list.value.some((s) => s.name === n)) return `A feature set named "${n}" exists already.`
    if (extractorKind.value === 'onnx' && !ONNX_MODEL_NAME.test(onnxModel.value.trim()))
      return 'Name the encoder folder under models/ (letters, digits, . _ -).'
    if (!wholeClip.value) {
      if (!(window.value > 0 && window.value <= 60)) return 'The window is between 0 and 60 s.'
      if (!(step.value > 0 && step.value <= 60)) return 'The step is between 0 and 60 s.'
    }
    if (usePca.value) {
      if (!normalise.value) return 'PCA needs normalisation: the components are fitted on z-scored features.'
      if (!(Number.isInteger(pca.value) && pca.value >= 1 && pca.value <= 4096))
        return 'PCA keeps 1 to 4096 dimensions.'
    }
    return null
  })

  const compute = followedJob(isComputeResult, (r) => {
    void load().then(() => {
      if (r) void select(r.id)
    })
  })

  function startCompute(): Promise<boolean> {
    if (formProblem.value) return Promise.resolve(false)
    // A whole 15 s clip is one window of 15 s (ds003720's excerpts are 15 s long).
    const [w, s] = wholeClip.value ? [15, 15] : [window.value, step.value]
    return compute.start({
      kind: 'features.compute',
      params: {
        name: name.value.trim(),
        extractor: extractor.value,
        window: w,
        step: s,
        normalise: normalise.value,
        ...(usePca.value ? { pca: pca.value } : {})
      }
    })
  }

  return {
    list,
    loaded,
    loading,
    error,
    load,
    selectedId,
    detail,
    detailLoading,
    detailError,
    select,
    name,
    extractorKind,
    onnxModel,
    wholeClip,
    window,
    step,
    usePca,
    pca,
    normalise,
    extractor,
    formProblem,
    compute,
    startCompute
  }
})
