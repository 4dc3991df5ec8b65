/** Generation for the pipeline: the generate.clips core (src-main/decode/generate-clips.ts). */
export { generateForModel, type GenerateForModelParams, type GenerateIo } from '../decode/generate-clips'
