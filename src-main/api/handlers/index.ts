import { coreHandlers } from './core'
import { cortexHandlers } from './cortex'
import { decodeHandlers } from './decode'
import { importHandlers } from './import'
import { listeningHandlers } from './listening'
import { musicHandlers } from './music'
import { trainHandlers } from './train'
import type { Handlers } from './types'

export type { Handlers } from './types'

/** The one implementation of every method in the contract, joined from each area's handlers. */
export const handlers: Handlers = {
  ...coreHandlers,
  ...cortexHandlers,
  ...decodeHandlers,
  ...importHandlers,
  ...listeningHandlers,
  ...musicHandlers,
  ...trainHandlers
}
