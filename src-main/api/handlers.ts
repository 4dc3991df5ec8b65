import type { MethodName, ParsedParams, Result } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import type { Core } from './core'

export type Handlers = {
  [M in MethodName]: (params: ParsedParams<M>, core: Core) => Promise<Result<M>> | Result<M>
}

function jobOrThrow(core: Core, id: number) {
  const job = core.workspace.catalogue.jobs.get(id)
  if (!job) throw new B2mError('not_found', `no job ${id}`)
  return job
}

/** The one implementation of every method in the contract. */
export const handlers: Handlers = {
  'app.info': (_p, core) => core.info(),
  'catalogue.counts': (_p, core) => core.workspace.catalogue.counts(),
  'subjects.list': (_p, core) => core.workspace.catalogue.subjects.list(),
  'jobs.list': (p, core) => core.workspace.catalogue.jobs.list(p.limit),
  'jobs.get': (p, core) => jobOrThrow(core, p.id),
  'jobs.start': (p, core) => core.jobs.start(p.kind, p.params),
  'jobs.cancel': (p, core) => {
    jobOrThrow(core, p.id)
    return core.jobs.cancel(p.id)
  },
  'jobs.log': (p, core) => {
    jobOrThrow(core, p.id)
    return core.workspace.catalogue.jobs.logs(p.id, p.afterSeq)
  }
}
