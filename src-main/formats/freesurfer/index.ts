/** FreeSurfer native formats: surfaces (triangle and quad), curv, annot, ASCII label, patch. */
export * from './annot'
export * from './curv'
export * from './label'
export * from './patch'
export * from './surface'
