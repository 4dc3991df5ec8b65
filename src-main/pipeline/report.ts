/**
 * `b2m report`: every number and figure of one subject in one self-contained HTML file — the data, the
 * latest decoder (CV curve, chosen alphas, identification against chance and oracle, per genre, the
 * identification matrix, per-dimension r), the latest encoding model (voxel-r histogram and the map on
 * the cortex when Chromium can render it), retrieval and generated clips with audio. Figures are inline
 * SVG; audio is copied beside the report (`<name>-files/`) so the folder can be moved or shared.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import type { DemoCheck, ModelDetail, ReportResult } from '../../src-preload/api'
import { B2mError } from '../common/errors'
import { APP_NAME, APP_VERSION } from '../common/version'
import type { Clip } from '../catalogue/clips'
import { listRuns } from '../import/queries'
import { getModel, listModels } from '../train'
import type { Workspace } from '../workspace'
import type { PipelineIo } from './stages'
import { barChart, heatmap, logLineChart } from './svg'

export interface ReportParams {
  subject: string
  out: string
  title?: string
  checks?: DemoCheck[]
  /** Render the encoding map on the cortex through Chromium (skipped with a note when it is absent). */
  screenshot?: boolean
  /** Test clips with audio in the report (default 10). */
  audioClips?: number
}

/** Renders a map on the cortex to a PNG; injected so the report does not depend on a browser. */
export type CortexShooter = (mapId: number, out: string) => Promise<void>

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3))

function table(head: string[], rows: (string | number)[][]): string {
  return (
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? f3(c) : c}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  )
}

function decoderSection(m: ModelDetail): string {
  const parts: string[] = [`<h2>Decoder ${m.id}: ${esc(m.name)}</h2>`]
  parts.push(
    `<p>fMRI → ${m.targets}-d embedding of feature set <b>${esc(m.featureSet)}</b>; ${m.trainRows} training and ${m.testRows} test samples; ridge with one alpha per dimension chosen by cross-validation.</p>`
  )
  if (m.evaluation) {
    const e = m.evaluation
    parts.push(
      `<p class="big">Identification accuracy <b>${f3(e.identification)}</b> (chance ${e.chance}${e.oracle !== null ? `, oracle ${f3(e.oracle)}` : ''}), mean test r per dimension ${f3(m.meanTestR)}</p>`
    )
    parts.push('<div class="figs">')
    parts.push(
      barChart(
        'Identification accuracy by genre',
        e.perGenre.map((g) => ({ label: g.genre, value: g.accuracy })),
        {
          yLabel: 'identification accuracy',
          min: 0,
          max: 1,
          hLines: [{ y: 0.5, label: 'chance' }, ...(e.oracle !== null ? [{ y: e.oracle, label: 'oracle' }] : [])]
        }
      )
    )
    parts.push(
      heatmap('Identification matrix: Pearson r of predicted i vs true j', e.matrix, e.n, {
        rowLabel: 'predicted (test clip)',
        colLabel: 'true (test clip)',
        labels: e.stimulusKeys
      })
    )
    parts.push(
      barChart(
        'Identification accuracy per test clip',
        e.perSample.map((v, i) => ({
          label: e.n <= 24 || i % 5 === 0 ? String(i + 1) : '',
          value: v,
          color: v >= 0.5 ? '#3b6ea8' : '#c0392b'
        })),
        { yLabel: 'id_i', xLabel: 'test clip', min: 0, max: 1, hLines: [{ y: 0.5, label: 'chance' }] }
      )
    )
    parts.push('</div>')
  }
  parts.push('<div class="figs">')
  parts.push(
    logLineChart(
      'Cross-validation score against alpha (cf. paper Fig. A.1)',
      m.alphas,
      [{ name: 'mean CV r over dimensions', values: m.cvCurve, color: '#3b6ea8' }],
      {
        xLabel: 'alpha',
        yLabel: 'mean CV Pearson r'
      }
    )
  )
  parts.push(
    barChart(
      'Chosen alpha per dimension',
      m.alphas.map((a, i) => ({ label: i % 4 === 0 ? `1e${Math.round(Math.log10(a))}` : '', value: m.alphaCounts[i] })),
      { yLabel: 'dimensions', xLabel: 'alpha' }
    )
  )
  if (m.testRPerDim)
    parts.push(
      barChart(
        'Test correlation per embedding dimension',
        m.testRPerDim.map((r, i) => ({ label: i % 8 === 0 ? String(i) : '', value: r })),
        { yLabel: 'Pearson r', xLabel: 'dimension' }
      )
    )
  parts.push('</div>')
  if (m.edgeWarning) parts.push(`<p class="warn">${esc(m.edgeWarning)}</p>`)
  return parts.join('\n')
}

