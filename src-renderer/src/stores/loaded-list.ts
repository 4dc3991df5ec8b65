import { ref, shallowRef, type Ref } from 'vue'
import type { MethodName, Params, Result } from '@contract'
import { ApiError, api } from '../transport'

/**
 * A list a store loads from one API method: the list, whether it has loaded once, whether a load is
 * under way, the last load's failure. `afterLoad` runs after each successful load (to drop a selection
 * that no longer exists). Made inside a setup store.
 */
export function loadedList<M extends MethodName>(method: M, params: Params<M>, afterLoad?: () => void) {
  const list = ref([]) as Ref<Result<M>>
  const loaded = ref(false)
  const loading = ref(false)
  const error = shallowRef<ApiError | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      list.value = await api().call(method, params)
      error.value = null
      loaded.value = true
      afterLoad?.()
    } catch (err) {
      error.value = ApiError.from(err)
    } finally {
      loading.value = false
    }
  }

  return { list, loaded, loading, error, load }
}

/** The face's folder dialog (app.pickFolder) filling `folder`; `picking` while it is open. */
export function folderPicker(folder: Ref<string>, title: string) {
  const picking = ref(false)
  const pickError = shallowRef<ApiError | null>(null)

  async function pickFolder(): Promise<void> {
    picking.value = true
    pickError.value = null
    try {
      const r = await api().call('app.pickFolder', { title })
      if (r.path) folder.value = r.path
    } catch (err) {
      pickError.value = ApiError.from(err)
    } finally {
      picking.value = false
    }
  }

  return { picking, pickError, pickFolder }
}
