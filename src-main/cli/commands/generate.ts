import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import type { Command } from 'commander'
import type { GenerateClipsResult } from '../../../src-preload/api'
import { GenerateMethod } from '../../../src-preload/api'
import { B2mError } from '../../common/errors'
import { exportClips, generatedProvenance, listClips } from '../../decode/clips'
import { createGenerator } from '../../decode/generators'
import { identificationAccuracy, CHANCE_IDENTIFICATION } from '../../evaluate'
import { encodeFlac, encodeWav } from '../../formats/audio'
import { type NdArray, readNpy } from '../../formats/npy'
import { findLibrary } from '../../music'
import { removeQuietly } from '../../music/files'
import { printJson, withCore } from '../context'
import { runJob } from '../run-job'

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v)
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new B2mError('bad_request', `${name} must be an integer >= ${min}, got "${v}"`)
  return n
}
const positive = (name: string) => (v: string) => {
  const n = Number(v)
  if (!(n > 0)) throw new B2mError('bad_request', `${name} must be a positive number, got "${v}"`)
  return n
}

/** A float matrix from an .npy: [D] is one row; float32 and float64 accepted. */
function readFloatMatrix(
  file: string,
  what: string
): { data: Float32Array | Float64Array; rows: number; cols: number } {
  const arr: NdArray = readNpy(file)
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64')
    throw new B2mError('bad_request', `${what} must be float32 or float64, found ${arr.dtype}`, file)
  if (arr.shape.length !== 1 && arr.shape.length !== 2)
    throw new B2mError(
      'bad_request',
      `${what} must be 1-D [dim] or 2-D [rows, dim], found shape (${arr.shape.join(', ')})`,
      file
    )
  const [rows, cols] = arr.shape.length === 1 ? [1, arr.shape[0]] : arr.shape
  return { data: arr.data as Float32Array | Float64Array, rows, cols }
}

