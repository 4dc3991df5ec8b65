import type { Job } from '@contract'

const KIND_NAMES: Record<string, string> = {
  'compute.benchmark': 'Compute benchmark',
  'workspace.verify': 'Verify workspace',
  'import.bids': 'Import BIDS data set',
  'import.responses': 'Import response arrays',
  preprocess: 'Preprocess',
  'stimuli.attach': 'Attach stimulus audio',
  'features.compute': 'Compute feature set',
  'library.add': 'Add music library',
  'train.decoder': 'Train decoder',
  'train.encoding': 'Train encoding model'
}

export function jobKindName(kind: string): string {
  return KIND_NAMES[kind] ?? kind
}

const num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 })
export const fmtNumber = (n: number): string => num.format(n)

export function fmtPercent(fraction: number): string {
  return `${Math.floor(Math.max(0, Math.min(1, fraction)) * 100)}%`
}

/** One-line summary of a job's parameters, e.g. "512 × 512, 2000 repeats". */
export function jobParamsSummary(job: Job): string {
  const p = job.params
  if (job.kind === 'compute.benchmark') {
    const parts = [`${p.size} × ${p.size}`, `${p.repeats} repeats`]
    if (typeof p.provider === 'string') parts.push(p.provider.toUpperCase())
    return parts.join(', ')
  }
  const keys = Object.keys(p)
  if (keys.length === 0) return ''
  return keys.map((k) => `${k} ${JSON.stringify(p[k])}`).join(', ')
}

/** Short reading of a finished job's result, when it is one we know. */
export function jobResultSummary(job: Job): string | null {
  const r = job.result
  if (r === null || r === undefined) return null
  if (typeof r === 'object' && r) {
    const o = r as Record<string, unknown>
    if (typeof o.gflops === 'number') {
      const parts = [`${fmtNumber(o.gflops)} GFLOP/s`]
      if (typeof o.provider === 'string') parts[0] += ` on ${o.provider.toUpperCase()}`
      if (typeof o.peakGflops === 'number') parts.push(`peak ${fmtNumber(o.peakGflops)}`)
      if (typeof o.seconds === 'number') parts.push(`${fmtDuration(o.seconds * 1000)} of MatMul`)
      return parts.join(' · ')
    }
    const music = musicResultSummary(job.kind, o)
    if (music) return music
  }
  const text = JSON.stringify(r)
  return text.length > 160 ? text.slice(0, 157) + '…' : text
}

export function fmtTime(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const today = new Date()
  const sameDay = d.toDateString() === today.toDateString()
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour12: false })
    : d.toLocaleString(undefined, {
        hour12: false,
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit'
      })
}

export function fmtDate(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  const rest = Math.round(s - m * 60)
  if (m < 60) return `${m} min ${rest} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** Music in (stimuli.attach, features.compute, library.add): the counts a finished job is read for. */
function musicResultSummary(kind: string, o: Record<string, unknown>): string | null {
  const n = (k: string) => (typeof o[k] === 'number' ? String(o[k]) : '?')
  const name = typeof o.name === 'string' ? o.name : ''
  if (kind === 'stimuli.attach' && Array.isArray(o.missing))
    return `${n('attached')} attached · ${n('skipped')} already had audio · ${o.missing.length} missing`
  if (kind === 'features.compute' && typeof o.rows === 'number')
    return `${name}: ${n('rows')} rows × ${n('dim')} dims from ${n('stimuli')} stimuli`
  if (kind === 'library.add' && typeof o.files === 'number')
    return `${name}: ${n('files')} files · ${n('embedded')} embedded · ${n('unchanged')} unchanged · ${n('unreadableTotal')} unreadable`
  return null
}
