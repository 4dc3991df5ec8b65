/**
 * Surface sets: where the files of a set live. Two sources:
 * * the shipped template `fsaverage5` (resources/surfaces/fsaverage5: nilearn's GIfTI files and the
 *   full-fsaverage aparc annotations, of which the first 10242 labels are fsaverage5's);
 * * a subject's FreeSurfer folder (`surf/lh.white`, `label/lh.aparc.annot`, ... both hemispheres).
 *
 * Subject set ids: `subject:<label>` for a folder registered under a label (or found in
 * $SUBJECTS_DIR), or `subject:<absolute folder path>` (path-derived, needs no registration).
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, isAbsolute, join, resolve } from 'node:path'
import type { Hemi, ShapeMeasure, SurfaceKind } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { findUp } from '../common/find-up'

export const HEMIS: Hemi[] = ['lh', 'rh']
export const SURFACE_KINDS: SurfaceKind[] = ['pial', 'white', 'inflated', 'sphere', 'flat']
export const SHAPE_MEASURES: ShapeMeasure[] = ['curv', 'sulc', 'thickness']
export const TEMPLATE_ID = 'fsaverage5'
export const FSAVERAGE5_VERTICES = 10242

export interface SurfaceSetDef {
  id: string
  name: string
  source: 'template' | 'subject'
  /** The folder the files are in. */
  dir: string
  /** 'file': one surface per hemisphere in any format readSurfaceFile knows (GIfTI, FreeSurfer, MZ3). */
  format: 'gifti' | 'freesurfer' | 'file'
  kinds: SurfaceKind[]
  measures: ShapeMeasure[]
  annotations: string[]
  licence: string | null
  surfaceFile(hemi: Hemi, kind: SurfaceKind): string
  measureFile(hemi: Hemi, measure: ShapeMeasure): string
  annotationFile(hemi: Hemi, name: string): string
  /** Annotation files that cover a larger mesh of which this set is the first N vertices (fsaverage5). */
  annotationVertices: number | null
  /** Changes when the files change: part of every cache key built from this set's geometry. */
  signature: string
}

let templateDirCache: string | null | undefined

/** resources/surfaces/fsaverage5, found by walking up from this file (source tree or out/main bundle). */
export function templateDir(): string {
  if (templateDirCache === undefined)
    templateDirCache = findUp(__dirname, join('resources', 'surfaces', TEMPLATE_ID), 6)
  if (!templateDirCache) {
    throw new B2mError(
      'internal',
      `the shipped template surfaces (resources/surfaces/${TEMPLATE_ID}) were not found above ${__dirname}`
    )
  }
  return templateDirCache
}

const TEMPLATE_KIND_FILE: Record<SurfaceKind, string> = {
  pial: 'pial',
  white: 'white',
  inflated: 'infl',
  sphere: 'sphere',
  flat: 'flat'
}
const TEMPLATE_MEASURE_FILE: Record<ShapeMeasure, string> = { curv: 'curv', sulc: 'sulc', thickness: 'thick' }
const SIDE: Record<Hemi, string> = { lh: 'left', rh: 'right' }

export function templateSet(dir = templateDir()): SurfaceSetDef {
  const licence = join(dir, 'LICENSE-FreeSurfer.rst')
  return {
    id: TEMPLATE_ID,
    name: 'fsaverage5 (FreeSurfer template, 10,242 vertices per hemisphere)',
    source: 'template',
    dir,
    format: 'gifti',
    kinds: [...SURFACE_KINDS],
    measures: [...SHAPE_MEASURES],
    annotations: ['aparc'],
    licence: existsSync(licence) ? licence : null,
    surfaceFile: (hemi, kind) => join(dir, `${TEMPLATE_KIND_FILE[kind]}_${SIDE[hemi]}.gii.gz`),
    measureFile: (hemi, m) => join(dir, `${TEMPLATE_MEASURE_FILE[m]}_${SIDE[hemi]}.gii.gz`),
    annotationFile: (hemi, name) => {
      if (name !== 'aparc') throw noAnnotation(TEMPLATE_ID, name, ['aparc'])
      return join(dir, `fsaverage.${hemi}.${name}.annot.gz`)
    },
    annotationVertices: FSAVERAGE5_VERTICES,
    signature: `${TEMPLATE_ID}@${dir}`
  }
}

function noAnnotation(set: string, name: string, have: string[]): B2mError {
  return new B2mError(
    'not_found',
    `surface set ${set} has no annotation "${name}" (it has ${have.length ? have.join(', ') : 'none'})`
  )
}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

