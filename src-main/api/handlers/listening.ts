import { listListeningTests, saveListeningTest } from '../../evaluate/listening'
import type { AreaHandlers } from './types'

/** The blinded two-alternative listening test: save a finished test (scored here), list the saved ones. */
export const listeningHandlers: AreaHandlers<'listening.save' | 'listening.list'> = {
  'listening.save': (p, core) => saveListeningTest(core.workspace.catalogue, p),
  'listening.list': (_p, core) => listListeningTests(core.workspace.catalogue)
}
