import { defineStore } from 'pinia'
import { loadedList } from './loaded-list'

export const useSubjectsStore = defineStore('subjects', () => {
  const { list, loaded, loading, error, load } = loadedList('subjects.list', {})

  return { list, loaded, loading, error, load }
})
