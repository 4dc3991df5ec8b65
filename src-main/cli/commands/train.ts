import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import type { Job, ModelInfo, TrainDecoderResult, TrainEncodingResult, VoxelSelection } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { type NdArray, readNpy, writeNpy } from '../../formats/npy'
import { SessionManager } from '../../onnx/sessions'
import { type RidgeFitResult, loadRidgeModel, ridgeFit, ridgePredict, saveRidgeModel } from '../../ridge'
import { decoderOnnx, getModel, listModels, modelRecord } from '../../train'
import { APP_VERSION } from '../../common/version'
import { printJson, withCore } from '../context'
import { jobProgress } from '../progress'
import { runJob } from '../run-job'

function numberList(flag: string, v: string): number[] {
  const out = v.split(',').map((s) => Number(s.trim()))
  if (out.length === 0 || out.some((x) => !Number.isFinite(x)))
    throw new B2mError('bad_request', `${flag} ${v}: a comma-separated list of numbers, e.g. 0.1,1,10`)
  return out
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new B2mError('bad_request', `${flag} ${v}: a positive integer`)
  return n
}

/** A 2-D .npy as float32 (other float/int dtypes converted), shape named with the file on errors. */
function readMatrix(file: string, what: string): { data: Float32Array; shape: [number, number] } {
  const path = resolve(file)
  if (!existsSync(path)) throw new B2mError('not_found', `${what} file not found`, path)
  const arr: NdArray = readNpy(path)
  if (arr.shape.length !== 2)
    throw new B2mError(
      'bad_request',
      `${what} must be a 2-D array (samples x columns), found shape (${arr.shape.join(', ')})`,
      path
    )
  if (arr.dtype === 'bool') throw new B2mError('bad_request', `${what} holds booleans, not numbers`, path)
  const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data as ArrayLike<number>)
  return { data, shape: [arr.shape[0], arr.shape[1]] }
}

/** A progress bar for in-process work, drawn like a job's. */
function localProgress(title: string) {
  const bar = jobProgress(title)
  return {
    update: (progress: number, message: string) => bar.update({ progress, message } as Job),
    stop: () => bar.stop()
  }
}

/** --selection all | roi:<labels.nii.gz>[:k] | encoding:<threshold> */
export function parseSelection(v: string): VoxelSelection {
  if (v === 'all') return { kind: 'all' }
  if (v.startsWith('encoding:')) {
    const t = Number(v.slice('encoding:'.length))
    if (!Number.isFinite(t) || t < -1 || t > 1)
      throw new B2mError('bad_request', `--selection ${v}: encoding:<r threshold in [-1, 1]>, e.g. encoding:0.1`)
    return { kind: 'encoding', threshold: t }
  }
  if (v.startsWith('roi:')) {
    const rest = v.slice('roi:'.length)
    const m = /^(.*\.nii(?:\.gz)?)(?::(\d+))?$/i.exec(rest)
    if (!m)
      throw new B2mError('bad_request', `--selection ${v}: roi:<labels.nii.gz>[:top k], e.g. roi:destrieux.nii.gz:6`)
    return { kind: 'roi', labels: resolve(m[1]), top: m[2] ? Number(m[2]) : 6 }
  }
  throw new B2mError('bad_request', `--selection ${v}: use all, roi:<labels.nii.gz>[:k] or encoding:<threshold>`)
}

function summaryOf(fit: RidgeFitResult, samples: number, seconds: number) {
  const counts = new Map<number, number>()
  for (const a of fit.bestAlphas) counts.set(a, (counts.get(a) ?? 0) + 1)
  return {
    samples,
    features: fit.nFeatures,
    targets: fit.nTargets,
    form: fit.form,
    folds: fit.nFolds,
    alphaGrid: Array.from(fit.alphas),
    chosen: Array.from(fit.alphas, (a) => counts.get(a) ?? 0),
    warnings: fit.warnings,
    seconds
  }
}

