import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { Subject } from '@contract'
import { ApiError, api } from '../transport'

export const useSubjectsStore = defineStore('subjects', () => {
  const list = ref<Subject[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const error = shallowRef<ApiError | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      list.value = await api().call('subjects.list', {})
      error.value = null
      loaded.value = true
    } catch (err) {
      error.value = ApiError.from(err)
    } finally {
      loading.value = false
    }
  }

  return { list, loaded, loading, error, load }
})
