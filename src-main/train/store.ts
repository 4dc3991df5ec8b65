/** The models catalogue as the contract shows it: list, detail (curves, histograms, evaluation), delete. */
import { unlinkSync } from 'node:fs'
import { GenreGeneralisation, PermutationEvaluation, type ModelDetail, type ModelInfo } from '../../src-preload/api'
import { ModelsRepo, type ModelRecord } from '../catalogue/models'
import { B2mError } from '../common/errors'
import type { Workspace } from '../workspace'
import { analysisEvaluation, removeModelFiles, testEvaluation } from './common'

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

function info(m: ModelRecord): ModelInfo {
  const s = m.summary
  return {
    id: m.id,
    subject: m.subject,
    kind: m.kind,
    name: m.name,
    featureSet: m.featureSet,
    params: m.params,
    createdAt: m.createdAt,
    trainRows: num(s.trainRows) ?? 0,
    testRows: num(s.testRows) ?? 0,
    targets: num(s.targets) ?? 0,
    meanTestR: num(s.meanTestR),
    identification: num(s.identification)
  }
}

export function listModels(ws: Workspace, subject?: string): ModelInfo[] {
  return new ModelsRepo(ws.catalogue.db).list(subject).map(info)
}

export function modelRecord(ws: Workspace, id: number): ModelRecord {
  const rec = new ModelsRepo(ws.catalogue.db).get(id)
  if (!rec) throw new B2mError('not_found', `no model ${id}`)
  return rec
}

/** Histogram of r over [-1, 1] in bins of 0.05 (NaN left out). */
export function rHistogram(r: ArrayLike<number>): { edges: number[]; counts: number[] } {
  const bins = 40
  const edges = Array.from({ length: bins + 1 }, (_, i) => Math.round((-1 + (2 * i) / bins) * 1000) / 1000)
  const counts = new Array<number>(bins).fill(0)
  for (let i = 0; i < r.length; i++) {
    const v = r[i]
    if (!Number.isFinite(v)) continue
    counts[Math.min(bins - 1, Math.max(0, Math.floor(((v + 1) / 2) * bins)))]++
  }
  return { edges, counts }
}

export function getModel(ws: Workspace, id: number): ModelDetail {
  const rec = modelRecord(ws, id)
  const s = rec.summary
  const repo = new ModelsRepo(ws.catalogue.db)
  const ev = testEvaluation(repo, id)
  let evaluation: ModelDetail['evaluation'] = null
  let voxelRHistogram: ModelDetail['voxelRHistogram'] = null
  if (rec.kind === 'decoder' && ev && typeof ev.metrics.identification === 'number' && ev.arrays.matrix) {
    const m = ev.metrics
    evaluation = {
      identification: m.identification as number,
      perSample: m.perSample as number[],
      chance: 0.5,
      oracle: num(m.oracle),
      perGenre: m.perGenre as { genre: string; accuracy: number; n: number }[],
      stimulusIds: m.stimulusIds as number[],
      stimulusKeys: m.stimulusKeys as string[],
      genres: m.genres as string[],
      matrix: Array.from(ws.readArray(ev.arrays.matrix).data as Float64Array),
      n: m.n as number
    }
  }
  if (rec.kind === 'encoder' && ev?.arrays.r !== undefined)
    voxelRHistogram = rHistogram(ws.readArray(ev.arrays.r).data as Float32Array)
  const map = ws.catalogue.maps.list().find((mp) => mp.modelId === id)
  // analyses stored beside the test evaluation (eval.genres, eval.permutation): the latest of each
  const gg = rec.kind === 'decoder' ? analysisEvaluation(repo, id, 'genre-generalisation') : undefined
  const pt = rec.kind === 'encoder' ? analysisEvaluation(repo, id, 'clip-permutation') : undefined
  const genreGeneralisation = gg && GenreGeneralisation.safeParse({ ...gg.metrics, evaluationId: gg.id })
  const permutationTest = pt && PermutationEvaluation.safeParse({ ...pt.metrics, evaluationId: pt.id })
  return {
    ...info(rec),
    provenance: rec.provenance,
    alphas: (s.alphas as number[]) ?? [],
    cvCurve: (s.cvCurve as number[]) ?? [],
    alphaCounts: (s.alphaCounts as number[]) ?? [],
    edgeWarning: typeof s.edgeWarning === 'string' ? s.edgeWarning : null,
    // JSON keeps an undefined r (a constant column) as null; it shows as 0, no correlation
    testRPerDim: rec.kind === 'decoder' ? ((s.testRPerDim as (number | null)[]) ?? []).map((v) => v ?? 0) : null,
    voxelRHistogram,
    mapId: map?.id ?? null,
    evaluation,
    ...(genreGeneralisation?.success ? { genreGeneralisation: genreGeneralisation.data } : {}),
    ...(permutationTest?.success ? { permutationTest: permutationTest.data } : {})
  }
}

/** Deletes a model with its evaluations, maps, arrays and files, in one transaction. */
export function deleteModel(ws: Workspace, id: number): { deleted: true } {
  const rec = modelRecord(ws, id)
  const repo = new ModelsRepo(ws.catalogue.db)
  const paths = ws.catalogue.transaction(() => {
    const ids = repo.remove(id)
    const out: string[] = []
    for (const a of ids) {
      const arr = ws.catalogue.arrays.get(a)
      if (!arr) continue
      ws.catalogue.arrays.remove(a)
      out.push(ws.arrayPath(arr.relPath))
    }
    return out
  })
  for (const p of paths) {
    try {
      unlinkSync(p)
    } catch {
      // already gone; the catalogue no longer lists it
    }
  }
  removeModelFiles(ws, rec)
  return { deleted: true }
}
