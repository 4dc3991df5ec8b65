import { getFeatureSet, libraryItems, listFeatureSets, listLibraries, listStimuli, stimulusWav } from '../../music'
import type { AreaHandlers } from './types'

/** Music in: stimuli and their audio, feature sets, libraries (the jobs that make them are in jobs/kinds). */
export const musicHandlers: AreaHandlers<
  'stimuli.list' | 'stimuli.audio' | 'features.list' | 'features.get' | 'library.list' | 'library.items'
> = {
  'stimuli.list': (_p, core) => listStimuli(core.workspace),
  'stimuli.audio': async (p, core) => {
    const { stimulus, audio, wav } = await stimulusWav(core.workspace, p.id)
    const frames = audio.channels[0]?.length ?? 0
    return {
      id: stimulus.id,
      key: stimulus.key,
      mime: 'audio/wav' as const,
      sampleRate: audio.sampleRate,
      channels: audio.channels.length,
      duration: audio.sampleRate > 0 ? frames / audio.sampleRate : 0,
      base64: Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength).toString('base64')
    }
  },
  'features.list': (_p, core) => listFeatureSets(core.workspace),
  'features.get': (p, core) => getFeatureSet(core.workspace, p.id),
  'library.list': (_p, core) => listLibraries(core.workspace),
  'library.items': (p, core) => libraryItems(core.workspace, p.id, p.offset, p.limit, p.unreadable)
}