function sidecarPath(out: string): string {
  const ext = extname(out)
  return (ext ? out.slice(0, -ext.length) : out) + '.json'
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'music from an embedding (--embedding E.npy) or from every test clip of a decoder (--model M, catalogued in the workspace)'
    )
    .option('--embedding <file.npy>', 'float32/float64 [dim] or [rows, dim], in the library’s embedding space')
    .option('--row <i>', 'which row of --embedding', int('--row', 0), 0)
    .option(
      '--model <id>',
      'a decoder: generate for each of its test clips (the generate.clips job)',
      int('--model', 1)
    )
    .requiredOption('--method <m>', 'spectral, mosaic, onnx:<model folder under models/> or musicgen')
    .requiredOption('--library <name>', 'the music library the generator learns from or draws on')
    .option('--seed <n>', 'random seed (the same seed gives the same samples)', int('--seed', 0), 0)
    .option('--seconds <s>', 'length of the clip (with --embedding)', positive('--seconds'), 15)
    .option('--sample-rate <hz>', 'sample rate of the clip (with --embedding)', int('--sample-rate', 4000), 22050)
    .option(
      '--out <file>',
      'output audio (.flac or .wav) with --embedding; a JSON provenance sidecar is written beside it'
    )
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          embedding?: string
          row: number
          model?: number
          method: string
          library: string
          seed: number
          seconds: number
          sampleRate: number
          out?: string
          json?: boolean
        },
        cmd: Command
      ) => {
        const m = GenerateMethod.safeParse(opts.method)
        if (!m.success) throw new B2mError('bad_request', `--method ${opts.method}: ${m.error.issues[0]?.message}`)
        const library = /^\d+$/.test(opts.library) ? Number(opts.library) : opts.library
        if (opts.model !== undefined) {
          if (opts.embedding !== undefined || opts.out !== undefined)
            throw new B2mError('bad_request', '--model generates into the workspace: leave out --embedding and --out')
          const job = await runJob(
            cmd,
            { kind: 'generate.clips', params: { model: opts.model, method: m.data, library, seed: opts.seed } },
            { quiet: opts.json }
          )
          const r = job.result as GenerateClipsResult
          if (opts.json) return printJson(r)
          process.stdout.write(`${r.clips.length} clip(s) generated: ids ${r.clips.join(', ')} (b2m clips list)\n`)
          return
        }
        if (opts.embedding === undefined || opts.out === undefined)
          throw new B2mError('bad_request', 'give --embedding E.npy and --out clip.flac (or --model M)')
        const embFile = resolve(opts.embedding)
        const out = resolve(opts.out)
        const format = extname(out).toLowerCase()
        if (format !== '.flac' && format !== '.wav')
          throw new B2mError('bad_request', '--out must end in .flac or .wav', out)
        const mat = readFloatMatrix(embFile, 'the embedding')
        if (opts.row >= mat.rows)
          throw new B2mError(
            'bad_request',
            `--row ${opts.row} is outside the ${mat.rows} row(s) of the embedding`,
            embFile
          )
        const embedding = Float32Array.from(mat.data.subarray(opts.row * mat.cols, (opts.row + 1) * mat.cols))
        await withCore(cmd, { runJobs: false }, async (core) => {
          const lib = findLibrary(core.workspace, library)
          const gen = await createGenerator(core.workspace, m.data, lib, { sessions: core.sessions })
          try {
            const samples = await gen.generate(embedding, {
              seed: opts.seed,
              seconds: opts.seconds,
              sampleRate: opts.sampleRate
            })
            const provenance = {
              ...generatedProvenance(
                {
                  samples,
                  sampleRate: opts.sampleRate,
                  modelId: null,
                  stimulusId: null,
                  stimulusKey: null,
                  libraryId: lib.id,
                  method: m.data,
                  seed: opts.seed,
                  embedding,
                  provenance: gen.describe()
                },
                lib.name
              ),
              embeddingFile: {
                path: embFile,
                row: opts.row,
                sha256: createHash('sha256').update(readFileSync(embFile)).digest('hex')
              },
              libraryEmbeddingsSha256: core.workspace.arrayRecord(lib.arrayId!).sha256
            }
            const audio = { sampleRate: opts.sampleRate, channels: [samples] }
            const bytes = format === '.flac' ? encodeFlac(audio) : encodeWav(audio)
            const sidecar = sidecarPath(out)
            const json = { audio: out, ...provenance }
            mkdirSync(dirname(out), { recursive: true })
            // both files or neither
            try {
              writeFileSync(`${out}.part`, bytes)
              writeFileSync(`${sidecar}.part`, JSON.stringify(json, null, 2) + '\n')
              renameSync(`${out}.part`, out)
              renameSync(`${sidecar}.part`, sidecar)
            } catch (err) {
              removeQuietly(`${out}.part`)
              removeQuietly(`${sidecar}.part`)
              throw new B2mError('failed', `cannot write the clip: ${(err as Error).message}`, out)
            }
            if (opts.json) return printJson({ out, sidecar, ...provenance })
            process.stdout.write(
              `${out}: ${opts.seconds} s at ${opts.sampleRate} Hz (${m.data}, seed ${opts.seed}); provenance in ${sidecar}\n`
            )
          } finally {
            await gen.dispose()
          }
        })
      }
    )

  const evaluate = program.command('eval').description('evaluation of predicted embeddings')
  evaluate
    .command('identification')
    .description('identification accuracy (Denk et al. 2023, Eq. 2) of predicted vs true embeddings, rows paired')
    .requiredOption('--pred <P.npy>', 'predicted embeddings [n, d]')
    .requiredOption('--true <T.npy>', 'true embeddings [n, d]')
    .option('--json', 'print {"identification_accuracy": x, "per_sample": [...], "chance": 0.5, "n": n}')
    .action(async (opts: { pred: string; true: string; json?: boolean }, cmd: Command) => {
      const pFile = resolve(opts.pred)
      const tFile = resolve(opts.true)
      const p = readFloatMatrix(pFile, 'the predicted embeddings')
      const t = readFloatMatrix(tFile, 'the true embeddings')
      if (p.rows !== t.rows || p.cols !== t.cols)
        throw new B2mError(
          'bad_request',
          `shape mismatch: ${pFile} is [${p.rows}, ${p.cols}] but ${tFile} is [${t.rows}, ${t.cols}]; rows must pair clip by clip`
        )
      await withCore(cmd, { runJobs: false }, async (core) => {
        let r
        try {
          r = await identificationAccuracy(core.sessions, p.data, t.data, p.rows, p.cols)
        } catch (err) {
          if (err instanceof B2mError) throw new B2mError(err.code, `${err.message} (${pFile}, ${tFile})`)
          throw err
        }
        const result = {
          identification_accuracy: r.accuracy,
          per_sample: Array.from(r.perSample),
          chance: CHANCE_IDENTIFICATION,
          n: r.n
        }
        if (opts.json) return printJson(result)
        process.stdout.write(
          `identification accuracy ${r.accuracy.toFixed(4)} over ${r.n} clips (chance ${CHANCE_IDENTIFICATION})\n`
        )
      })
    })

  const clips = program
    .command('clips')
    .description('clips decoded from predicted embeddings (retrieved and generated)')
  clips
    .command('list')
    .alias('ls')
    .description('every clip, or those of one model / stimulus')
    .option('--model <id>', 'only this model’s clips', int('--model', 1))
    .option('--stimulus <id>', 'only this stimulus’s clips', int('--stimulus', 1))
    .option('--json', 'print JSON')
    .action(async (opts: { model?: number; stimulus?: number; json?: boolean }, cmd: Command) => {
      await withCore(cmd, { runJobs: false }, async (core) => {
        const list = listClips(core.workspace, {
          ...(opts.model !== undefined ? { model: opts.model } : {}),
          ...(opts.stimulus !== undefined ? { stimulus: opts.stimulus } : {})
        })
        if (opts.json) return printJson(list)
        for (const c of list)
          process.stdout.write(
            `${c.id}\t${c.modelId ?? '-'}\t${c.stimulusKey ?? '-'}\t${c.method}${c.rank !== null ? ` #${c.rank}` : ''}\t${c.score !== null ? c.score.toFixed(3) : ''}\t${c.genre ?? ''}\t${c.audio ? 'audio' : 'no audio'}\n`
          )
        if (list.length === 0) process.stdout.write('no clips (b2m decode, b2m generate --model)\n')
      })
    })
  clips
    .command('export')
    .description('clips as audio files, each with a JSON provenance sidecar')
    .requiredOption('--ids <list>', 'comma-separated clip ids')
    .requiredOption('--out <folder>', 'where to write them')
    .option('--format <f>', 'wav or flac', 'flac')
    .option('--json', 'print JSON')
    .action(async (opts: { ids: string; out: string; format: string; json?: boolean }, cmd: Command) => {
      if (opts.format !== 'wav' && opts.format !== 'flac')
        throw new B2mError('bad_request', `--format must be wav or flac, got "${opts.format}"`)
      const ids = opts.ids.split(',').map((s) => int('--ids', 1)(s.trim()))
      await withCore(cmd, { runJobs: false }, async (core) => {
        const r = await exportClips(core.workspace, ids, opts.format as 'wav' | 'flac', resolve(opts.out))
        if (opts.json) return printJson(r)
        for (const f of r.files) process.stdout.write(`clip ${f.clipId}: ${f.path} (+ ${f.sidecar})\n`)
      })
    })
}
