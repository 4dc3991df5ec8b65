import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type {
  JobRequest,
  ModelDetail,
  ModelInfo,
  PreprocessingInfo,
  TrainDecoderResult,
  TrainEncodingResult
} from '@contract'
import { ApiError, api } from '../transport'
import { followedJob } from './followed-job'
import { logspace } from '../charts/scale'
import { DEFAULT_ALPHA_GRID, DEFAULT_FOLDS, delaysKey, parseDelays } from './train-form'

export type Direction = 'decoder' | 'encoding'
export type SelectionKind = 'all' | 'roi' | 'encoding'

function isTrainResult(r: unknown): r is TrainDecoderResult | TrainEncodingResult {
  const o = r as { modelId?: unknown } | null
  return !!o && typeof o === 'object' && typeof o.modelId === 'number'
}

/**
 * The Train view's state: the training form, the `train.decoder` / `train.encoding` job it starts, the
 * models in the catalogue and the one shown in detail (shared with the Evaluation view).
 */
export const useTrainStore = defineStore('train', () => {
  // --- models
  const models = ref<ModelInfo[]>([])
  const modelsLoaded = ref(false)
  const modelsLoading = ref(false)
  const modelsError = shallowRef<ApiError | null>(null)
  const details = reactive(new Map<number, ModelDetail>())
  const selectedId = ref<number | null>(null)
  const detailLoading = ref(false)
  const detailError = shallowRef<ApiError | null>(null)
  const deleteError = shallowRef<ApiError | null>(null)
  let detailSeq = 0

  const selected = computed<ModelDetail | null>(() =>
    selectedId.value === null ? null : (details.get(selectedId.value) ?? null)
  )

  async function loadModels(): Promise<void> {
    modelsLoading.value = true
    try {
      models.value = await api().call('models.list', {})
      modelsError.value = null
      modelsLoaded.value = true
      // Details of models gone from the catalogue are dropped.
      for (const id of [...details.keys()]) if (!models.value.some((m) => m.id === id)) details.delete(id)
      if (selectedId.value !== null && !models.value.some((m) => m.id === selectedId.value)) selectedId.value = null
    } catch (err) {
      modelsError.value = ApiError.from(err)
    } finally {
      modelsLoading.value = false
    }
  }

  /** Fetches a model's detail (cached: a model never changes once trained). */
  async function loadDetail(id: number): Promise<ModelDetail | null> {
    const hit = details.get(id)
    if (hit) return hit
    const seq = ++detailSeq
    detailLoading.value = true
    detailError.value = null
    try {
      const d = await api().call('models.get', { id })
      details.set(id, d)
      return d
    } catch (err) {
      if (seq === detailSeq) detailError.value = ApiError.from(err)
      return null
    } finally {
      if (seq === detailSeq) detailLoading.value = false
    }
  }

  async function select(id: number | null): Promise<void> {
    selectedId.value = id
    detailError.value = null
    if (id !== null) await loadDetail(id)
  }

  async function deleteModel(id: number): Promise<boolean> {
    deleteError.value = null
    try {
      await api().call('models.delete', { id })
      details.delete(id)
      if (selectedId.value === id) selectedId.value = null
      await loadModels()
      return true
    } catch (err) {
      deleteError.value = ApiError.from(err)
      return false
    }
  }

  // --- the subject's response matrices: encoding models with FIR delays need a preprocessing made with them
  const preprocessings = ref<PreprocessingInfo[]>([])
  const preprocessingsError = shallowRef<ApiError | null>(null)
  let ppSeq = 0

  async function loadPreprocessings(): Promise<void> {
    const seq = ++ppSeq
    if (!subject.value) {
      preprocessings.value = []
      return
    }
    try {
      const list = await api().call('preprocessing.list', { subject: subject.value })
      if (seq !== ppSeq) return
      preprocessings.value = list
      preprocessingsError.value = null
      if (delays.value && !delayOptions.value.includes(delays.value)) delays.value = ''
    } catch (err) {
      if (seq === ppSeq) preprocessingsError.value = ApiError.from(err)
    }
  }
  /** Distinct FIR delay sets of the subject's preprocessings, as "1,2,3,4". */
  const delayOptions = computed(() => [
    ...new Set(preprocessings.value.map((p) => delaysKey(p.params.delays)).filter((k) => k !== ''))
  ])
  /** The preprocessing an encoding model will train on: the latest with the chosen delays (or none). */
  const encodingPreprocessing = computed(
    () => preprocessings.value.find((p) => delaysKey(p.params.delays) === delays.value) ?? null
  )

  // --- the form
  const subject = ref('')
  const featureSet = ref<number | null>(null)
  const direction = ref<Direction>('decoder')
  const selection = ref<SelectionKind>('all')
  const roiLabels = ref('')
  const roiTop = ref(6)
  const threshold = ref(0.1)
  /** Encoding model for the threshold selection; null: the subject's latest for the feature set. */
  const encodingModel = ref<number | null>(null)
  const delays = ref('')
  const alphaLo = ref<number>(DEFAULT_ALPHA_GRID.lo)
  const alphaHi = ref<number>(DEFAULT_ALPHA_GRID.hi)
  const alphaCount = ref<number>(DEFAULT_ALPHA_GRID.count)
  const folds = ref(DEFAULT_FOLDS)
  const name = ref('')

  const alphas = computed(() =>
    Number.isFinite(alphaLo.value) && Number.isFinite(alphaHi.value) && Number.isInteger(alphaCount.value)
      ? logspace(alphaLo.value, alphaHi.value, Math.max(1, alphaCount.value))
      : []
  )
  const alphaDefault = computed(
    () =>
      alphaLo.value === DEFAULT_ALPHA_GRID.lo &&
      alphaHi.value === DEFAULT_ALPHA_GRID.hi &&
      alphaCount.value === DEFAULT_ALPHA_GRID.count
  )
  const parsedDelays = computed(() => parseDelays(delays.value))

  /** What is wrong with the form, in words; null when a training can start. */
  const formProblem = computed<string | null>(() => {
    if (!subject.value) return 'Choose a subject.'
    if (featureSet.value === null) return 'Choose a feature set.'
    if (!(Number.isFinite(alphaLo.value) && Number.isFinite(alphaHi.value)) || alphaHi.value < alphaLo.value)
      return 'The alpha grid runs from a smaller to a larger power of ten.'
    if (alphaLo.value < -10 || alphaHi.value > 20) return 'Keep the alpha grid within 10⁻¹⁰ … 10²⁰.'
    if (!(Number.isInteger(alphaCount.value) && alphaCount.value >= 1 && alphaCount.value <= 200))
      return 'The alpha grid has 1 to 200 values.'
    if (alphaCount.value > 1 && alphaHi.value === alphaLo.value) return 'A grid of several alphas needs a range.'
    if (!(Number.isInteger(folds.value) && folds.value >= 2 && folds.value <= 100)) return 'Use 2 to 100 folds.'
    const n = name.value.trim()
    if (n && (n.length > 100 || /[/\\\0]/.test(n))) return 'A name has no slashes and at most 100 characters.'
    if (direction.value === 'decoder') {
      if (selection.value === 'roi') {
        if (!roiLabels.value.trim()) return 'Give the label volume (a NIfTI in the runs’ voxel grid).'
        if (!(Number.isInteger(roiTop.value) && roiTop.value >= 1 && roiTop.value <= 1000))
          return 'Keep the top 1 to 1000 ROIs.'
      }
      if (selection.value === 'encoding' && !(threshold.value >= -1 && threshold.value <= 1))
        return 'The encoding-r threshold lies between −1 and 1.'
    } else {
      const d = parsedDelays.value
      if (d === null) return 'FIR delays are whole numbers of TRs from 0 to 20, separated by commas.'
      if (d.length > 10) return 'At most 10 FIR delays.'
      if (new Set(d).size !== d.length) return 'Each FIR delay once.'
      if (preprocessings.value.length && !encodingPreprocessing.value)
        return d.length
          ? `${subject.value} has no preprocessing with FIR delays ${d.join(', ')}.`
          : `${subject.value} has only FIR-delayed preprocessings: choose their delays, or preprocess without delays.`
    }
    return null
  })

  function request(): JobRequest {
    const common = {
      subject: subject.value,
      featureSet: featureSet.value!,
      ...(alphaDefault.value ? {} : { alphas: alphas.value }),
      ...(folds.value !== DEFAULT_FOLDS ? { folds: folds.value } : {}),
      ...(name.value.trim() ? { name: name.value.trim() } : {})
    }
    if (direction.value === 'encoding') {
      const d = parsedDelays.value ?? []
      return { kind: 'train.encoding', params: { ...common, ...(d.length ? { delays: d } : {}) } }
    }
    const sel =
      selection.value === 'roi'
        ? { kind: 'roi' as const, labels: roiLabels.value.trim(), top: roiTop.value }
        : selection.value === 'encoding'
          ? {
              kind: 'encoding' as const,
              threshold: threshold.value,
              ...(encodingModel.value !== null ? { encodingModel: encodingModel.value } : {})
            }
          : null
    return { kind: 'train.decoder', params: { ...common, ...(sel ? { selection: sel } : {}) } }
  }

  watch(subject, () => void loadPreprocessings())

  const training = followedJob(isTrainResult, (r) => {
    void loadModels().then(() => {
      if (r) void select(r.modelId)
    })
  })

  function startTraining(): Promise<boolean> {
    if (formProblem.value) return Promise.resolve(false)
    return training.start(request())
  }

  return {
    models,
    modelsLoaded,
    modelsLoading,
    modelsError,
    details,
    selectedId,
    selected,
    detailLoading,
    detailError,
    deleteError,
    loadModels,
    loadDetail,
    select,
    deleteModel,
    subject,
    featureSet,
    direction,
    selection,
    roiLabels,
    roiTop,
    threshold,
    encodingModel,
    delays,
    alphaLo,
    alphaHi,
    alphaCount,
    alphas,
    alphaDefault,
    parsedDelays,
    preprocessings,
    preprocessingsError,
    loadPreprocessings,
    delayOptions,
    encodingPreprocessing,
    folds,
    name,
    formProblem,
    training,
    startTraining
  }
})
