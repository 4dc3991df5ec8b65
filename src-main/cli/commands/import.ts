import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import type { RunInfo } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { writeNpy } from '../../formats/npy'
import { openNifti } from '../../formats/nifti'
import { previewBids } from '../../formats/bids'
import { listRuns } from '../../import/queries'
import type { ImportResult } from '../../import/bids-import'
import { printJson, withCore } from '../context'
import { runJob } from '../run-job'

const runLine = (r: RunInfo) =>
  `${r.subject}${r.session ? ` ses-${r.session}` : ''}  task-${r.task} run-${r.run}  ${r.shape.join('x')} x ${r.volumes}  TR ${r.tr} s  ${r.events} events  ${r.voxels ?? '?'} voxels`

/** The issue's JSON shape for a subject's runs: {id, runs: [{task, run, shape, volumes, tr, events}]}. */
function subjectsJson(runs: RunInfo[]) {
  const bySubject = new Map<string, RunInfo[]>()
  for (const r of runs) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r])
  return [...bySubject].map(([id, list]) => ({
    id,
    runs: list.map((r) => ({
      task: r.task,
      run: r.run,
      session: r.session,
      shape: r.shape,
      volumes: r.volumes,
      tr: r.tr,
      events: r.events,
      voxels: r.voxels
    }))
  }))
}

