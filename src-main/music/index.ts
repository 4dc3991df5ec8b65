/**
 * Music in: stimulus audio (cut from a GTZAN-like folder into the workspace), feature sets (per-window
 * embeddings of the stimuli) and music libraries (embeddings of every file of a folder). The orchestration
 * between formats/audio, features/ and the catalogue; the jobs and handlers call these.
 */
export * from './stimuli'
export * from './feature-sets'
export * from './library'
export { openExtractor, modelsDirs, resolveModelDir, type OpenedExtractor } from './extractors'
export { EmbedPool, runPoolWorker, type EmbedOutcome, type PoolConfig } from './pool'
export { FileBatch, NpyRowReader, NpyRowWriter, npyFloat32Header, workspaceFile } from './files'
