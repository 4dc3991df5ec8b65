/**
 * The surface room: surface sets and their meshes, volume -> surface mapping as cached sparse vertex x
 * voxel matrices, and cortical maps. Rendering is the renderer's.
 */
export * from './affine'
export { readSurfaceFile, readVertexValuesFile, sniffFile } from './files'
export * from './library'
export { ByteLru } from './lru'
export * from './mapping'
export {
  DEFAULT_FDR_Q,
  addMap,
  fdrMask,
  hemiFromName,
  matrixCacheDir,
  projectMap,
  registerMap,
  stageMapSignificance,
  type AddMapOptions,
  type ProjectMapOptions,
  type ProjectedSignificance,
  type ProjectedValues,
  type RegisterMapInput
} from './maps'
export { readCachedMatrix, writeCachedMatrix } from './matrix-cache'
export * from './sets'