export function registerImport(program: Command): void {
  program
    .command('import <bids-dir>')
    .description('import a BIDS data set: every run streamed, masked and catalogued (one transaction)')
    .option('--subject <label...>', 'only these subjects')
    .option('--mask <nifti>', 'a brain mask in the runs’ grid (default: from the mean EPI)')
    .option('--preview', 'list what would be imported and every warning, import nothing')
    .option('--json', 'print JSON')
    .action(
      async (
        dir: string,
        opts: { subject?: string[]; mask?: string; preview?: boolean; json?: boolean },
        cmd: Command
      ) => {
        const path = resolve(dir)
        if (opts.preview) {
          const preview = await previewBids(path)
          if (opts.json) return printJson(preview)
          for (const s of preview.subjects)
            for (const r of s.runs)
              process.stdout.write(
                `${r.importable ? 'ok ' : 'ERR'} ${s.id} task-${r.task} run-${r.run ?? '-'} ${r.shape?.join('x') ?? '?'} x ${r.volumes ?? '?'} TR ${r.tr ?? '?'} ${r.events} events\n`
              )
          for (const w of preview.warnings) process.stderr.write(`warning: ${w}\n`)
          for (const e of preview.errors) process.stderr.write(`error: ${e}\n`)
          return
        }
        const job = await runJob(
          cmd,
          {
            kind: 'import.bids',
            params: {
              path,
              ...(opts.subject ? { subjects: opts.subject } : {}),
              ...(opts.mask ? { mask: resolve(opts.mask) } : {})
            }
          },
          { quiet: opts.json }
        )
        const result = job.result as ImportResult
        const out = {
          subjects: result.subjects.map((s) => ({
            id: s.id,
            maskVoxels: s.maskVoxels,
            runs: s.runs.map((r) => ({
              task: r.task,
              run: r.run,
              session: r.session,
              shape: r.shape,
              volumes: r.volumes,
              tr: r.tr,
              events: r.events,
              ...(r.skipped ? { skipped: r.skipped } : {})
            }))
          })),
          warnings: result.warnings
        }
        if (opts.json) return printJson(out)
        for (const s of out.subjects)
          process.stdout.write(`${s.id}: ${s.runs.length} run(s), mask ${s.maskVoxels} voxels\n`)
      }
    )

  program
    .command('import-responses')
    .description('import preprocessed response arrays (e.g. Resp_Training.npy, Resp_Test_Mean.npy) with their mask')
    .requiredOption('--subject <label>', 'a new subject label')
    .requiredOption('--train <npy>', 'training responses')
    .requiredOption('--test <npy>', 'test responses (repeats averaged)')
    .requiredOption('--mask <nifti>', "the mask whose nonzero voxels are the arrays' voxels")
    .option('--layout <layout>', 'voxels-by-time (the circulating files) or time-by-voxels', 'voxels-by-time')
    .option('--tr <s>', 'repetition time', (v) => Number(v), 1.5)
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          subject: string
          train: string
          test: string
          mask: string
          layout: string
          tr: number
          json?: boolean
        },
        cmd: Command
      ) => {
        const job = await runJob(
          cmd,
          {
            kind: 'import.responses',
            params: {
              subject: opts.subject,
              train: resolve(opts.train),
              test: resolve(opts.test),
              mask: resolve(opts.mask),
              layout: opts.layout as 'voxels-by-time' | 'time-by-voxels',
              tr: opts.tr
            }
          },
          { quiet: opts.json }
        )
        if (opts.json) return printJson(job.result)
        const r = job.result as { train: number[]; test: number[] }
        process.stdout.write(
          `${opts.subject}: train ${r.train.join(' x ')}, test ${r.test.join(' x ')} (TRs x voxels)\n`
        )
      }
    )

  program
    .command('runs')
    .description('every imported run')
    .option('--subject <label>', 'only this subject')
    .option('--json', 'print JSON')
    .action(async (opts: { subject?: string; json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const runs = listRuns(core.workspace, opts.subject)
        if (opts.json) return printJson({ subjects: subjectsJson(runs) })
        process.stdout.write(runs.map(runLine).join('\n') + (runs.length ? '\n' : 'no runs imported yet\n'))
      })
    })

  program
    .command('preprocess')
    .description("detrend, z-score and align a subject's runs to clips: train/test response matrices")
    .requiredOption('--subject <label>', 'subject')
    .option('--shift <trs>', 'hemodynamic shift in TRs', (v) => Number(v), 3)
    .option('--delays <list>', 'FIR delays in TRs, e.g. 1,2,3,4 (instead of --shift)')
    .option('--detrend <spec>', 'median:<seconds>, poly:<order> or none', 'median:240')
    .option('--grid <grid>', 'clip (one row per clip) or windows', 'clip')
    .option('--window <s>', 'window length for --grid windows', (v) => Number(v), 10)
    .option('--step <s>', 'window step for --grid windows', (v) => Number(v), 1.5)
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          subject: string
          shift: number
          delays?: string
          detrend: string
          grid: string
          window: number
          step: number
          json?: boolean
        },
        cmd: Command
      ) => {
        const delays = opts.delays ? opts.delays.split(',').map((d) => Number(d)) : undefined
        const job = await runJob(
          cmd,
          {
            kind: 'preprocess',
            params: {
              subject: opts.subject,
              shift: opts.shift,
              ...(delays ? { delays } : {}),
              detrend: opts.detrend,
              grid: opts.grid as 'clip' | 'windows',
              window: opts.window,
              step: opts.step
            }
          },
          { quiet: opts.json }
        )
        if (opts.json) return printJson(job.result)
        const r = job.result as { id: number; train: number[]; test: number[] }
        process.stdout.write(`preprocessing ${r.id}: train ${r.train.join(' x ')}, test ${r.test.join(' x ')}\n`)
      }
    )

  const exp = program.command('export').description('write catalogued data out as files numpy reads')
  exp
    .command('run')
    .description('the scaled 4D data of a run as float32 (X, Y, Z, T) .npy')
    .requiredOption('--subject <label>', 'subject')
    .requiredOption('--task <task>', 'task')
    .requiredOption('--run <n>', 'run number', (v) => Number(v))
    .requiredOption('--out <file.npy>', 'output file')
    .action(async (opts: { subject: string; task: string; run: number; out: string }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const run = listRuns(core.workspace, opts.subject).find((r) => r.task === opts.task && r.run === opts.run)
        if (!run) throw new B2mError('not_found', `no run ${opts.run} of task ${opts.task} for ${opts.subject}`)
        const reader = await openNifti(run.sourcePath)
        const [X, Y, Z] = run.shape
        const T = reader.header.volumes
        // (X, Y, Z, T) in C order from volumes stored x fastest: element (x,y,z,t) at ((x*Y + y)*Z + z)*T + t.
        const out = new Float32Array(X * Y * Z * T)
        let t = 0
        for await (const vol of reader) {
          for (let z = 0; z < Z; z++)
            for (let y = 0; y < Y; y++)
              for (let x = 0; x < X; x++) out[((x * Y + y) * Z + z) * T + t] = vol[x + X * (y + Y * z)]
          t++
        }
        const file = resolve(opts.out)
        mkdirSync(dirname(file), { recursive: true })
        writeNpy(file, { dtype: 'float32', shape: [X, Y, Z, T], data: out })
        process.stdout.write(`${file}: float32 (${X}, ${Y}, ${Z}, ${T})\n`)
      })
    })
  exp
    .command('responses')
    .description("a subject's latest preprocessed responses: train.npy, test.npy and samples JSON")
    .requiredOption('--subject <label>', 'subject')
    .requiredOption('--out <dir>', 'output folder')
    .option('--id <n>', 'a given preprocessing (default: the newest)', (v) => Number(v))
    .action(async (opts: { subject: string; out: string; id?: number }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const cat = core.workspace.catalogue
        const subj = cat.subjects.getByLabel(opts.subject)
        if (!subj) throw new B2mError('not_found', `no subject ${opts.subject}`)
        const rec = opts.id ? cat.preprocessing.get(opts.id) : cat.preprocessing.listBySubject(subj.id)[0]
        if (!rec || rec.subjectId !== subj.id)
          throw new B2mError('not_found', `${opts.subject} has no such preprocessing (run b2m preprocess)`)
        const dir = resolve(opts.out)
        mkdirSync(dir, { recursive: true })
        writeNpy(join(dir, 'train.npy'), core.workspace.readArray(rec.trainArrayId!, { verify: true }))
        writeNpy(join(dir, 'test.npy'), core.workspace.readArray(rec.testArrayId!, { verify: true }))
        writeFileSync(
          join(dir, 'samples.json'),
          JSON.stringify(
            { preprocessing: rec.id, params: rec.params, train: rec.trainSamples, test: rec.testSamples },
            null,
            1
          )
        )
        process.stdout.write(`${dir}: train.npy, test.npy, samples.json\n`)
      })
    })
}