/** The decoder's genre generalisation (eval.genres), when one was run: held-out vs full decoder per genre. */
function genreGeneralisationSection(m: ModelDetail): string {
  const g = m.genreGeneralisation
  if (!g) return ''
  const bars = g.genres.flatMap((r) => [
    { label: r.genre, value: r.heldOut.identification ?? NaN, color: '#c07a2b' },
    { label: '', value: r.full.identification ?? NaN, color: '#3b6ea8' }
  ])
  return (
    `<h3>Genre generalisation</h3><p>The decoder retrained without each genre (same voxels, alphas and folds), its predictions of that genre's test clips identified against all ${g.n} test clips' true embeddings (chance ${g.chance}). Bars: held-out genre (orange) beside the full decoder (blue). "Centred" subtracts each retrained decoder's training-mean embedding, which leaving a genre out moves away from that genre.</p>` +
    `<div class="figs">${barChart('Identification of held-out genres', bars, {
      yLabel: 'identification accuracy',
      min: 0,
      max: 1,
      hLines: [{ y: 0.5, label: 'chance' }]
    })}</div>` +
    table(
      ['genre', 'clips', 'held out', 'held out, centred', 'full decoder', 'mean r (held out)', 'mean r (full)'],
      [
        ...g.genres.map((r) => [
          esc(r.genre),
          String(r.n),
          f3(r.heldOut.identification),
          f3(r.centred.identification),
          f3(r.full.identification),
          f3(r.heldOut.meanR),
          f3(r.full.meanR)
        ]),
        [
          '<b>all clips</b>',
          String(g.n),
          f3(g.heldOut.identification),
          f3(g.centred.identification),
          f3(g.full.identification),
          f3(g.heldOut.meanR),
          f3(g.full.meanR)
        ],
        [
          '<b>mean of genres</b>',
          '',
          f3(g.heldOut.meanOverGenres),
          f3(g.centred.meanOverGenres),
          f3(g.full.meanOverGenres),
          '',
          ''
        ]
      ]
    )
  )
}

function encoderSection(m: ModelDetail, shot: string | null, shotNote: string | null): string {
  const parts = [`<h2>Encoding model ${m.id}: ${esc(m.name)}</h2>`]
  parts.push(
    `<p>Embedding of feature set <b>${esc(m.featureSet)}</b> → ${m.targets} voxels, one alpha per voxel; held-out Pearson r on the test clips, mean ${f3(m.meanTestR)}.</p>`
  )
  parts.push('<div class="figs">')
  if (m.voxelRHistogram) {
    const h = m.voxelRHistogram
    parts.push(
      barChart(
        'Held-out r over voxels',
        h.counts.map((c, i) => ({ label: i % 5 === 0 ? h.edges[i].toFixed(2) : '', value: c })),
        { yLabel: 'voxels', xLabel: 'Pearson r' }
      )
    )
  }
  parts.push(
    logLineChart(
      'Cross-validation score against alpha',
      m.alphas,
      [{ name: 'mean CV r over voxels', values: m.cvCurve, color: '#3b6ea8' }],
      {
        xLabel: 'alpha',
        yLabel: 'mean CV Pearson r'
      }
    )
  )
  parts.push('</div>')
  if (shot)
    parts.push(
      `<figure><img src="${esc(shot)}" alt="held-out r on the cortex" width="900"><figcaption>Held-out prediction accuracy (r) on fsaverage5, lateral view.</figcaption></figure>`
    )
  else if (shotNote) parts.push(`<p class="note">${esc(shotNote)}</p>`)
  if (m.edgeWarning) parts.push(`<p class="warn">${esc(m.edgeWarning)}</p>`)
  return parts.join('\n')
}

