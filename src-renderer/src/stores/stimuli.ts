import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { StimuliAttachResult, StimulusRole } from '@contract'
import { api } from '../transport'
import { base64ToBytes } from '../transport/payload'
import { followedJob } from './followed-job'
import { folderPicker, loadedList } from './loaded-list'

function isAttachResult(r: unknown): r is StimuliAttachResult {
  const o = r as StimuliAttachResult | null
  return !!o && typeof o === 'object' && typeof o.attached === 'number' && Array.isArray(o.missing)
}

/** A stimulus's excerpt fetched for playback: WAV bytes in a Blob URL the page owns (revoke it). */
export interface StimulusClip {
  id: number
  key: string
  url: string
  duration: number
  sampleRate: number
}

/**
 * The catalogue's stimuli (the clips the events of imported runs name), their filters, playback
 * fetches, and the `stimuli.attach` job that cuts their audio from a GTZAN-like folder.
 */
export const useStimuliStore = defineStore('stimuli', () => {
  const { list, loaded, loading, error, load } = loadedList('stimuli.list', {})

  // --- filters
  const genre = ref('')
  const role = ref<StimulusRole | ''>('')
  const missingOnly = ref(false)
  const genres = computed(() => [...new Set(list.value.map((s) => s.genre ?? ''))].filter(Boolean).sort())
  const filtered = computed(() =>
    list.value.filter(
      (s) =>
        (!genre.value || s.genre === genre.value) &&
        (!role.value || s.role === role.value) &&
        (!missingOnly.value || !s.audio)
    )
  )
  const withAudio = computed(() => list.value.filter((s) => s.audio).length)

  // --- playback
  /** Fetches one excerpt as WAV (stimuli.audio) into a Blob URL. The caller revokes the URL. */
  async function fetchClip(id: number): Promise<StimulusClip> {
    const r = await api().call('stimuli.audio', { id })
    const bytes = base64ToBytes(r.base64)
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: r.mime }))
    return { id: r.id, key: r.key, url, duration: r.duration, sampleRate: r.sampleRate }
  }

  // --- attach
  const folder = ref('')
  const replace = ref(false)
  const { picking, pickError, pickFolder } = folderPicker(
    folder,
    'Choose the folder of the stimulus tracks (GTZAN layout)'
  )
  const attach = followedJob(isAttachResult, () => void load())

  function startAttach(): Promise<boolean> {
    const f = folder.value.trim()
    if (!f) return Promise.resolve(false)
    return attach.start({ kind: 'stimuli.attach', params: { folder: f, replace: replace.value } })
  }

  return {
    list,
    loaded,
    loading,
    error,
    load,
    genre,
    role,
    missingOnly,
    genres,
    filtered,
    withAudio,
    fetchClip,
    folder,
    replace,
    picking,
    pickError,
    pickFolder,
    attach,
    startAttach
  }
})
