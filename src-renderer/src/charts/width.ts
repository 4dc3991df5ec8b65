import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

/** The width of an element, followed with a ResizeObserver (charts redraw to fit, never stretch text). */
export function useWidth(el: Ref<HTMLElement | null>, initial = 640, min = 280): Ref<number> {
  const width = ref(initial)
  let observer: ResizeObserver | null = null
  onMounted(() => {
    if (!el.value) return
    width.value = Math.max(min, Math.floor(el.value.clientWidth || initial))
    observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width
      if (w) width.value = Math.max(min, Math.floor(w))
    })
    observer.observe(el.value)
  })
  onBeforeUnmount(() => observer?.disconnect())
  return width
}
