import type { JobKind } from '../../../src-preload/api'
import type { JobImpl } from '../context'
import { computeBenchmark } from './compute-benchmark'
import { workspaceVerify } from './workspace-verify'
import { importBidsJob } from './import-bids'
import { preprocessJob } from './preprocess'
import { importResponsesJob } from './import-responses'
import { stimuliAttachJob } from './stimuli-attach'
import { featuresComputeJob } from './features-compute'
import { libraryAddJob } from './library-add'
import { generateClipsJob } from './generate-clips'
import { trainDecoderJob, trainEncodingJob } from './train'
import { demoRunJob } from './demo-run'
import { decodeRetrieveJob, reportWriteJob } from './pipeline'
import { evalGenresJob, evalPermutationJob } from './evaluation'

/** Every job kind of the contract, mapped to the code a worker runs for it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const JOB_IMPLS: Record<JobKind, JobImpl<any, unknown>> = {
  'compute.benchmark': computeBenchmark,
  'workspace.verify': workspaceVerify,
  'import.bids': importBidsJob,
  preprocess: preprocessJob,
  'import.responses': importResponsesJob,
  'stimuli.attach': stimuliAttachJob,
  'features.compute': featuresComputeJob,
  'library.add': libraryAddJob,
  'generate.clips': generateClipsJob,
  'train.decoder': trainDecoderJob,
  'train.encoding': trainEncodingJob,
  'demo.run': demoRunJob,
  'decode.retrieve': decodeRetrieveJob,
  'report.write': reportWriteJob,
  'eval.genres': evalGenresJob,
  'eval.permutation': evalPermutationJob
}