const SUBJECT_KIND_FILES: Record<Exclude<SurfaceKind, 'flat'>, string[]> = {
  white: ['white'],
  pial: ['pial', 'pial.T1'],
  inflated: ['inflated'],
  sphere: ['sphere']
}
const FLAT_FILES = ['cortex.patch.flat', 'full.flat.patch.3d', 'flat.patch.3d']

/**
 * A FreeSurfer subject folder as a surface set. Needs `surf/{lh,rh}.white`; every other kind, measure and
 * annotation is offered when both hemispheres' files exist.
 */
export function subjectSet(dirIn: string, id: string, label: string): SurfaceSetDef {
  const dir = resolve(dirIn)
  const surf = join(dir, 'surf')
  if (!existsSync(dir)) throw new B2mError('not_found', 'FreeSurfer subject folder not found', dir)
  for (const h of HEMIS)
    if (!isFile(join(surf, `${h}.white`)))
      throw new B2mError(
        'bad_request',
        `is not a FreeSurfer subject folder: surf/${h}.white is missing (a subject set needs surf/lh.white and surf/rh.white)`,
        dir
      )
  const both = (name: (h: Hemi) => string) => HEMIS.every((h) => isFile(name(h)))
  const kindFiles = new Map<SurfaceKind, (h: Hemi) => string>()
  for (const [kind, names] of Object.entries(SUBJECT_KIND_FILES) as [SurfaceKind, string[]][]) {
    const name = names.find((n) => both((h) => join(surf, `${h}.${n}`)))
    if (name) kindFiles.set(kind, (h) => join(surf, `${h}.${name}`))
  }
  const flat = FLAT_FILES.find((n) => both((h) => join(surf, `${h}.${n}`)))
  if (flat) kindFiles.set('flat', (h) => join(surf, `${h}.${flat}`))
  const measures = SHAPE_MEASURES.filter((m) => both((h) => join(surf, `${h}.${m}`)))
  const labelDir = join(dir, 'label')
  let annotations: string[] = []
  try {
    annotations = readdirSync(labelDir)
      .map((n) => /^lh\.(.+)\.annot$/.exec(n)?.[1])
      .filter((n): n is string => !!n && isFile(join(labelDir, `rh.${n}.annot`)))
      .sort((a, b) => (a === 'aparc' ? -1 : b === 'aparc' ? 1 : a.localeCompare(b)))
  } catch {
    // no label/ folder: no annotations
  }
  const kinds = SURFACE_KINDS.filter((k) => kindFiles.has(k))
  const signature = [
    dir,
    ...kinds.flatMap((k) =>
      HEMIS.map((h) => {
        const s = statSync(kindFiles.get(k)!(h))
        return `${k}${h}:${s.size}:${s.mtimeMs}`
      })
    )
  ].join('|')
  return {
    id,
    name: label,
    source: 'subject',
    dir,
    format: 'freesurfer',
    kinds,
    measures,
    annotations,
    licence: null,
    surfaceFile: (hemi, kind) => {
      const f = kindFiles.get(kind)
      if (!f)
        throw new B2mError('not_found', `surface set ${id} has no ${kind} surface (it has ${kinds.join(', ')})`, dir)
      return f(hemi)
    },
    measureFile: (hemi, m) => {
      if (!measures.includes(m))
        throw new B2mError('not_found', `surface set ${id} has no ${m} (surf/${hemi}.${m} is missing)`, dir)
      return join(surf, `${hemi}.${m}`)
    },
    annotationFile: (hemi, name) => {
      if (!annotations.includes(name)) throw noAnnotation(id, name, annotations)
      return join(labelDir, `${hemi}.${name}.annot`)
    },
    annotationVertices: null,
    signature
  }
}

/**
 * One surface file per hemisphere (e.g. fMRIPrep's sub-01_hemi-L_pial.surf.gii and its hemi-R partner) as
 * a set with a single surface. It stands in the `white` slot, the one volumes are sampled at and a figure
 * draws: the set has exactly the geometry it was given, whatever the files call it.
 */
