/** The evaluation room: identification (Eq. 2), correlations, genre views, significance of voxel maps. */
export * from './correlation'
export * from './fdr'
export * from './genre'
export * from './identification'
export * from './permutation'
export * from './tdist'
export { distinctLabels } from './matrix'
export type { Matrix } from './matrix'
