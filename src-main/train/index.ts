/**
 * The training room: per-subject decoders (fMRI -> embedding) and encoding models (embedding -> every
 * voxel) on the ridge engine, evaluated on the test clips, stored in the models catalogue with their
 * provenance. Orchestration only: the numbers are ridge/ and evaluate/.
 */
export { SILENT_HOOKS, TrainCancelled, type TrainHooks } from './common'
export {
  decoderTestPredictions,
  loadDecoderParts,
  modelFeatureSet,
  predictDecoder,
  trainDecoder,
  type DecoderPart,
  type TrainDecoderParams
} from './decoder'
export { ENCODING_FDR_ALPHA, trainEncoding, voxelPearson, type TrainEncodingParams } from './encoding'
export { decoderOnnx } from './export-onnx'
export { deleteModel, getModel, listModels, modelRecord, rHistogram } from './store'
export { loadTrainingData, pairFeatures, type TrainingData } from './data'
export { GENRE_GENERALISATION, evaluateGenreGeneralisation } from './genres'
export { CLIP_PERMUTATION, evaluateEncodingPermutation } from './permutation'
