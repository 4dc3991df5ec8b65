import { methods, type MethodName, type Result } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import type { Core } from './core'
import { handlers } from './handlers'

function isMethod(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name)
}

/**
 * Every face calls the core through here: the method name and its raw input are checked against the
 * contract's schemas before any handler runs, so no face can pass unvalidated data into the core.
 */
export async function dispatch(core: Core, method: string, rawParams: unknown): Promise<Result<MethodName>> {
  if (!isMethod(method)) throw new B2mError('not_found', `unknown method "${method}"`)
  const spec = methods[method]
  const parsed = spec.params.safeParse(rawParams ?? {})
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`)
      .join('; ')
    throw new B2mError('bad_request', `invalid parameters for ${method}: ${detail}`)
  }
  const handler = handlers[method] as (p: unknown, c: Core) => unknown
  return (await handler(parsed.data, core)) as Result<MethodName>
}
