/** Glue from decoded audio to an extractor: mix to mono, resample to the extractor's rate, embed. */
import { resampleChannel, type ResampleQuality } from '../formats/audio/resample'
import { toMono, type AudioData } from '../formats/audio/types'
import type { FeatureExtractor, WindowOptions, WindowedEmbedding } from './types'

/** Mono at `sampleRate` (resampled with libsamplerate when the rates differ). */
export async function monoAt(
  audio: AudioData,
  sampleRate: number,
  quality: ResampleQuality = 'best'
): Promise<Float32Array> {
  const mono = toMono(audio)
  return audio.sampleRate === sampleRate ? mono : resampleChannel(mono, audio.sampleRate, sampleRate, quality)
}

export async function embedAudio(
  extractor: FeatureExtractor,
  audio: AudioData,
  options: WindowOptions & { quality?: ResampleQuality } = {}
): Promise<WindowedEmbedding> {
  const signal = await monoAt(audio, extractor.sampleRate, options.quality)
  return extractor.embedWindows(signal, options)
}
