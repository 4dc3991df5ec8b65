import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import { Core } from '../../api/core'
import { mapInfo } from '../../catalogue'
import { B2mError } from '../../common/errors'
import { readNifti } from '../../formats/nifti'
import { writeNpy } from '../../formats/npy'
import {
  type ProjectionOptions,
  type SamplingMethod,
  type SamplingSurface,
  addMap,
  applyMatrix,
  hemiFromName,
  matrixCacheDir,
  readRegistration,
  surfaceLibrary,
  valueStats
} from '../../surface'
import { FIGURE_HEMIS, FIGURE_KINDS, FIGURE_VIEWS, checkFigureSetup, renderFigure } from '../../server/figure'
import { printJson, withCore, workspaceOf } from '../context'

const METHODS = ['nearest', 'trilinear', 'line']

function parseLevel(v: string): number {
  const q = Number(v)
  if (!(q > 0 && q < 1)) throw new B2mError('bad_request', `--q must be a number in (0, 1), got "${v}"`)
  return q
}
const SAMPLE_AT = ['white', 'pial', 'midthickness']

interface MapOpts {
  volume: string
  surface: string
  method: string
  pial?: string
  at?: string
  reg?: string
  samples?: number
  out?: string
  json?: boolean
}

/** `<set>:<lh|rh>:<kind>` (read from the right, so a `subject:/path` set may hold colons), or null. */
function parseSetSpec(spec: string): { set: string; hemi: 'lh' | 'rh'; kind: string } | null {
  const m = /^(.+):(lh|rh):([a-z]+)$/.exec(spec)
  if (!m || existsSync(spec)) return null
  return { set: m[1], hemi: m[2] as 'lh' | 'rh', kind: m[3] }
}

function registerSurfaceCommands(program: Command): void {
  const surface = program.command('surface').description('cortical surfaces: sets, volume -> surface mapping, figures')
  registerRenderCommand(surface)

  surface
    .command('sets')
    .description('the surface sets: the shipped fsaverage5 template, and subject sets')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const sets = surfaceLibrary().sets()
      if (opts.json) return printJson(sets)
      const lines = sets.map(
        (s) =>
          `${s.id.padEnd(14)} ${s.nVertices.lh} + ${s.nVertices.rh} vertices; ${s.kinds.join(', ')}; ` +
          `${s.measures.join(', ')}; annotations: ${s.annotations.join(', ') || 'none'}`
      )
      process.stdout.write(lines.join('\n') + '\n')
    })

  surface
    .command('map')
    .description('sample a 3D NIfTI volume at every vertex of a surface (float32 per vertex, NaN outside)')
    .requiredOption('--volume <file>', 'NIfTI volume (.nii or .nii.gz), one 3D image')
    .requiredOption(
      '--surface <surface>',
      'a surface file (GIfTI, FreeSurfer lh.white, MZ3) or <set>:<lh|rh>:<white|pial|midthickness>, e.g. fsaverage5:lh:white'
    )
    .option('--method <method>', 'nearest, trilinear or line (mean of samples from white to pial)', 'trilinear')
    .option('--pial <file>', 'pial surface file (line sampling and mid-thickness with a surface file)')
    .option(
      '--at <where>',
      'with a surface file and --pial: sample at white (the --surface file), pial or midthickness'
    )
    .option('--reg <file>', 'registration: 4x4 text matrix (surface mm -> volume mm), FreeSurfer register.dat or .lta')
    .option('--samples <n>', 'points per vertex for line sampling', (v) => Number.parseInt(v, 10), 10)
    .option('--out <file>', 'write the values as a float32 .npy')
    .option('--json', 'print a JSON summary')
    .action(async (opts: MapOpts, cmd: Command) => {
      if (!METHODS.includes(opts.method))
        throw new B2mError('bad_request', `--method must be one of ${METHODS.join(', ')}, got "${opts.method}"`)
      if (opts.at !== undefined && !SAMPLE_AT.includes(opts.at))
        throw new B2mError('bad_request', `--at must be one of ${SAMPLE_AT.join(', ')}, got "${opts.at}"`)
      const volumePath = resolve(opts.volume)
      if (!existsSync(volumePath)) throw new B2mError('not_found', 'volume file not found', volumePath)
      await withCore(cmd, { runJobs: false }, async (core) => {
        const lib = surfaceLibrary()
        const { header, data } = await readNifti(volumePath)
        if (header.volumes !== 1)
          throw new B2mError(
            'bad_request',
            `has ${header.volumes} volumes; surface map samples one 3D volume`,
            volumePath
          )
        const grid = { shape: header.shape, affine: header.affine }
        const projection: ProjectionOptions = {
          method: opts.method as SamplingMethod,
          registration: opts.reg ? readRegistration(resolve(opts.reg)) : null,
          samples: opts.samples,
          cacheDir: matrixCacheDir(core.workspace)
        }
        const started = performance.now()
        const spec = parseSetSpec(opts.surface)
        let matrix
        if (spec) {
          if (!SAMPLE_AT.includes(spec.kind))
            throw new B2mError(
              'bad_request',
              `--surface ${opts.surface}: volumes are sampled at white, pial or midthickness, not ${spec.kind}`
            )
          matrix = lib.setMatrix(spec.set, spec.hemi, grid, { ...projection, surface: spec.kind as SamplingSurface })
        } else {
          if (opts.at === 'pial' && !opts.pial) throw new B2mError('bad_request', '--at pial needs --pial <file>')
          matrix =
            opts.at === 'pial' && opts.method !== 'line'
              ? lib.fileMatrix(resolve(opts.pial!), null, grid, { ...projection, surface: 'white' })
              : lib.fileMatrix(resolve(opts.surface), opts.pial ? resolve(opts.pial) : null, grid, {
                  ...projection,
                  surface: (opts.at ?? 'white') as SamplingSurface
                })
        }
        const built = performance.now()
        const values = applyMatrix(matrix, data)
        const stats = valueStats(values)
        const out = opts.out ? resolve(opts.out) : null
        if (out) writeNpy(out, { dtype: 'float32', shape: [values.length], data: values })
        const summary = {
          vertices: values.length,
          finite: stats.finite,
          nan: stats.nan,
          min: stats.finite ? stats.min : null,
          max: stats.finite ? stats.max : null,
          method: opts.method,
          nonzeros: matrix.cols.length,
          matrixMs: Math.round((built - started) * 10) / 10,
          out
        }
        if (opts.json) printJson(summary)
        else
          process.stdout.write(
            `${summary.vertices} vertices: ${summary.finite} values (${summary.min} .. ${summary.max}), ${summary.nan} NaN` +
              (out ? ` -> ${out}` : '') +
              '\n'
          )
      })
    })
}