export function registerTrain(program: Command): void {
  const ridge = program.command('ridge').description('ridge regression with one alpha per target chosen by K-fold CV')
  ridge
    .command('fit')
    .description('fit X (samples x features) -> Y (samples x targets); writes weights, intercept, alphas, cv_scores')
    .requiredOption('--x <file>', 'X .npy (samples x features)')
    .requiredOption('--y <file>', 'Y .npy (samples x targets)')
    .requiredOption('--out <dir>', 'model folder to write (replaced if it exists)')
    .option('--alphas <list>', 'comma-separated alphas (default logspace(-2, 10, 25))')
    .option('--folds <k>', 'contiguous CV folds', '5')
    .option('--groups <file>', 'group label per sample (.npy): leave-one-group-out instead of K folds')
    .option('--json', 'print a JSON summary')
    .action(
      async (opts: {
        x: string
        y: string
        out: string
        alphas?: string
        folds: string
        groups?: string
        json?: boolean
      }) => {
        const x = readMatrix(opts.x, 'X')
        const y = readMatrix(opts.y, 'Y')
        if (x.shape[0] !== y.shape[0])
          throw new B2mError(
            'bad_request',
            `X (${resolve(opts.x)}) has ${x.shape[0]} samples but Y (${resolve(opts.y)}) has ${y.shape[0]}`
          )
        let groups: Int32Array | undefined
        if (opts.groups) {
          const g = readNpy(resolve(opts.groups))
          if (g.shape.length !== 1 || g.shape[0] !== x.shape[0])
            throw new B2mError(
              'bad_request',
              `groups must be 1-D with one label per sample (${x.shape[0]}), found shape (${g.shape.join(', ')})`,
              resolve(opts.groups)
            )
          groups = Int32Array.from(g.data as ArrayLike<number>, Number)
        }
        const alphas = opts.alphas ? numberList('--alphas', opts.alphas) : undefined
        const sessions = new SessionManager()
        const bar = localProgress('ridge fit')
        const t0 = performance.now()
        try {
          const fit = await ridgeFit(x.data, x.shape, y.data, y.shape, {
            alphas,
            folds: positiveInt('--folds', opts.folds),
            groups,
            sessions,
            onProgress: (f, m) => bar.update(f, m)
          })
          bar.stop()
          const out = resolve(opts.out)
          saveRidgeModel(out, fit, { x: resolve(opts.x), y: resolve(opts.y), codeVersion: APP_VERSION })
          const summary = { ...summaryOf(fit, x.shape[0], (performance.now() - t0) / 1000), out }
          for (const w of fit.warnings) process.stderr.write(`[warn] ${w}\n`)
          if (opts.json) return printJson(summary)
          process.stdout.write(
            `${out}: ${summary.features} features -> ${summary.targets} targets (${fit.form} form, ${fit.nFolds} folds) in ${summary.seconds.toFixed(2)} s\n`
          )
        } finally {
          bar.stop()
          await sessions.dispose()
        }
      }
    )
  ridge
    .command('predict')
    .description('predict with a model folder: P = X·W + intercept')
    .requiredOption('--model <dir>', 'model folder written by ridge fit')
    .requiredOption('--x <file>', 'X .npy (samples x features)')
    .requiredOption('--out <file>', 'predictions .npy to write (samples x targets, float32)')
    .option('--json', 'print a JSON summary')
    .action(async (opts: { model: string; x: string; out: string; json?: boolean }) => {
      const model = loadRidgeModel(resolve(opts.model))
      const x = readMatrix(opts.x, 'X')
      if (x.shape[1] !== model.nFeatures)
        throw new B2mError(
          'bad_request',
          `X has ${x.shape[1]} features but the model in ${resolve(opts.model)} expects ${model.nFeatures}`,
          resolve(opts.x)
        )
      const sessions = new SessionManager()
      try {
        const p = await ridgePredict(model, x.data, x.shape, sessions)
        const out = resolve(opts.out)
        mkdirSync(dirname(out), { recursive: true })
        writeNpy(out, { dtype: 'float32', shape: [x.shape[0], model.nTargets], data: p })
        if (opts.json) return printJson({ out, samples: x.shape[0], targets: model.nTargets })
        process.stdout.write(`${out}: ${x.shape[0]} x ${model.nTargets}\n`)
      } finally {
        await sessions.dispose()
      }
    })

  const train = program.command('train').description('train per-subject decoders and encoding models (worker jobs)')
  const common = (c: Command) =>
    c
      .requiredOption('--subject <label>', 'subject, e.g. sub-001')
      .requiredOption('--feature-set <name|id>', 'feature set (name or id)')
      .option('--preprocessing <id>', "preprocessing id (default: the subject's latest)")
      .option('--alphas <list>', 'comma-separated alphas (default logspace(-2, 10, 25))')
      .option('--folds <k>', 'CV folds (default 5)')
      .option('--name <name>', 'model name')
      .option('--seed <n>', 'seed recorded with the model')
      .option('--json', 'print JSON')
  interface CommonOpts {
    subject: string
    featureSet: string
    preprocessing?: string
    alphas?: string
    folds?: string
    name?: string
    seed?: string
    json?: boolean
  }
  const base = (o: CommonOpts) => ({
    subject: o.subject,
    featureSet: /^\d+$/.test(o.featureSet) ? Number(o.featureSet) : o.featureSet,
    ...(o.preprocessing ? { preprocessing: positiveInt('--preprocessing', o.preprocessing) } : {}),
    ...(o.alphas ? { alphas: numberList('--alphas', o.alphas) } : {}),
    ...(o.folds ? { folds: positiveInt('--folds', o.folds) } : {}),
    ...(o.name ? { name: o.name } : {}),
    ...(o.seed !== undefined ? { seed: Number(o.seed) } : {})
  })
  common(train.command('decoder'))
    .description('fMRI -> embedding: ridge per embedding dimension, evaluated on the test clips')
    .option('--selection <spec>', 'voxels: all | roi:<labels.nii.gz>[:k] | encoding:<threshold>', 'all')
    .action(async (opts: CommonOpts & { selection: string }, cmd: Command) => {
      const job = await runJob(
        cmd,
        { kind: 'train.decoder', params: { ...base(opts), selection: parseSelection(opts.selection) } },
        { quiet: opts.json }
      )
      const r = job.result as TrainDecoderResult
      if (opts.json) return printJson(r)
      process.stdout.write(
        `decoder ${r.modelId}: identification ${r.identification?.toFixed(3) ?? 'n/a'} (chance 0.5), mean test r ${r.meanTestR?.toFixed(3) ?? 'n/a'}\n`
      )
    })
  common(train.command('encoding'))
    .description('embedding -> every voxel: held-out r per voxel, saved as .npy, NIfTI and a cortex map')
    .option('--delays <list>', 'FIR delays in TRs, e.g. 1,2,3,4 (needs a preprocessing made with them)')
    .action(async (opts: CommonOpts & { delays?: string }, cmd: Command) => {
      const delays = opts.delays ? numberList('--delays', opts.delays) : undefined
      const job = await runJob(
        cmd,
        { kind: 'train.encoding', params: { ...base(opts), ...(delays ? { delays } : {}) } },
        { quiet: opts.json }
      )
      const r = job.result as TrainEncodingResult
      if (opts.json) return printJson(r)
      process.stdout.write(
        `encoding model ${r.modelId}: mean held-out r ${r.meanTestR?.toFixed(3) ?? 'n/a'}; map ${r.mapId ?? '-'}\n`
      )
    })

  const models = program.command('models').description('trained models')
  models
    .command('list')
    .alias('ls')
    .description('every trained model')
    .option('--subject <label>', 'only this subject')
    .option('--json', 'print JSON')
    .action(async (opts: { subject?: string; json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list: ModelInfo[] = listModels(core.workspace, opts.subject)
        if (opts.json) return printJson(list)
        for (const m of list)
          process.stdout.write(
            `${String(m.id).padStart(4)}  ${m.subject}  ${m.kind.padEnd(7)}  ${m.name.padEnd(28)}  ` +
              `id ${m.identification?.toFixed(3) ?? '  -  '}  r ${m.meanTestR?.toFixed(3) ?? '-'}\n`
          )
        if (list.length === 0) process.stdout.write('no models yet: b2m train decoder|encoding\n')
      })
    })
  models
    .command('show <id>')
    .description('one model: parameters, provenance, CV curve, evaluation')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const d = getModel(core.workspace, positiveInt('model id', id))
        if (opts.json) return printJson(d)
        process.stdout.write(
          `${d.kind} ${d.id} "${d.name}" (${d.subject}, feature set ${d.featureSet}, ${d.createdAt})\n` +
            `  rows: ${d.trainRows} train, ${d.testRows} test; targets ${d.targets}\n` +
            `  mean test r ${d.meanTestR?.toFixed(3) ?? '-'}; identification ${d.identification?.toFixed(3) ?? '-'}\n` +
            `  chosen alphas: ${d.alphas
              .map((a, i) => (d.alphaCounts[i] ? `${a}:${d.alphaCounts[i]}` : ''))
              .filter(Boolean)
              .join(' ')}\n` +
            (d.edgeWarning ? `  warning: ${d.edgeWarning}\n` : '') +
            (d.mapId !== null ? `  map ${d.mapId}\n` : '')
        )
      })
    })
  models
    .command('export-onnx <id>')
    .description('a decoder as an ONNX model (centring and weights in the graph) for onnxruntime in Python')
    .requiredOption('--out <file>', 'the .onnx file to write (or a folder: decoder-<id>.onnx in it)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { out: string; json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const rec = modelRecord(core.workspace, positiveInt('model id', id))
        const bytes = decoderOnnx(core.workspace, rec)
        let out = resolve(opts.out)
        if (existsSync(out) && statSync(out).isDirectory()) out = join(out, `decoder-${rec.id}.onnx`)
        mkdirSync(dirname(out), { recursive: true })
        writeFileSync(out, bytes)
        const r = {
          out,
          bytes: bytes.length,
          input: { name: 'responses', shape: ['n', rec.summary.columns] },
          output: { name: 'embedding', shape: ['n', rec.summary.targets] }
        }
        if (opts.json) return printJson(r)
        process.stdout.write(
          `${out}: responses [n, ${String(rec.summary.columns)}] -> embedding [n, ${String(rec.summary.targets)}]\n`
        )
      })
    })
}
