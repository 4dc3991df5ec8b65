/**
 * BIDS layout discovery: the dataset description, subjects and sessions (from the `sub-*` / `ses-*`
 * folders), every BIDS-named file with its entities, and the inheritance principle for metadata files.
 *
 * Not scanned as raw data: `derivatives/`, `sourcedata/`, `code/` and dot folders at the root (a raw
 * dataset's `derivatives/<pipeline>/` folders are only listed by name).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { B2mError } from '../../common/errors'
import { entitiesApply, parseBidsName, type BidsName } from './names'

export interface BidsFile extends BidsName {
  path: string
  /** Path relative to the dataset root, with '/' separators. */
  rel: string
  /** Folder relative to the root ('' for root files). */
  dir: string
  bytes: number
}

export interface BidsSubjectDir {
  /** e.g. 'sub-01'. */
  id: string
  label: string
  /** Session labels (without 'ses-'), sorted; empty when the subject has no session folders. */
  sessions: string[]
}

export interface BidsLayout {
  root: string
  description: Record<string, unknown> | null
  /** 'raw' unless dataset_description.json says DatasetType "derivative". */
  datasetType: 'raw' | 'derivative'
  subjects: BidsSubjectDir[]
  files: BidsFile[]
  /** Pipeline folders under derivatives/ (not scanned). */
  derivativeFolders: string[]
  warnings: string[]
}

const SKIPPED_ROOT_DIRS = new Set(['derivatives', 'sourcedata', 'code', 'stimuli'])

