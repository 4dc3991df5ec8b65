/** The fMRI room: masks, detrending, z-scoring, clip alignment, response matrices. Layouts: see types.ts. */
export * from './types'
export { checkFinite, checkRun } from './checks'
export {
  applyMask,
  backProject,
  maskFromVolume,
  maskToVolume,
  maskVolumeInto,
  meanOverTime,
  voxelCoordinates
} from './mask'
export { type Connectivity, dilate, erode, fillHoles, labelComponents, largestComponent } from './morphology'
export { type EpiMaskOptions, type EpiMaskResult, computeEpiMask } from './epi-mask'
export { type MedianEdge, MEDIAN_EDGES, SlidingMedian, medianWindowTRs, slidingMedian } from './sliding-median'
export { type MedianDetrendOptions, legendreBasis, medianDetrendInPlace, polynomialDetrendInPlace } from './detrend'
export { type ZscoreResult, zscoreInPlace } from './zscore'
export {
  type LooseEventRow,
  type RunRole,
  checkEvents,
  checkFirstClipRepeat,
  clipKey,
  normalizeGenre,
  toClipEvents
} from './clips'
export {
  type AlignEdge,
  type AlignOptions,
  type SampleGrid,
  DEFAULT_SHIFT_TRS,
  alignRun,
  averageRepeats,
  clipWindows,
  concatResponses
} from './align'
export {
  type AlignSpec,
  type BuildOptions,
  type BuildResult,
  type DetrendSpec,
  type PreprocessOptions,
  type PreprocessResult,
  type Provenance,
  type RunInput,
  PROVENANCE_SCHEMA,
  buildResponses,
  preprocessRun
} from './pipeline'