const STYLE = `body{font:14px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1200px;color:#1d1d1f;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f4f4f6}.figs{display:flex;flex-wrap:wrap;gap:1rem}.big{font-size:1.15rem}.warn{color:#a45a00}.note{color:#666}
.pass{color:#1a7f37;font-weight:600}.fail{color:#c0392b;font-weight:600}audio{height:28px;width:220px}`

export async function writeSubjectReport(
  ws: Workspace,
  p: ReportParams,
  io: PipelineIo,
  shooter?: CortexShooter
): Promise<ReportResult> {
  const subject = ws.catalogue.subjects.getByLabel(p.subject)
  if (!subject) throw new B2mError('not_found', `no subject ${p.subject} in the catalogue`)
  const out = resolve(p.out)
  if (extname(out).toLowerCase() !== '.html') throw new B2mError('bad_request', 'the report must be an .html file', out)
  const filesName = `${basename(out, extname(out))}-files`
  const tmpFiles = join(dirname(out), `.${filesName}.partial-${process.pid}`)
  mkdirSync(tmpFiles, { recursive: true })
  try {
    const models = listModels(ws, p.subject)
    const latest = (kind: 'decoder' | 'encoder') => models.filter((m) => m.kind === kind).sort((a, b) => b.id - a.id)[0]
    const decInfo = latest('decoder')
    const encInfo = latest('encoder')
    const dec = decInfo ? getModel(ws, decInfo.id) : null
    const enc = encInfo ? getModel(ws, encInfo.id) : null
    io.progress(0.1, 'collecting results')

    let shot: string | null = null
    let shotNote: string | null = null
    if (enc?.mapId != null && p.screenshot !== false) {
      if (!shooter) shotNote = 'No cortex screenshot: no renderer was available to this run.'
      else {
        io.progress(0.2, 'rendering the cortex')
        try {
          await shooter(enc.mapId, join(tmpFiles, 'cortex.png'))
          shot = `${filesName}/cortex.png`
        } catch (err) {
          shotNote = `No cortex screenshot: ${(err as Error).message}`
          io.log('warn', shotNote)
        }
      }
    }

    io.progress(0.6, 'copying audio')
    const sections: string[] = []
    const runs = listRuns(ws, p.subject)
    sections.push(
      `<h2>Data</h2>` +
        table(
          ['task', 'run', 'volumes', 'TR (s)', 'grid', 'voxels', 'events'],
          runs.map((r) => [
            esc(r.task),
            String(r.run),
            String(r.volumes),
            String(r.tr),
            r.shape.join(' × '),
            String(r.voxels ?? '–'),
            String(r.events)
          ])
        )
    )
    if (p.checks?.length)
      sections.unshift(
        `<h2>Self-checks against the simulation's ground truth</h2>` +
          table(
            ['check', 'result', 'value', 'needs', 'detail'],
            p.checks.map((c) => [
              esc(c.name),
              c.passed ? '<span class="pass">passed</span>' : '<span class="fail">FAILED</span>',
              c.value,
              `≥ ${c.threshold}`,
              esc(c.detail)
            ])
          )
      )
    if (dec) sections.push(decoderSection(dec) + genreGeneralisationSection(dec))
    else sections.push('<h2>Decoder</h2><p class="note">No decoder trained for this subject yet.</p>')
    if (enc) sections.push(encoderSection(enc, shot, shotNote))
    if (dec) sections.push(clipsSection(ws, dec, tmpFiles, filesName, p.audioClips ?? 10))

    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(p.title ?? `${APP_NAME} report`)} — ${esc(p.subject)}</title><style>${STYLE}</style></head><body>
<h1>${esc(p.title ?? `${APP_NAME} report`)} — ${esc(p.subject)}</h1>
<p class="note">${APP_NAME} ${APP_VERSION}; workspace ${esc(ws.root)}. Method after Denk et al. (2023), "Brain2Music: Reconstructing Music from Human Brain Activity".</p>
${sections.join('\n')}
</body></html>
`
    io.progress(0.9, 'writing')
    mkdirSync(dirname(out), { recursive: true })
    const finalFiles = join(dirname(out), filesName)
    rmSync(finalFiles, { recursive: true, force: true })
    renameSync(tmpFiles, finalFiles)
    writeFileSync(`${out}.partial`, html)
    renameSync(`${out}.partial`, out)
    return {
      path: out,
      oracle: dec?.evaluation?.oracle ?? null,
      cortexShot: shot ? join(finalFiles, 'cortex.png') : null,
      decoderId: dec?.id ?? null,
      encoderId: enc?.id ?? null
    }
  } catch (err) {
    rmSync(tmpFiles, { recursive: true, force: true })
    throw err
  }
}

/** Per test clip: the original, the retrieved library clips and the generated ones, playable. */
function clipsSection(ws: Workspace, dec: ModelDetail, files: string, filesName: string, maxAudio: number): string {
  const clips = ws.catalogue.clips.list({ model: dec.id })
  if (clips.length === 0)
    return '<h2>Retrieval and generation</h2><p class="note">No clips decoded from this model yet.</p>'
  const byStimulus = new Map<number, Clip[]>()
  for (const c of clips)
    if (c.stimulusId !== null) byStimulus.set(c.stimulusId, [...(byStimulus.get(c.stimulusId) ?? []), c])
  const stimuli = new Map(ws.catalogue.stimuli.list().map((s) => [s.id, s]))
  const copy = (src: string, name: string): string | null => {
    if (!existsSync(src)) return null
    copyFileSync(src, join(files, name))
    return `${filesName}/${name}`
  }
  const audio = (href: string | null) => (href ? `<audio controls preload="none" src="${esc(href)}"></audio>` : '')
  const rows: string[][] = []
  let withAudio = 0
  for (const [sid, cs] of byStimulus) {
    const s = stimuli.get(sid)
    const play = withAudio < maxAudio
    if (play) withAudio++
    const orig =
      play && s?.audioPath ? copy(join(ws.root, s.audioPath), `stimulus-${sid}${extname(s.audioPath)}`) : null
    const retrieved = cs
      .filter((c) => c.method === 'retrieval')
      .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
      .map((c) => {
        const href =
          play && c.rank === 1 && c.item
            ? copy(join(c.item.root, c.item.path), `retrieved-${c.id}${extname(c.item.path)}`)
            : null
        return `${c.rank}. ${esc(c.item?.genre ?? '?')} <small>${esc(c.item?.path ?? '')} (${f3(c.score)})</small> ${audio(href)}`
      })
      .join('<br>')
    const generated = cs
      .filter((c) => c.method !== 'retrieval')
      .map((c) => {
        const href = play && c.audioPath ? copy(join(ws.root, c.audioPath), `generated-${c.id}.flac`) : null
        return `${esc(c.method)} ${audio(href)}`
      })
      .join('<br>')
    rows.push([`${esc(s?.key ?? String(sid))}<br>${esc(s?.genre ?? '')} ${audio(orig)}`, retrieved, generated])
  }
  return `<h2>Retrieval and generation</h2><p>Each test clip's predicted embedding, looked up in the music library (cosine similarity, top ${Math.max(...clips.map((c) => c.rank ?? 0))}) and rendered by the generators. Audio for the first ${withAudio} clips.</p>${table(['test clip (original)', 'retrieved', 'generated'], rows)}`
}
