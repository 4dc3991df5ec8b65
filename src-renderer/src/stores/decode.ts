import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ClipInfo, ClipsExportResult, ListeningResult, ListeningTrial, ModelInfo, StimulusInfo } from '@contract'
import { ApiError, api } from '../transport'
import { base64ToBytes } from '../transport/payload'

/** Something the panel can play: a stimulus's excerpt or a decoded clip. */
export type AudioSource = { kind: 'stimulus'; id: number } | { kind: 'clip'; id: number }
export const sourceKey = (s: AudioSource): string => `${s.kind}:${s.id}`

/** WAV bytes of a source, with what the core says about them. */
export interface WavBytes {
  bytes: Uint8Array
  sampleRate: number
  duration: number
}

/** Retrieved clips first by rank, then generated ones by method. */
function clipOrder(a: ClipInfo, b: ClipInfo): number {
  const ra = a.method === 'retrieval' ? 0 : 1
  const rb = b.method === 'retrieval' ? 0 : 1
  if (ra !== rb) return ra - rb
  if (ra === 0) return (a.rank ?? 1e9) - (b.rank ?? 1e9) || a.id - b.id
  return a.method.localeCompare(b.method) || a.id - b.id
}

/**
 * The Decode & playback view: a decoder, its test stimuli, and for each the retrieved and generated
 * clips; the clips chosen for export; the listening tests. Audio is fetched here as WAV bytes and
 * cached per source; decoding and playing them is the playback module's job.
 */
