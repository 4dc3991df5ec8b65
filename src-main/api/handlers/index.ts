import { coreHandlers } from './core'
import { cortexHandlers } from './cortex'
import { importHandlers } from './import'
import { musicHandlers } from './music'
import type { Handlers } from './types'

export type { Handlers } from './types'

/** The one implementation of every method in the contract, joined from each area's handlers. */
export const handlers: Handlers = {
  ...coreHandlers,
  ...cortexHandlers,
  ...importHandlers,
  ...musicHandlers
}
