/**
 * NIfTI-1 / NIfTI-2 reading (`.nii`, `.nii.gz`, either byte order, streamed by volume) and NIfTI-1 writing.
 */
export * from './types'
export { affineToQuaternion, chooseAffine, quaternionToAffine, srowToAffine } from './affine'
export { detectVersion, parseExtensions, parseFixedHeader } from './header'
export {
  openNifti,
  readMasked,
  readNifti,
  readNiftiHeader,
  scaleToFloat32,
  type MaskedMatrix,
  type NiftiImage,
  type NiftiVolumeReader,
  type OpenNiftiOptions
} from './read'
export {
  createNiftiWriter,
  encodeNifti1Header,
  writeNifti,
  type NiftiWriteHeader,
  type NiftiWriteOptions,
  type NiftiWriter
} from './write'
