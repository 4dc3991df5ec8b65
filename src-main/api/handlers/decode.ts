import { clipWav, exportClips, libraryItemWav, listClips } from '../../decode/clips'
import type { AreaHandlers } from './types'

/** Decoding back to music: the clips catalogue, playback of clips and library items, export (generation runs as the generate.clips job). */
export const decodeHandlers: AreaHandlers<'clips.list' | 'clips.audio' | 'library.audio' | 'clips.export'> = {
  'clips.list': (p, core) => listClips(core.workspace, p),
  'clips.audio': (p, core) => clipWav(core.workspace, p.id),
  'library.audio': (p, core) => libraryItemWav(core.workspace, p.itemId, p.seconds),
  'clips.export': (p, core) => exportClips(core.workspace, p.ids, p.format, p.folder)
}
