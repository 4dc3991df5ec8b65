import { computed, ref, watchEffect } from 'vue'

export type Theme = 'light' | 'dark'
const KEY = 'b2m.theme'

function readStored(): Theme | null {
  try {
    const v = window.localStorage.getItem(KEY)
    return v === 'light' || v === 'dark' ? v : null
  } catch {
    return null
  }
}

const media = window.matchMedia('(prefers-color-scheme: dark)')
const system = ref<Theme>(media.matches ? 'dark' : 'light')
media.addEventListener('change', (e) => {
  system.value = e.matches ? 'dark' : 'light'
})
const chosen = ref<Theme | null>(readStored())

/** The theme in effect: the user's choice when made (persisted), else the system's. */
export const theme = computed<Theme>(() => chosen.value ?? system.value)
export const themeIsChosen = computed(() => chosen.value !== null)

export function setTheme(t: Theme | null): void {
  chosen.value = t
  try {
    if (t) window.localStorage.setItem(KEY, t)
    else window.localStorage.removeItem(KEY)
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

export function toggleTheme(): void {
  setTheme(theme.value === 'dark' ? 'light' : 'dark')
}

/** Mirrors the theme onto <html data-theme> (CSS variables key off it). Call once at start. */
export function applyTheme(): void {
  watchEffect(() => {
    const root = document.documentElement
    root.dataset.theme = theme.value
  })
}