export function fileSet(files: Record<Hemi, string>, id: string, label: string): SurfaceSetDef {
  const abs = { lh: resolve(files.lh), rh: resolve(files.rh) }
  for (const h of HEMIS) if (!isFile(abs[h])) throw new B2mError('not_found', `${h} surface file not found`, abs[h])
  const signature = [
    'files',
    ...HEMIS.map((h) => {
      const st = statSync(abs[h])
      return `${abs[h]}:${st.size}:${st.mtimeMs}`
    })
  ].join('|')
  return {
    id,
    name: `${label} (${basename(abs.lh)} + ${basename(abs.rh)})`,
    source: 'subject',
    dir: resolve(abs.lh, '..'),
    format: 'file',
    kinds: ['white'],
    measures: [],
    annotations: [],
    licence: null,
    surfaceFile: (hemi, kind) => {
      if (kind !== 'white')
        throw new B2mError('not_found', `surface set ${id} holds one surface per hemisphere (no ${kind})`)
      return abs[hemi]
    },
    measureFile: (hemi, m) => {
      throw new B2mError('not_found', `surface set ${id} has no ${m} (it is a pair of surface files)`)
    },
    annotationFile: (_hemi, name) => {
      throw noAnnotation(id, name, [])
    },
    annotationVertices: null,
    signature
  }
}

/** The small in-memory registry of subject sets, by id. */
export class SetRegistry {
  private readonly subjects = new Map<string, { dir: string; label: string }>()
  private readonly filePairs = new Map<string, { files: Record<Hemi, string>; label: string }>()
  private template: SurfaceSetDef | null = null

  constructor(private readonly templateFolder?: string) {}

  templateSet(): SurfaceSetDef {
    this.template ??= templateSet(this.templateFolder)
    return this.template
  }

  /** Registers a FreeSurfer subject folder as `subject:<label>` (label: the folder's name by default). */
  register(dir: string, label?: string): SurfaceSetDef {
    const lab = (label ?? basename(resolve(dir))).trim()
    if (!/^[\w.+-]{1,100}$/.test(lab)) {
      throw new B2mError(
        'bad_request',
        `subject set label ${JSON.stringify(lab)} must be 1-100 letters, digits, . _ + -`
      )
    }
    const id = `subject:${lab}`
    const def = subjectSet(dir, id, lab)
    this.subjects.set(id, { dir: def.dir, label: lab })
    return def
  }

  /** Registers one surface file per hemisphere as `files:<label>` (label: the left file's name by default). */
  registerFiles(files: Record<Hemi, string>, label?: string): SurfaceSetDef {
    const lab = (label ?? basename(files.lh).replace(/\.(gii|gz|mz3)$/gi, '')).trim().replace(/[^\w.+-]+/g, '_')
    if (!/^[\w.+-]{1,100}$/.test(lab))
      throw new B2mError(
        'bad_request',
        `surface file set label ${JSON.stringify(lab)} must be 1-100 letters, digits, . _ + -`
      )
    const id = `files:${lab}`
    const def = fileSet(files, id, lab)
    this.filePairs.set(id, { files: { lh: resolve(files.lh), rh: resolve(files.rh) }, label: lab })
    return def
  }

  ids(): string[] {
    return [TEMPLATE_ID, ...this.subjects.keys(), ...this.filePairs.keys()]
  }

  /** Every set: the template, then the registered subjects (a folder gone missing is skipped). */
  list(): SurfaceSetDef[] {
    const out = [this.templateSet()]
    for (const [id, s] of this.subjects) {
      try {
        out.push(subjectSet(s.dir, id, s.label))
      } catch {
        // the folder moved or went away since it was registered
      }
    }
    for (const [id, f] of this.filePairs) {
      try {
        out.push(fileSet(f.files, id, f.label))
      } catch {
        // a file moved or went away since it was registered
      }
    }
    return out
  }

  /**
   * Resolves a set reference: `fsaverage5`, a registered `subject:<label>`, `subject:<absolute path>`, or
   * `subject:<label>` found as $SUBJECTS_DIR/<label>.
   */
  resolve(ref: string): SurfaceSetDef {
    if (ref === TEMPLATE_ID) return this.templateSet()
    const known = this.subjects.get(ref)
    if (known) return subjectSet(known.dir, ref, known.label)
    const pair = this.filePairs.get(ref)
    if (pair) return fileSet(pair.files, ref, pair.label)
    if (ref.startsWith('subject:')) {
      const rest = ref.slice('subject:'.length)
      if (isAbsolute(rest)) return subjectSet(rest, ref, basename(rest))
      const subjectsDir = process.env.SUBJECTS_DIR?.trim()
      if (subjectsDir && /^[\w.+-]+$/.test(rest) && existsSync(join(subjectsDir, rest, 'surf'))) {
        return subjectSet(join(subjectsDir, rest), ref, rest)
      }
    }
    throw new B2mError(
      'not_found',
      `unknown surface set "${ref}" (known: ${this.ids().join(', ')}; a FreeSurfer subject folder can be named as subject:<absolute path>)`
    )
  }
}