function registerMapsCommands(program: Command): void {
  const maps = program.command('maps').description('cortical maps: NIfTI volumes and per-vertex values')

  maps
    .command('add <path>')
    .description('register a NIfTI volume, or per-vertex values (.npy lh then rh, GIfTI func/shape, FreeSurfer curv)')
    .option('--name <name>', 'a name (default: the file name)')
    .option('--set <set>', 'the surface set per-vertex values belong to (default: the one whose vertex count fits)')
    .option(
      '--pvalues <file>',
      'p-values, one per voxel/vertex (NIfTI on the same grid, .npy, or a per-vertex file): adds an FDR mask'
    )
    .option('--q <level>', 'FDR level of the significance mask (Benjamini-Hochberg)', parseLevel, 0.05)
    .option('--json', 'print JSON')
    .action(
      async (
        path: string,
        opts: { name?: string; set?: string; pvalues?: string; q: number; json?: boolean },
        cmd: Command
      ) => {
        await withCore(cmd, { runJobs: false }, async (core) => {
          const info = await addMap(core.workspace, surfaceLibrary(), {
            path: resolve(path),
            name: opts.name,
            surfaceSet: opts.set,
            pvalues: opts.pvalues ? resolve(opts.pvalues) : undefined,
            q: opts.q
          })
          if (opts.json) printJson(info)
          else {
            const sig = info.significance
            process.stdout.write(
              `map ${info.id}: ${info.name} (${info.kind}${info.surfaceSet ? `, ${info.surfaceSet}` : ''})` +
                (sig ? `; FDR q<${sig.q}: ${sig.significant} of ${sig.tests} significant` : '') +
                '\n'
            )
          }
        })
      }
    )

  maps
    .command('ls')
    .description('the maps of the workspace')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = core.workspace.catalogue.maps.list().map(mapInfo)
        if (opts.json) return printJson(list)
        process.stdout.write(
          list.map((m) => `${m.id}\t${m.kind}\t${m.name}\t${m.surfaceSet ?? ''}\t${m.sourcePath ?? ''}`).join('\n') +
            (list.length ? '\n' : '')
        )
      })
    })
}

