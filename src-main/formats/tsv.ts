/**
 * Tab-separated values as BIDS writes them (and as real data sets actually are): a header row, then rows
 * of the same width. Robust to a UTF-8 BOM, CRLF or CR line ends, a missing trailing newline and blank
 * trailing lines; `n/a` (BIDS's missing value) reads as null.
 */
import { readFile } from 'node:fs/promises'
import { B2mError } from '../common/errors'

export interface TsvTable {
  /** The file it came from (for messages). */
  file: string
  columns: string[]
  /** Cells as written (`n/a` -> null), one array per data row, each `columns.length` long. */
  rows: (string | null)[][]
  /** 1-based line number of each row in the file (the header is line 1). */
  lines: number[]
}

export interface TsvOptions {
  /** Values read as missing besides `n/a` (default none). */
  missing?: string[]
}

/** Parses TSV text; `file` names the source in error messages. */
export function parseTsv(text: string, file: string, opts: TsvOptions = {}): TsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const missing = new Set(['n/a', ...(opts.missing ?? [])])
  const all = text.split(/\r\n|\n|\r/)
  while (all.length && all[all.length - 1].trim() === '') all.pop()
  if (all.length === 0) throw new B2mError('bad_request', 'malformed TSV: the file is empty (no header row)', file)
  const columns = all[0].split('\t').map((c) => c.trim())
  if (columns.some((c) => c === '')) {
    throw new B2mError(
      'bad_request',
      `malformed TSV: empty column name in the header (line 1: ${JSON.stringify(all[0])})`,
      file
    )
  }
  const dup = columns.find((c, i) => columns.indexOf(c) !== i)
  if (dup) throw new B2mError('bad_request', `malformed TSV: column "${dup}" appears twice in the header`, file)
  const rows: (string | null)[][] = []
  const lines: number[] = []
  for (let i = 1; i < all.length; i++) {
    const line = all[i]
    if (line.trim() === '') continue
    const cells = line.split('\t')
    if (cells.length !== columns.length) {
      throw new B2mError(
        'bad_request',
        `malformed TSV: line ${i + 1} has ${cells.length} fields, the header has ${columns.length}`,
        file
      )
    }
    rows.push(cells.map((c) => (missing.has(c.trim()) ? null : c)))
    lines.push(i + 1)
  }
  return { file, columns, rows, lines }
}

export async function readTsv(path: string, opts: TsvOptions = {}): Promise<TsvTable> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new B2mError(e.code === 'ENOENT' ? 'not_found' : 'bad_request', `cannot read: ${e.message}`, path)
  }
  return parseTsv(text, path, opts)
}

/** The cells of one column (throws naming the file when the column is missing). */
export function tsvColumn(table: TsvTable, name: string): (string | null)[] {
  const k = table.columns.indexOf(name)
  if (k < 0)
    throw new B2mError(
      'bad_request',
      `malformed TSV: no "${name}" column (has ${table.columns.join(', ')})`,
      table.file
    )
  return table.rows.map((r) => r[k])
}

/** A numeric column: null for `n/a`; a cell that is not a number is an error naming file, line and column. */
export function tsvNumbers(table: TsvTable, name: string): (number | null)[] {
  return tsvColumn(table, name).map((c, i) => {
    if (c === null) return null
    const s = c.trim()
    const v = Number(s)
    if (s === '' || !Number.isFinite(v)) {
      throw new B2mError(
        'bad_request',
        `malformed TSV: line ${table.lines[i]} column "${name}" is ${JSON.stringify(c)}, not a number`,
        table.file
      )
    }
    return v
  })
}
