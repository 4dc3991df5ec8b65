import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type { RunInfo, SliceAxis, StimulusEvent } from '@contract'
import { ApiError, api } from '../transport'
import { decodeFloat32, decodePayload } from '../transport/payload'

export type Vec3 = [number, number, number]

/** A decoded slice of a run's mean image: rows run from the top of the displayed slice. */
export interface SliceView {
  runId: number
  axis: SliceAxis
  index: number
  count: number
  rows: number
  cols: number
  image: Float32Array
  /** 1 inside the subject's mask; null when the subject has none. */
  mask: Uint8Array | null
  min: number
  max: number
}

export interface SeriesView {
  runId: number
  voxel: Vec3
  inMask: boolean
  tr: number
  values: Float32Array
}

/**
 * The runs of the Subjects & runs view: the list for one subject, the selected run, the slice on
 * show, the picked voxel's time series and the run's stimulus events. Every fetch is tagged so a
 * slow answer never overwrites a newer one (a slider dragged fast fires many).
 */
export const useRunsStore = defineStore('runs', () => {
  const subject = ref<string | null>(null)
  const list = ref<RunInfo[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = shallowRef<ApiError | null>(null)

  const selectedId = ref<number | null>(null)
  const selected = computed(() => list.value.find((r) => r.id === selectedId.value) ?? null)

  const axis = ref<SliceAxis>('axial')
  const slice = shallowRef<SliceView | null>(null)
  const sliceLoading = ref(false)
  const sliceError = shallowRef<ApiError | null>(null)

  const voxel = ref<Vec3 | null>(null)
  const series = shallowRef<SeriesView | null>(null)
  const seriesLoading = ref(false)
  const seriesError = shallowRef<ApiError | null>(null)

  const events = shallowRef<StimulusEvent[]>([])
  const eventsError = shallowRef<ApiError | null>(null)

  let listSeq = 0
  let sliceSeq = 0
  let seriesSeq = 0
  let eventsSeq = 0

  async function load(label: string | null = subject.value): Promise<void> {
    const seq = ++listSeq
    if (label !== subject.value) {
      subject.value = label
      list.value = []
      loaded.value = false
      select(null)
    }
    loading.value = true
    try {
      const runs = await api().call('runs.list', label ? { subject: label } : {})
      if (seq !== listSeq) return
      list.value = runs
      error.value = null
      loaded.value = true
      if (selectedId.value !== null && !runs.some((r) => r.id === selectedId.value)) select(null)
    } catch (err) {
      if (seq === listSeq) error.value = ApiError.from(err)
    } finally {
      if (seq === listSeq) loading.value = false
    }
  }

  function select(id: number | null): void {
    if (id === selectedId.value) return
    selectedId.value = id
    slice.value = null
    sliceError.value = null
    voxel.value = null
    series.value = null
    seriesError.value = null
    events.value = []
    eventsError.value = null
    sliceSeq++
    seriesSeq++
    eventsSeq++
    if (id !== null) {
      void loadSlice()
      void loadEvents()
    }
  }

  async function loadSlice(index?: number): Promise<void> {
    const id = selectedId.value
    if (id === null) return
    const seq = ++sliceSeq
    sliceLoading.value = true
    try {
      const r = await api().call('runs.slice', { id, axis: axis.value, ...(index === undefined ? {} : { index }) })
      if (seq !== sliceSeq) return
      const [rows, cols] = r.image.shape as [number, number]
      slice.value = markRaw({
        runId: id,
        axis: r.axis,
        index: r.index,
        count: r.count,
        rows,
        cols,
        image: decodeFloat32(r.image, 'mean image slice'),
        mask: r.mask ? decodePayload(r.mask, 'uint8', 'mask slice') : null,
        min: r.min,
        max: r.max
      })
      sliceError.value = null
    } catch (err) {
      if (seq === sliceSeq) sliceError.value = ApiError.from(err)
    } finally {
      if (seq === sliceSeq) sliceLoading.value = false
    }
  }

  function setAxis(a: SliceAxis): void {
    if (a === axis.value) return
    axis.value = a
    void loadSlice() // the middle slice of the new axis
  }

  async function loadEvents(): Promise<void> {
    const id = selectedId.value
    if (id === null) return
    const seq = ++eventsSeq
    try {
      const ev = await api().call('runs.events', { id })
      if (seq !== eventsSeq) return
      events.value = ev
      eventsError.value = null
    } catch (err) {
      if (seq === eventsSeq) eventsError.value = ApiError.from(err)
    }
  }

  async function pickVoxel(v: Vec3): Promise<void> {
    const id = selectedId.value
    if (id === null) return
    const seq = ++seriesSeq
    voxel.value = v
    seriesLoading.value = true
    try {
      const r = await api().call('runs.timeseries', { id, voxel: v })
      if (seq !== seriesSeq) return
      series.value = markRaw({
        runId: id,
        voxel: r.voxel,
        inMask: r.inMask,
        tr: r.tr,
        values: decodeFloat32(r.values, 'time series')
      })
      seriesError.value = null
    } catch (err) {
      if (seq === seriesSeq) {
        series.value = null
        seriesError.value = ApiError.from(err)
      }
    } finally {
      if (seq === seriesSeq) seriesLoading.value = false
    }
  }

  return {
    subject,
    list,
    loading,
    loaded,
    error,
    selectedId,
    selected,
    load,
    select,
    axis,
    slice,
    sliceLoading,
    sliceError,
    loadSlice,
    setAxis,
    voxel,
    series,
    seriesLoading,
    seriesError,
    pickVoxel,
    events,
    eventsError
  }
})
