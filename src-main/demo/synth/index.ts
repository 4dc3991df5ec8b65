/** The demo study's synthesiser: deterministic, seeded, genre-styled music (see ./render and ./styles). */
export {
  renderClip,
  TARGET_RMS,
  PEAK_CEILING,
  type ClipMeta,
  type RenderClipOptions,
  type RenderedClip
} from './render'
export { GENRES, STYLES, type Genre, type Style } from './styles'
export { Rng, hash32 } from './rng'
export { encodeWav16, renderGenreSampler, type SamplerOptions } from './sampler'
