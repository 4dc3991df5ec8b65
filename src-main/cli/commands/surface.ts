import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
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
  matrixCacheDir,
  readRegistration,
  surfaceLibrary,
  valueStats
} from '../../surface'
import { printJson, withCore } from '../context'

const METHODS = ['nearest', 'trilinear', 'line']
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
  const surface = program.command('surface').description('cortical surfaces: sets, volume -> surface mapping')

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
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { name?: string; set?: string; json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const info = await addMap(core.workspace, surfaceLibrary(), {
          path: resolve(path),
          name: opts.name,
          surfaceSet: opts.set
        })
        if (opts.json) printJson(info)
        else
          process.stdout.write(
            `map ${info.id}: ${info.name} (${info.kind}${info.surfaceSet ? `, ${info.surfaceSet}` : ''})\n`
          )
      })
    })

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

/** `b2m surface sets|map` and `b2m maps add|ls`. */
export function registerSurface(program: Command): void {
  registerSurfaceCommands(program)
  registerMapsCommands(program)
}