export const useDecodeStore = defineStore('decode', () => {
  const models = ref<ModelInfo[]>([])
  const stimuli = ref<StimulusInfo[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const error = shallowRef<ApiError | null>(null)

  const modelId = ref<number | null>(null)
  /** Test stimuli of the model's evaluation, in its order (null: the catalogue's test stimuli). */
  const evaluated = ref<number[] | null>(null)
  const clips = ref<ClipInfo[]>([])
  const clipsLoading = ref(false)
  const clipsError = shallowRef<ApiError | null>(null)
  const stimulusId = ref<number | null>(null)
  let clipsSeq = 0

  const decoders = computed(() => models.value.filter((m) => m.kind === 'decoder'))
  const model = computed(() => decoders.value.find((m) => m.id === modelId.value) ?? null)
  const stimulusById = computed(() => new Map(stimuli.value.map((s) => [s.id, s])))

  /** The model's test stimuli that have audio or clips. */
  const testStimuli = computed<StimulusInfo[]>(() => {
    const withClips = new Set(clips.value.map((c) => c.stimulusId))
    const ids = evaluated.value ?? stimuli.value.filter((s) => s.role === 'test').map((s) => s.id)
    return ids
      .map((id) => stimulusById.value.get(id))
      .filter((s): s is StimulusInfo => !!s && (s.audio || withClips.has(s.id)))
  })
  const stimulus = computed(() =>
    stimulusId.value === null ? null : (stimulusById.value.get(stimulusId.value) ?? null)
  )
  const clipsByStimulus = computed(() => {
    const m = new Map<number, ClipInfo[]>()
    for (const c of clips.value) {
      if (c.stimulusId === null) continue
      const list = m.get(c.stimulusId)
      if (list) list.push(c)
      else m.set(c.stimulusId, [c])
    }
    for (const list of m.values()) list.sort(clipOrder)
    return m
  })
  const candidates = computed<ClipInfo[]>(() =>
    stimulusId.value === null ? [] : (clipsByStimulus.value.get(stimulusId.value) ?? [])
  )
  /** Methods present among the model's clips, e.g. ['retrieval', 'spectral']. */
  const methods = computed(() => [...new Set(clips.value.map((c) => c.method))].sort())

  async function load(): Promise<void> {
    loading.value = true
    try {
      const [m, s] = await Promise.all([api().call('models.list', {}), api().call('stimuli.list', {})])
      models.value = m
      stimuli.value = s
      error.value = null
      loaded.value = true
      // Keep the choice when it still exists; else the newest decoder.
      const ids = decoders.value.map((d) => d.id)
      const next = modelId.value !== null && ids.includes(modelId.value) ? modelId.value : (ids.at(-1) ?? null)
      await selectModel(next)
    } catch (err) {
      error.value = ApiError.from(err)
    } finally {
      loading.value = false
    }
  }

  async function selectModel(id: number | null): Promise<void> {
    const seq = ++clipsSeq
    if (id !== modelId.value) {
      modelId.value = id
      clips.value = []
      evaluated.value = null
      selected.value = []
    }
    if (id === null) {
      pickStimulus()
      return
    }
    clipsLoading.value = true
    try {
      const [list, detail] = await Promise.all([
        api().call('clips.list', { model: id }),
        api().call('models.get', { id })
      ])
      if (seq !== clipsSeq) return
      clips.value = list
      evaluated.value = detail.evaluation?.stimulusIds ?? null
      clipsError.value = null
      pickStimulus()
    } catch (err) {
      if (seq === clipsSeq) clipsError.value = ApiError.from(err)
    } finally {
      if (seq === clipsSeq) clipsLoading.value = false
    }
  }

  function pickStimulus(): void {
    const list = testStimuli.value
    if (stimulusId.value === null || !list.some((s) => s.id === stimulusId.value))
      stimulusId.value = list[0]?.id ?? null
  }

  // --- audio: one request per source, kept for the session (15 s at 22.05 kHz is ~650 kB).
  const audioCache = new Map<string, Promise<WavBytes>>()
  function audio(src: AudioSource): Promise<WavBytes> {
    const key = sourceKey(src)
    let p = audioCache.get(key)
    if (!p) {
      const call =
        src.kind === 'stimulus'
          ? api().call('stimuli.audio', { id: src.id })
          : api().call('clips.audio', { id: src.id })
      p = call.then((r) => ({ bytes: base64ToBytes(r.base64), sampleRate: r.sampleRate, duration: r.duration }))
      // A failed fetch is not cached: the next try asks again.
      p.catch(() => audioCache.delete(key))
      audioCache.set(key, p)
    }
    return p
  }

  // --- export
  const selected = ref<number[]>([])
  const exportFormat = ref<'wav' | 'flac'>('wav')
  const exportFolder = ref('')
  const exporting = ref(false)
  const exportResult = shallowRef<ClipsExportResult | null>(null)
  const exportError = shallowRef<ApiError | null>(null)
  const picking = ref(false)

  function toggleClip(id: number, on: boolean): void {
    selected.value = on ? [...new Set([...selected.value, id])] : selected.value.filter((x) => x !== id)
  }

  async function pickExportFolder(): Promise<void> {
    picking.value = true
    exportError.value = null
    try {
      const r = await api().call('app.pickFolder', { title: 'Choose a folder for the exported clips' })
      if (r.path) exportFolder.value = r.path
    } catch (err) {
      exportError.value = ApiError.from(err)
    } finally {
      picking.value = false
    }
  }

  async function exportSelected(): Promise<void> {
    const folder = exportFolder.value.trim()
    if (!folder || selected.value.length === 0) return
    exporting.value = true
    exportError.value = null
    exportResult.value = null
    try {
      exportResult.value = await api().call('clips.export', {
        ids: [...selected.value].sort((a, b) => a - b),
        format: exportFormat.value,
        folder
      })
    } catch (err) {
      exportError.value = ApiError.from(err)
    } finally {
      exporting.value = false
    }
  }

  // --- listening tests
  const listening = ref<ListeningResult[]>([])
  const listeningError = shallowRef<ApiError | null>(null)

  async function loadListening(): Promise<void> {
    try {
      listening.value = await api().call('listening.list', {})
      listeningError.value = null
    } catch (err) {
      listeningError.value = ApiError.from(err)
    }
  }

  /** Saves a finished test; the core scores it (accuracy, one-sided binomial p). */
  async function saveListening(trials: ListeningTrial[]): Promise<ListeningResult> {
    const r = await api().call('listening.save', { modelId: modelId.value, trials })
    listening.value = [...listening.value.filter((x) => x.id !== r.id), r]
    return r
  }

  return {
    models,
    stimuli,
    loaded,
    loading,
    error,
    modelId,
    clips,
    clipsLoading,
    clipsError,
    stimulusId,
    decoders,
    model,
    stimulusById,
    testStimuli,
    stimulus,
    clipsByStimulus,
    candidates,
    methods,
    load,
    selectModel,
    audio,
    selected,
    exportFormat,
    exportFolder,
    exporting,
    exportResult,
    exportError,
    picking,
    toggleClip,
    pickExportFolder,
    exportSelected,
    listening,
    listeningError,
    loadListening,
    saveListening
  }
})
