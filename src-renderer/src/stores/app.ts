import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppInfo, CatalogueCounts } from '@contract'
import { ApiError, api, type ConnectionState } from '../transport'

const PROVIDER_NAMES: Record<string, string> = { cuda: 'CUDA', cpu: 'CPU' }

/** What the core is (app.info), what the catalogue holds (counts), and how we are linked to it. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const counts = ref<CatalogueCounts | null>(null)
  const error = shallowRef<ApiError | null>(null)
  const connection = shallowRef<ConnectionState>(api().connection)
  const face = api().face
  let started = false
  let countsInFlight: Promise<void> | null = null

  async function loadInfo(): Promise<void> {
    try {
      info.value = await api().call('app.info', {})
      error.value = null
    } catch (err) {
      error.value = ApiError.from(err)
    }
  }

  function refreshCounts(): Promise<void> {
    // Coalesce bursts (several jobs finishing together) into one call.
    countsInFlight ??= api()
      .call('catalogue.counts', {})
      .then((c) => {
        counts.value = c
      })
      .catch(() => {
        /* the status bar keeps the last known counts; app.info carries the visible error */
      })
      .finally(() => {
        countsInFlight = null
      })
    return countsInFlight
  }

  function start(): void {
    if (started) return
    started = true
    let everConnected = api().connection.status === 'connected'
    api().onConnection((state) => {
      const was = connection.value.status
      connection.value = state
      // Back after a drop (or after a first start that failed): what we show may be stale.
      if (state.status === 'connected' && was !== 'connected' && (everConnected || error.value)) {
        void loadInfo()
        void refreshCounts()
      }
      if (state.status === 'connected') everConnected = true
    })
    void loadInfo()
    void refreshCounts()
  }

  /** e.g. "CPU (ONNX Runtime 1.30.0)" — the provider sessions are created with first. */
  const deviceLabel = computed(() => {
    const i = info.value
    if (!i) return '…'
    const first = i.executionProviders[0]
    const name = first ? (PROVIDER_NAMES[first] ?? first.toUpperCase()) : 'no provider'
    return `${name} (ONNX Runtime ${i.onnxruntime})`
  })

  const deviceTooltip = computed(() => {
    const i = info.value
    if (!i) return ''
    const lines = [
      `Execution providers, in order of preference: ${i.executionProviders.map((p) => PROVIDER_NAMES[p] ?? p).join(', ') || 'none'}`
    ]
    lines.push(...i.providerNotes)
    return lines.join('\n')
  })

  return { info, counts, error, connection, face, start, loadInfo, refreshCounts, deviceLabel, deviceTooltip }
})
