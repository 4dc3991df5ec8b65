import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { LibraryAddResult, LibraryItem } from '@contract'
import { ApiError, api } from '../transport'
import { followedJob } from './followed-job'
import { ONNX_MODEL_NAME, SET_NAME, type ExtractorKind } from './feature-sets'
import { folderPicker, loadedList } from './loaded-list'

function isAddResult(r: unknown): r is LibraryAddResult {
  const o = r as LibraryAddResult | null
  return !!o && typeof o === 'object' && typeof o.id === 'number' && Array.isArray(o.unreadable)
}

export const PAGE_SIZE = 50

/** One page of a library's items (library.items), all of them or only the unreadable. */
export interface ItemsPage {
  libraryId: number
  total: number
  offset: number
  items: LibraryItem[]
}

/**
 * Music libraries (embedded folders of audio for retrieval): the list, the chosen library's items in
 * pages and its unreadable files, and the `library.add` job with its form.
 */
export const useLibrariesStore = defineStore('libraries', () => {
  const { list, loaded, loading, error, load } = loadedList('library.list', {}, () => {
    if (selectedId.value !== null && !list.value.some((l) => l.id === selectedId.value)) select(null)
  })

  const selectedId = ref<number | null>(null)
  const selected = computed(() => list.value.find((l) => l.id === selectedId.value) ?? null)
  const items = shallowRef<ItemsPage | null>(null)
  const unreadable = shallowRef<ItemsPage | null>(null)
  const itemsLoading = ref(false)
  const itemsError = shallowRef<ApiError | null>(null)
  let itemsSeq = 0
  let unreadableSeq = 0

  function select(id: number | null): void {
    selectedId.value = id
    items.value = null
    unreadable.value = null
    itemsError.value = null
    if (id === null) return
    void loadItems(0)
    void loadUnreadable(0)
  }

  async function loadItems(offset: number): Promise<void> {
    const id = selectedId.value
    if (id === null) return
    const seq = ++itemsSeq
    itemsLoading.value = true
    try {
      const r = await api().call('library.items', { id, offset, limit: PAGE_SIZE })
      if (seq === itemsSeq) {
        items.value = { libraryId: id, ...r }
        itemsError.value = null
      }
    } catch (err) {
      if (seq === itemsSeq) itemsError.value = ApiError.from(err)
    } finally {
      if (seq === itemsSeq) itemsLoading.value = false
    }
  }

  async function loadUnreadable(offset: number): Promise<void> {
    const id = selectedId.value
    if (id === null) return
    const seq = ++unreadableSeq
    try {
      const r = await api().call('library.items', { id, offset, limit: PAGE_SIZE, unreadable: true })
      if (seq === unreadableSeq) unreadable.value = { libraryId: id, ...r }
    } catch (err) {
      if (seq === unreadableSeq) itemsError.value = ApiError.from(err)
    }
  }

  // --- the add form
  const folder = ref('')
  const name = ref('')
  const extractorKind = ref<ExtractorKind>('builtin')
  const onnxModel = ref('')
  const seconds = ref(15)
  const { picking, pickError, pickFolder } = folderPicker(folder, 'Choose a folder of music')

  const extractor = computed(() =>
    extractorKind.value === 'onnx' ? `onnx:${onnxModel.value.trim()}` : extractorKind.value
  )
  const formProblem = computed<string | null>(() => {
    if (!folder.value.trim()) return 'Give the folder of audio files.'
    const n = name.value.trim()
    if (n && !SET_NAME.test(n)) return 'A name has no slashes and at most 100 characters.'
    if (extractorKind.value === 'onnx' && !ONNX_MODEL_NAME.test(onnxModel.value.trim()))
      return 'Name the encoder folder under models/ (letters, digits, . _ -).'
    if (!(seconds.value > 0 && seconds.value <= 600)) return 'Embed between 0 and 600 seconds of each file.'
    return null
  })

  const add = followedJob(isAddResult, (r) => {
    void load().then(() => {
      if (r) select(r.id)
    })
  })

  function startAdd(): Promise<boolean> {
    if (formProblem.value) return Promise.resolve(false)
    return add.start({
      kind: 'library.add',
      params: {
        folder: folder.value.trim(),
        extractor: extractor.value,
        seconds: seconds.value,
        ...(name.value.trim() ? { name: name.value.trim() } : {})
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
    selected,
    select,
    items,
    unreadable,
    itemsLoading,
    itemsError,
    loadItems,
    loadUnreadable,
    folder,
    name,
    extractorKind,
    onnxModel,
    seconds,
    picking,
    pickError,
    pickFolder,
    extractor,
    formProblem,
    add,
    startAdd
  }
})
