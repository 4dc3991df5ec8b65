export {
  eigh,
  eighSmall,
  tridiagonalEigenvalues,
  tridiagonalEigenvectors,
  type EighOptions,
  type EighResult
} from './eigh'
export { makeFolds, type Fold } from './folds'
export { pearsonColumns } from './pearson'
export {
  defaultAlphas,
  ridgeFit,
  RidgeCancelled,
  type RidgeFitOptions,
  type RidgeFitResult,
  type RidgeForm
} from './fit'
export { ridgePredict, type RidgeLinearModel } from './predict'
export { loadRidgeModel, saveRidgeModel, type LoadedRidgeModel, type RidgeModelInfo } from './io'
