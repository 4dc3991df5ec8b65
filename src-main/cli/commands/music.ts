import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import type { FeaturesComputeResult, LibraryAddResult, StimuliAttachResult } from '../../../src-preload/api'
import { ExtractorSpec } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { decodeAudio } from '../../formats/audio'
import { writeNpy } from '../../formats/npy'
import { embedAudio } from '../../features'
import {
  findFeatureSet,
  findLibrary,
  libraryItems,
  listFeatureSets,
  listLibraries,
  listStimuli,
  openExtractor
} from '../../music'
import { printJson, withCore, workspaceOf } from '../context'
import { runJob } from '../run-job'

const num = (v: string) => Number(v)

function extractorOption(v: string): string {
  const r = ExtractorSpec.safeParse(v)
  if (!r.success) throw new B2mError('bad_request', `--extractor ${v}: ${r.error.issues[0]?.message ?? 'invalid'}`)
  return r.data
}

export function registerMusic(program: Command): void {
  program
    .command('embed <audio>')
    .description('embed one audio file on windows (any format: WAV, FLAC, MP3, Ogg, Sun .au)')
    .option('--extractor <name>', 'builtin, clap or onnx:<model folder under models/>', 'builtin')
    .option('--window <s>', 'window length in seconds', num, 10)
    .option('--step <s>', 'step between windows in seconds', num, 1.5)
    .option('--json', 'print {"dim":D,"windows":[[...],...]}')
    .action(
      async (file: string, opts: { extractor: string; window: number; step: number; json?: boolean }, cmd: Command) => {
        const spec = extractorOption(opts.extractor)
        if (!(opts.window > 0) || !(opts.step > 0))
          throw new B2mError('bad_request', '--window and --step must be positive numbers of seconds')
        const path = resolve(file)
        const audio = await decodeAudio(path)
        const opened = await openExtractor(spec, workspaceOf(cmd))
        try {
          const emb = await embedAudio(opened.extractor, audio, { window: opts.window, step: opts.step })
          const windows: number[][] = []
          for (let w = 0; w < emb.times.length; w++)
            windows.push(Array.from(emb.data.subarray(w * emb.dim, (w + 1) * emb.dim)))
          if (opts.json)
            return printJson({
              dim: emb.dim,
              extractor: opened.extractor.name,
              window: emb.window,
              starts: Array.from(emb.times),
              windows
            })
          process.stdout.write(
            `${path}: ${windows.length} window(s) of ${emb.window} s, ${emb.dim} dimensions (${opened.extractor.name})\n`
          )
        } finally {
          await opened.dispose()
        }
      }
    )

  const stimuli = program.command('stimuli').description('the stimuli of the imported runs and their audio')
  stimuli
    .command('attach <gtzan-folder>')
    .description('cut every stimulus excerpt from a GTZAN-like folder (genre/genre.000TT.wav|au) into the workspace')
    .option('--replace', 'cut again the stimuli that already have audio')
    .option('--json', 'print JSON')
    .action(async (folder: string, opts: { replace?: boolean; json?: boolean }, cmd: Command) => {
      const job = await runJob(
        cmd,
        { kind: 'stimuli.attach', params: { folder: resolve(folder), replace: opts.replace === true } },
        { quiet: opts.json }
      )
      const r = job.result as StimuliAttachResult
      if (opts.json) return printJson(r)
      process.stdout.write(`${r.attached} attached, ${r.skipped} already there, ${r.missing.length} missing\n`)
      for (const m of r.missing)
        process.stdout.write(`missing ${m.key}: ${m.reason}${m.expected ? ` (${m.expected})` : ''}\n`)
    })
  stimuli
    .command('ls')
    .description('every stimulus: genre, track, excerpt, audio present, presentations')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = listStimuli(core.workspace)
        if (opts.json) return printJson(list)
        for (const s of list)
          process.stdout.write(
            `${s.audio ? 'audio' : '-    '}  ${s.key.padEnd(24)} ${s.role.padEnd(5)} ${s.occurrences}x  ${s.start ?? '?'}-${s.end ?? '?'} s\n`
          )
        if (list.length === 0) process.stdout.write('no stimuli yet: import a data set with events\n')
      })
    })

  const features = program.command('features').description('feature sets: per-window embeddings of the stimuli')
  features
    .command('compute')
    .description('embed every stimulus with audio; z-score (and PCA) fitted on the training stimuli')
    .requiredOption('--set <name>', 'name of the new feature set')
    .option('--extractor <name>', 'builtin, clap or onnx:<model folder under models/>', 'builtin')
    .option('--window <s>', 'window length in seconds (15 with --step 15: whole clips)', num, 10)
    .option('--step <s>', 'step between windows in seconds', num, 1.5)
    .option('--pca <k>', 'keep k principal components (e.g. 128)', num)
    .option('--no-normalise', 'store the raw embeddings (no z-score, no PCA)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          set: string
          extractor: string
          window: number
          step: number
          pca?: number
          normalise: boolean
          json?: boolean
        },
        cmd: Command
      ) => {
        const job = await runJob(
          cmd,
          {
            kind: 'features.compute',
            params: {
              name: opts.set,
              extractor: extractorOption(opts.extractor),
              window: opts.window,
              step: opts.step,
              ...(opts.pca !== undefined ? { pca: opts.pca } : {}),
              normalise: opts.normalise
            }
          },
          { quiet: opts.json }
        )
        const r = job.result as FeaturesComputeResult
        if (opts.json) return printJson(r)
        process.stdout.write(`feature set ${r.id} "${r.name}": ${r.rows} rows x ${r.dim} from ${r.stimuli} stimuli\n`)
      }
    )
  features
    .command('ls')
    .description('every feature set')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = listFeatureSets(core.workspace)
        if (opts.json) return printJson(list)
        for (const s of list)
          process.stdout.write(
            `${s.id}  ${s.name}  ${s.extractor}  ${s.rows} x ${s.dim}  ${s.stimuli} stimuli  window ${String(s.params.window)} / ${String(s.params.step)} s${s.pca ? `  pca ${s.pca}` : ''}\n`
          )
        if (list.length === 0) process.stdout.write('no feature sets yet (b2m features compute)\n')
      })
    })
  features
    .command('export')
    .description('a feature set as float32 (rows x dim) .npy, with its row records beside it (<out>.rows.json)')
    .requiredOption('--set <name>', 'feature set name (or id)')
    .requiredOption('--out <file.npy>', 'output file')
    .action(async (opts: { set: string; out: string }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const ws = core.workspace
        const ref =
          /^\d+$/.test(opts.set) && !ws.catalogue.featureSets.getByName(opts.set) ? Number(opts.set) : opts.set
        const set = findFeatureSet(ws, ref)
        const arr = ws.readArray(set.arrayId!, { verify: true })
        const file = resolve(opts.out)
        mkdirSync(dirname(file), { recursive: true })
        writeNpy(file, arr)
        const rowsFile = file.replace(/\.npy$/i, '') + '.rows.json'
        writeFileSync(
          rowsFile,
          JSON.stringify(
            {
              featureSet: set.id,
              name: set.name,
              extractor: set.extractor,
              params: set.params,
              rows: ws.catalogue.featureSets.rows(set.id)
            },
            null,
            1
          )
        )
        process.stdout.write(`${file}: float32 (${arr.shape.join(', ')}); rows in ${rowsFile}\n`)
      })
    })

  const library = program.command('library').description('music libraries: embeddings of every file of a folder')
  library
    .command('add <dir>')
    .description(
      'scan a folder recursively, embed the first seconds of every audio file (re-scans skip unchanged files)'
    )
    .option('--name <name>', 'library name (default: the folder’s name, or the library already made from it)')
    .option('--extractor <name>', 'builtin, clap or onnx:<model folder under models/>', 'builtin')
    .option('--seconds <s>', 'embed the first this many seconds', num, 15)
    .option('--window <s>', 'average windows of this length instead of one window over the seconds', num)
    .option('--json', 'print JSON')
    .action(
      async (
        dir: string,
        opts: { name?: string; extractor: string; seconds: number; window?: number; json?: boolean },
        cmd: Command
      ) => {
        const job = await runJob(
          cmd,
          {
            kind: 'library.add',
            params: {
              folder: resolve(dir),
              ...(opts.name !== undefined ? { name: opts.name } : {}),
              extractor: extractorOption(opts.extractor),
              seconds: opts.seconds,
              ...(opts.window !== undefined ? { window: opts.window } : {})
            }
          },
          { quiet: opts.json }
        )
        const r = job.result as LibraryAddResult
        if (opts.json) return printJson(r)
        process.stdout.write(
          `library ${r.id} "${r.name}": ${r.files} files, ${r.embedded} embedded, ${r.unchanged} unchanged, ${r.removed} removed, ${r.unreadableTotal} unreadable\n`
        )
        for (const u of r.unreadable) process.stdout.write(`unreadable: ${u.error}\n`)
      }
    )
  library
    .command('ls')
    .description('every library')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = listLibraries(core.workspace)
        if (opts.json) return printJson(list)
        for (const l of list)
          process.stdout.write(
            `${l.id}  ${l.name}  ${l.root}  ${l.embedded}/${l.items} embedded  ${l.unreadable} unreadable  ${l.extractor} ${l.dim ?? '?'}-d\n`
          )
        if (list.length === 0) process.stdout.write('no libraries yet (b2m library add DIR)\n')
      })
    })
  library
    .command('items <name>')
    .description("a page of a library's items")
    .option('--offset <n>', 'first item', num, 0)
    .option('--limit <n>', 'items per page (max 1000)', num, 100)
    .option('--unreadable', 'only the unreadable files')
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        opts: { offset: number; limit: number; unreadable?: boolean; json?: boolean },
        cmd: Command
      ) => {
        await withCore(cmd, { runJobs: false }, async (core) => {
          const lib = findLibrary(core.workspace, name)
          const page = libraryItems(core.workspace, lib.id, opts.offset, Math.min(1000, opts.limit), opts.unreadable)
          if (opts.json) return printJson(page)
          for (const i of page.items)
            process.stdout.write(`${i.row ?? '-'}\t${i.path}\t${i.genre ?? ''}\t${i.error ?? ''}\n`)
        })
      }
    )
}
