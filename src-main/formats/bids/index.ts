/**
 * BIDS: layout discovery, sidecar inheritance, events.tsv, and the import preview.
 */
export { GTZAN_GENRES, normaliseGenre, parseEvents, readEvents, type BidsEvent, type EventsTable } from './events'
export {
  applicableFiles,
  inheritedSidecar,
  readJson,
  scanBids,
  type BidsFile,
  type BidsLayout,
  type BidsSubjectDir
} from './layout'
export { entitiesApply, parseBidsName, runIndex, type BidsName } from './names'
export {
  previewBids,
  type BidsDerivativePreview,
  type BidsPreview,
  type BidsRunPreview,
  type BidsSubjectPreview,
  type PreviewOptions
} from './preview'
