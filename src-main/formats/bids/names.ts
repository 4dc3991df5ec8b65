/**
 * BIDS file names, parsed generically: `key-value` entities joined by `_`, then a suffix, then an
 * extension (everything from the first dot: `.nii.gz`, `.func.gii`).
 */

export interface BidsName {
  /** Entities in file order, e.g. { sub: '001', task: 'Training', run: '01' }. */
  entities: Record<string, string>
  /** e.g. 'bold', 'events', 'T1w'. */
  suffix: string
  /** With its leading dot, lower-case: '.nii.gz', '.json', '.tsv'. */
  extension: string
}

const ENTITY = /^([a-zA-Z0-9]+)-([a-zA-Z0-9]+)$/
const SUFFIX = /^[a-zA-Z0-9]+$/

/** Parses a BIDS-style file name; null when it does not follow the pattern. */
export function parseBidsName(fileName: string): BidsName | null {
  const dot = fileName.indexOf('.')
  if (dot <= 0) return null
  const stem = fileName.slice(0, dot)
  const extension = fileName.slice(dot).toLowerCase()
  const parts = stem.split('_')
  const suffix = parts.pop()!
  if (!SUFFIX.test(suffix)) return null
  const entities: Record<string, string> = {}
  for (const p of parts) {
    const m = ENTITY.exec(p)
    if (!m || m[1] in entities) return null
    entities[m[1]] = m[2]
  }
  return { entities, suffix, extension }
}

/** True when every entity of `general` is in `specific` with the same label (BIDS inheritance applicability). */
export function entitiesApply(general: Record<string, string>, specific: Record<string, string>): boolean {
  return Object.entries(general).every(([k, v]) => specific[k] === v)
}

/** The run number of a `run-<index>` label (`01` -> 1); null when absent or not an integer. */
export function runIndex(label: string | undefined): number | null {
  if (label === undefined || !/^\d+$/.test(label)) return null
  return Number(label)
}

export const BOLD_IMAGE_EXTENSIONS = ['.nii', '.nii.gz']
/** Entities that only derivatives carry on BOLD files (fMRIPrep: space, res, den, desc, hemi). */
export const DERIVATIVE_ENTITIES = ['space', 'res', 'den', 'desc', 'hemi', 'label']