interface RenderOpts {
  map: string
  surface: string
  kind?: string
  view: string
  hemi?: string
  method: string
  cmap?: string
  vmin?: number
  vmax?: number
  threshold?: number
  pvalues?: string
  q: number
  fdr?: boolean
  width: number
  height: number
  out: string
  json?: boolean
}

function choice(name: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value))
    throw new B2mError('bad_request', `--${name} must be one of ${allowed.join(', ')}, got "${value}"`)
}

function numberOption(name: string): (v: string) => number {
  return (v) => {
    const x = Number(v)
    if (v.trim() === '' || !Number.isFinite(x))
      throw new B2mError('bad_request', `--${name} must be a number, got "${v}"`)
    return x
  }
}

/** The other hemisphere's file of a surface file, by the hemisphere token in its name (lh/rh, hemi-L/R, left/right, .L./.R.). */
function partnerOf(file: string): { hemi: 'lh' | 'rh'; partner: string } | null {
  const hemi = hemiFromName(file)
  if (!hemi) return null
  const name = basename(file)
  const other = (t: string, a: string, b: string): string => {
    const to = t.toLowerCase() === a ? b : a
    return t[0] === t[0].toUpperCase() ? to[0].toUpperCase() + to.slice(1) : to
  }
  const swaps: [RegExp, (m: string) => string][] = [
    [/(^|[._-])(lh|rh)(?=[._-]|$)/i, (m) => m.replace(/lh|rh/i, (t) => other(t, 'lh', 'rh'))],
    [/hemi-[LR](?=[._-]|$)/, (m) => (m.endsWith('L') ? 'hemi-R' : 'hemi-L')],
    [/(^|[._-])(left|right)(?=[._-]|$)/i, (m) => m.replace(/left|right/i, (t) => other(t, 'left', 'right'))],
    [/\.[LR]\./, (m) => (m === '.L.' ? '.R.' : '.L.')]
  ]
  for (const [re, swap] of swaps) {
    if (!re.test(name)) continue
    const partner = join(dirname(file), name.replace(re, swap))
    if (partner !== file && existsSync(partner)) return { hemi, partner }
  }
  return null
}

/**
 * --surface as a set: a set id (fsaverage5, subject:<label|path>), a FreeSurfer subject folder, one
 * hemisphere's file of a subject (<subject>/surf/lh.pial: the folder becomes the set, the file names the
 * kind and hemisphere), or a surface file whose other-hemisphere partner lies beside it
 * (sub-01_hemi-L_pial.surf.gii + hemi-R): the pair becomes a one-surface set.
 */
function surfaceSpec(spec: string): { set: string; kind: string | null; hemi: 'lh' | 'rh' | null } {
  const lib = surfaceLibrary()
  if (!existsSync(spec)) return { set: lib.set(spec).id, kind: null, hemi: null }
  const file = resolve(spec)
  if (statSync(file).isDirectory()) return { set: lib.registerSubject(file).id, kind: null, hemi: null }
  const m = /^(lh|rh)\.(pial|white|inflated|pial\.T1)$/.exec(basename(file))
  if (m && basename(dirname(file)) === 'surf') {
    const kind = m[2] === 'pial.T1' ? 'pial' : m[2]
    return { set: lib.registerSubject(dirname(dirname(file))).id, kind, hemi: m[1] as 'lh' | 'rh' }
  }
  const pair = partnerOf(file)
  if (!pair)
    throw new B2mError(
      'bad_request',
      'a surface file is drawn with its other hemisphere: put the partner beside it (lh/rh, hemi-L/hemi-R, left/right or .L./.R. in the names), ' +
        'or give a FreeSurfer subject folder, or a surface set such as fsaverage5',
      file
    )
  const files = pair.hemi === 'lh' ? { lh: file, rh: pair.partner } : { lh: pair.partner, rh: file }
  // One surface per hemisphere: it sits in the set's white slot (see fileSet); draw the file's own side.
  return { set: lib.registerFiles(files).id, kind: 'white', hemi: null }
}

