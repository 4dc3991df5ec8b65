import { B2mError } from '../../common/errors'
import type { Core } from '../core'
import type { AreaHandlers } from './types'

function jobOrThrow(core: Core, id: number) {
  const job = core.workspace.catalogue.jobs.get(id)
  if (!job) throw new B2mError('not_found', `no job ${id}`)
  return job
}

/** The foundation's methods: app, catalogue counts, subjects, jobs. */
export const coreHandlers: AreaHandlers<
  | 'app.info'
  | 'app.pickFolder'
  | 'catalogue.counts'
  | 'subjects.list'
  | 'jobs.list'
  | 'jobs.get'
  | 'jobs.start'
  | 'jobs.cancel'
  | 'jobs.log'
> = {
  'app.info': (_p, core) => core.info(),
  'app.pickFolder': async (p, core) => ({ path: core.pickFolder ? await core.pickFolder(p.title) : null }),
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
