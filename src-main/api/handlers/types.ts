import type { MethodName, ParsedParams, Result } from '../../../src-preload/api'
import type { Core } from '../core'

export type Handler<M extends MethodName> = (params: ParsedParams<M>, core: Core) => Promise<Result<M>> | Result<M>

/** The handlers of one area of the contract: exactly the methods it names. */
export type AreaHandlers<M extends MethodName> = { [K in M]: Handler<K> }

export type Handlers = AreaHandlers<MethodName>