function registerRenderCommand(surface: Command): void {
  surface
    .command('render')
    .description('draw a map on a surface set to a PNG (headless Chromium through the browser face)')
    .requiredOption(
      '--map <file|id>',
      'a NIfTI volume, per-vertex values (.npy lh then rh, GIfTI, curv), or the id of a map in the workspace'
    )
    .option(
      '--surface <set|file>',
      'fsaverage5, subject:<label|path>, a FreeSurfer subject folder or its surf/lh.pial',
      'fsaverage5'
    )
    .option(
      '--kind <kind>',
      `surface drawn: ${FIGURE_KINDS.join(', ')} (default the --surface file's, else inflated where the set has it)`
    )
    .option('--view <view>', FIGURE_VIEWS.join(', '), 'lateral')
    .option('--hemi <hemi>', "both, lh or rh (default both, or the --surface file's)")
    .option('--method <method>', 'volume -> surface sampling: nearest, trilinear or line', 'trilinear')
    .option('--cmap <name>', 'viridis, inferno, magma, hot, RdBu_r, coolwarm, gray (default: by the data)')
    .option('--vmin <x>', 'colour scale low end', numberOption('vmin'))
    .option('--vmax <x>', 'colour scale high end', numberOption('vmax'))
    .option('--threshold <x>', 'hide values below (|values| below, for diverging colormaps)', numberOption('threshold'))
    .option('--pvalues <file>', 'with a map file: its p-values (for --fdr)')
    .option('--q <level>', 'FDR level for --pvalues', parseLevel, 0.05)
    .option('--fdr', 'colour only FDR-significant vertices (the map must carry p-values)')
    .option('--width <px>', 'PNG width', (v) => Number.parseInt(v, 10), 1600)
    .option('--height <px>', 'PNG height', (v) => Number.parseInt(v, 10), 1000)
    .requiredOption('--out <file.png>', 'where to write the PNG')
    .option('--json', 'print a JSON summary')
    .action(async (opts: RenderOpts, cmd: Command) => {
      const started = performance.now()
      choice('view', opts.view, FIGURE_VIEWS)
      choice('method', opts.method, METHODS)
      if (opts.hemi !== undefined) choice('hemi', opts.hemi, FIGURE_HEMIS)
      if (opts.kind !== undefined) choice('kind', opts.kind, FIGURE_KINDS)
      // Chromium, the built renderer, the size and --out first: nothing starts when one is missing.
      const setup = checkFigureSetup({ width: opts.width, height: opts.height, out: opts.out })
      const surf = surfaceSpec(opts.surface)
      const byId = /^\d+$/.test(opts.map) && !existsSync(opts.map)
      if (byId && opts.pvalues)
        throw new B2mError('bad_request', '--pvalues goes with a map file; a workspace map carries its own')
      // A map file is drawn from a scratch workspace, so a figure never adds to the user's catalogue.
      const scratch = byId ? null : mkdtempSync(join(tmpdir(), 'b2m-render-'))
      const core = Core.open(scratch ? join(scratch, 'ws') : workspaceOf(cmd), { face: 'cli', runJobs: false })
      try {
        let mapId: number
        if (byId) {
          mapId = Number(opts.map)
          if (!core.workspace.catalogue.maps.get(mapId))
            throw new B2mError('not_found', `no map ${mapId} in the workspace ${core.workspace.root}`)
        } else {
          const info = await addMap(core.workspace, surfaceLibrary(), {
            path: resolve(opts.map),
            surfaceSet: surf.set,
            pvalues: opts.pvalues ? resolve(opts.pvalues) : undefined,
            q: opts.q
          })
          mapId = info.id
        }
        const prepared = performance.now()
        const r = await renderFigure(core, {
          mapId,
          set: surf.set,
          out: setup.out,
          width: opts.width,
          height: opts.height,
          view: opts.view as (typeof FIGURE_VIEWS)[number],
          hemi: (opts.hemi ?? surf.hemi ?? 'both') as (typeof FIGURE_HEMIS)[number],
          kind: (opts.kind ?? surf.kind ?? undefined) as (typeof FIGURE_KINDS)[number] | undefined,
          method: opts.method as 'nearest' | 'trilinear' | 'line',
          cmap: opts.cmap,
          vmin: opts.vmin,
          vmax: opts.vmax,
          threshold: opts.threshold,
          fdr: opts.fdr
        })
        const summary = {
          ...r,
          set: surf.set,
          map: byId ? mapId : resolve(opts.map),
          ms: { ...r.ms, prepare: Math.round(prepared - started), total: Math.round(performance.now() - started) }
        }
        if (opts.json) printJson(summary)
        else process.stdout.write(`${r.out}: ${r.width}x${r.height} PNG in ${summary.ms.total} ms\n`)
      } finally {
        await core.close()
        if (scratch) rmSync(scratch, { recursive: true, force: true })
      }
    })
}

/** `b2m surface sets|map|render` and `b2m maps add|ls`. */
export function registerSurface(program: Command): void {
  registerSurfaceCommands(program)
  registerMapsCommands(program)
}