function listDir(dir: string): { name: string; isDir: boolean; size: number }[] {
  return readdirSync(dir, { withFileTypes: true })
    .map((d) => {
      const p = join(dir, d.name)
      const st = d.isSymbolicLink() ? statSync(p, { throwIfNoEntry: false }) : null
      const isDir = st ? st.isDirectory() : d.isDirectory()
      return { name: d.name, isDir, size: isDir ? 0 : (st ?? statSync(p)).size }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export function readJson(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new B2mError('bad_request', `cannot read: ${(err as Error).message}`, path)
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new B2mError('bad_request', `malformed JSON: ${(err as Error).message}`, path)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new B2mError('bad_request', 'malformed JSON sidecar: the top level is not an object', path)
  }
  return value as Record<string, unknown>
}

/** Walks a dataset root. Throws only when the root itself is unusable. */
export function scanBids(root: string): BidsLayout {
  let rootStat
  try {
    rootStat = statSync(root)
  } catch {
    throw new B2mError('not_found', 'BIDS dataset folder not found', root)
  }
  if (!rootStat.isDirectory()) throw new B2mError('bad_request', 'not a folder (expected a BIDS dataset root)', root)
  const warnings: string[] = []
  const files: BidsFile[] = []
  const subjects: BidsSubjectDir[] = []
  let description: Record<string, unknown> | null = null
  const descPath = join(root, 'dataset_description.json')
  try {
    description = readJson(descPath)
  } catch (err) {
    warnings.push(
      (err as Error).message.includes('ENOENT')
        ? `${descPath}: missing (BIDS requires dataset_description.json)`
        : (err as Error).message
    )
  }
  const datasetType = description?.DatasetType === 'derivative' ? 'derivative' : 'raw'

  const addFile = (dir: string, name: string, size: number) => {
    const parsed = parseBidsName(name)
    if (!parsed) return
    const path = join(root, dir, name)
    files.push({ ...parsed, path, rel: relative(root, path).split(sep).join('/'), dir, bytes: size })
  }
  const walk = (dir: string, depth: number) => {
    for (const e of listDir(join(root, dir))) {
      if (e.name.startsWith('.')) continue
      const rel = dir ? `${dir}/${e.name}` : e.name
      if (e.isDir) {
        if (depth < 4) walk(rel, depth + 1)
      } else addFile(dir, e.name, e.size)
    }
  }

  const derivativeFolders: string[] = []
  for (const e of listDir(root)) {
    if (e.name.startsWith('.')) continue
    if (!e.isDir) {
      addFile('', e.name, e.size)
      continue
    }
    if (e.name === 'derivatives') {
      derivativeFolders.push(
        ...listDir(join(root, e.name))
          .filter((d) => d.isDir)
          .map((d) => d.name)
      )
      continue
    }
    if (SKIPPED_ROOT_DIRS.has(e.name)) continue
    const m = /^sub-([a-zA-Z0-9]+)$/.exec(e.name)
    if (!m) continue
    const sessions = listDir(join(root, e.name))
      .filter((d) => d.isDir && /^ses-[a-zA-Z0-9]+$/.test(d.name))
      .map((d) => d.name.slice(4))
    subjects.push({ id: e.name, label: m[1], sessions })
    walk(e.name, 1)
  }
  if (derivativeFolders.length) {
    warnings.push(
      `${join(root, 'derivatives')}: derivative pipelines (${derivativeFolders.join(', ')}) are not scanned as raw runs; ` +
        'open a pipeline folder as its own dataset to list them'
    )
  }
  // A file inside sub-X/ must say sub-X (and ses-Y inside ses-Y/).
  const kept = files.filter((f) => {
    const parts = f.dir.split('/')
    const sub = parts[0]?.startsWith('sub-') ? parts[0].slice(4) : undefined
    const ses = parts[1]?.startsWith('ses-') ? parts[1].slice(4) : undefined
    if (!f.entities.sub) return !sub // e.g. a pipeline's log or config file inside sub-X/: not BIDS data
    if ((sub && f.entities.sub !== sub) || (ses && f.entities.ses !== ses)) {
      warnings.push(`${f.path}: its entities do not match its folder (${f.dir}); ignored`)
      return false
    }
    return true
  })
  return { root, description, datasetType, subjects, files: kept, derivativeFolders, warnings }
}

function isAncestorDir(dir: string, of: string): boolean {
  return dir === '' || of === dir || of.startsWith(dir + '/')
}

/**
 * The BIDS inheritance principle: the metadata files (same suffix, given extension) that apply to
 * `target`, ordered from the most general (dataset root, fewest entities) to the most specific (the
 * target's own folder, most entities). Nearer files override earlier ones. Two applicable files at the
 * same level with the same number of entities are ambiguous: reported in `warnings`.
 */
export function applicableFiles(
  layout: BidsLayout,
  target: BidsFile | { dir: string; entities: Record<string, string>; suffix: string },
  extension: string,
  warnings: string[]
): BidsFile[] {
  const found = layout.files.filter(
    (f) =>
      f.suffix === target.suffix &&
      f.extension === extension &&
      isAncestorDir(f.dir, target.dir) &&
      entitiesApply(f.entities, target.entities)
  )
  const depth = (d: string) => (d === '' ? 0 : d.split('/').length)
  found.sort(
    (a, b) =>
      depth(a.dir) - depth(b.dir) ||
      Object.keys(a.entities).length - Object.keys(b.entities).length ||
      (a.rel < b.rel ? -1 : 1)
  )
  for (let i = 1; i < found.length; i++) {
    const a = found[i - 1]
    const b = found[i]
    if (depth(a.dir) === depth(b.dir) && Object.keys(a.entities).length === Object.keys(b.entities).length) {
      warnings.push(
        `${b.path}: applies at the same level as ${a.path} (ambiguous BIDS inheritance); the later one wins`
      )
    }
  }
  return found
}

/** Merges the applicable JSON sidecars (nearer overrides); returns the merged object and the files used. */
export function inheritedSidecar(
  layout: BidsLayout,
  target: BidsFile | { dir: string; entities: Record<string, string>; suffix: string },
  warnings: string[],
  cache: Map<string, Record<string, unknown>> = new Map()
): { sidecar: Record<string, unknown>; files: string[] } {
  const chain = applicableFiles(layout, target, '.json', warnings)
  const sidecar: Record<string, unknown> = {}
  for (const f of chain) {
    let obj = cache.get(f.path)
    if (!obj) {
      obj = readJson(f.path)
      cache.set(f.path, obj)
    }
    Object.assign(sidecar, obj)
  }
  return { sidecar, files: chain.map((f) => f.path) }
}
