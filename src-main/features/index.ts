export * from './types'
export * from './embed'
export * from './transform'
export { BuiltinExtractor, BUILTIN_VERSION } from './builtin/extractor'
export { DEFAULT_PARAMS, frameFeatures, type BuiltinParams, type FrameFeatures } from './builtin/frames'
export { EncoderManifest, MelFrontEnd, readEncoderManifest } from './onnx/manifest'
export { OnnxEncoder } from './onnx/encoder'
export { logMel, melFrames } from './onnx/frontend'
export {
  checkClapFolder,
  loadClap,
  CLAP_DIM,
  CLAP_FOLDER,
  CLAP_MODEL_ID,
  CLAP_SAMPLE_RATE,
  CLAP_WINDOW_SECONDS
} from './onnx/clap'
