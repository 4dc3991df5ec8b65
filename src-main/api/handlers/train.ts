import { deleteModel, getModel, listModels } from '../../train'
import type { AreaHandlers } from './types'

/** Trained models: list, detail, delete (training itself runs as the train.* job kinds). */
export const trainHandlers: AreaHandlers<'models.list' | 'models.get' | 'models.delete'> = {
  'models.list': (p, core) => listModels(core.workspace, p.subject),
  'models.get': (p, core) => getModel(core.workspace, p.id),
  'models.delete': (p, core) => deleteModel(core.workspace, p.id)
}
