import type { FetchedAudio } from '../../playback/decoded'

/** Something a playback panel can load: a cache key, what to call it, and how to fetch its WAV bytes. */
export interface PanelSource {
  key: string
  label: string
  sublabel: string
  fetch: () => Promise<FetchedAudio>
}
