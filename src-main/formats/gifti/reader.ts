/**
 * GIfTI reader (https://www.nitrc.org/projects/gifti/, GIFTI Surface Data Format 1.0).
 *
 * Reads every encoding (ASCII, Base64Binary, GZipBase64Binary, ExternalFileBinary), both byte orders,
 * row- and column-major arrays, label tables, metadata, nibabel's/gifticlib's alternative attribute
 * spellings (`GIFTI_ENCODING_B64BIN`, `GIFTI_ENDIAN_LITTLE`, ...), old `Index=` label keys, and whole
 * files gzipped as `.gii.gz`. Data always comes out row-major in native byte order.
 *
 * XML is parsed by fast-xml-parser after its validator has checked well-formedness (so a truncated or
 * mangled file gets a line/column message). `<Data>` bodies are lifted out first and decoded here, so
 * the validator and parser only walk a small skeleton, never the multi-megabyte payloads.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { B2mError } from '../../common/errors'
import { type Annotation, type AnnotationEntry, type Mesh, makeMesh, maybeGunzip, readFileBytes } from '../mesh'
import {
  type GiftiData,
  type GiftiDataType,
  GIFTI_CTORS,
  bytesToTyped,
  columnToRowMajor,
  decodeBase64,
  inflate,
  parseAsciiNumbers
} from './decode'

export type { GiftiData, GiftiDataType } from './decode'

export type GiftiEncoding = 'ASCII' | 'Base64Binary' | 'GZipBase64Binary' | 'ExternalFileBinary'
export type GiftiEndian = 'LittleEndian' | 'BigEndian'
export type GiftiIndexOrder = 'RowMajorOrder' | 'ColumnMajorOrder'

export interface GiftiCoordSystem {
  dataSpace: string
  transformedSpace: string
  /** 4x4 affine, row-major (16 values). */
  matrix: Float64Array
}

export interface GiftiDataArray {
  /** Normalised to the `NIFTI_INTENT_*` name (numeric codes are translated). */
  intent: string
  dataType: GiftiDataType
  /** Dim0, Dim1, ... as declared; `data` is laid out row-major over these. */
  dims: number[]
  /** As the file declared them (normalised spelling); the data has already been decoded. */
  encoding: GiftiEncoding
  endian: GiftiEndian
  indexingOrder: GiftiIndexOrder
  externalFileName?: string
  externalFileOffset?: number
  meta: Record<string, string>
  coordSystems: GiftiCoordSystem[]
  /** Row-major, native byte order. */
  data: GiftiData
}

export interface GiftiLabel {
  key: number
  name: string
  /** 0..1; absent when the file gives no colour (old `Index=` tables). */
  rgba?: [number, number, number, number]
}

export interface GiftiDocument {
  version: string
  meta: Record<string, string>
  labels: GiftiLabel[]
  arrays: GiftiDataArray[]
  source: string
  /** Oddities that did not stop the read (e.g. NumberOfDataArrays disagreeing with the arrays found). */
  warnings: string[]
}

export interface ParseGiftiOptions {
  /** Folder that ExternalFileName is resolved against (the .gii's folder). */
  baseDir?: string
}

const INTENT_CODES: Record<number, string> = {
  0: 'NIFTI_INTENT_NONE',
  2: 'NIFTI_INTENT_CORREL',
  3: 'NIFTI_INTENT_TTEST',
  4: 'NIFTI_INTENT_FTEST',
  5: 'NIFTI_INTENT_ZSCORE',
  1001: 'NIFTI_INTENT_ESTIMATE',
  1002: 'NIFTI_INTENT_LABEL',
  1003: 'NIFTI_INTENT_NEURONAME',
  1004: 'NIFTI_INTENT_GENMATRIX',
  1005: 'NIFTI_INTENT_SYMMATRIX',
  1006: 'NIFTI_INTENT_DISPVECT',
  1007: 'NIFTI_INTENT_VECTOR',
  1008: 'NIFTI_INTENT_POINTSET',
  1009: 'NIFTI_INTENT_TRIANGLE',
  1010: 'NIFTI_INTENT_QUATERNION',
  1011: 'NIFTI_INTENT_DIMLESS',
  2001: 'NIFTI_INTENT_TIME_SERIES',
  2002: 'NIFTI_INTENT_NODE_INDEX',
  2003: 'NIFTI_INTENT_RGB_VECTOR',
  2004: 'NIFTI_INTENT_RGBA_VECTOR',
  2005: 'NIFTI_INTENT_SHAPE'
}

const ENCODINGS: Record<string, GiftiEncoding> = {
  ASCII: 'ASCII',
  GIFTI_ENCODING_ASCII: 'ASCII',
  BASE64BINARY: 'Base64Binary',
  GIFTI_ENCODING_B64BIN: 'Base64Binary',
  GZIPBASE64BINARY: 'GZipBase64Binary',
  GIFTI_ENCODING_B64GZ: 'GZipBase64Binary',
  EXTERNALFILEBINARY: 'ExternalFileBinary',
  GIFTI_ENCODING_EXTBIN: 'ExternalFileBinary'
}

const ENDIANS: Record<string, GiftiEndian> = {
  LITTLEENDIAN: 'LittleEndian',
  GIFTI_ENDIAN_LITTLE: 'LittleEndian',
  BIGENDIAN: 'BigEndian',
  GIFTI_ENDIAN_BIG: 'BigEndian'
}

const ORDERS: Record<string, GiftiIndexOrder> = {
  ROWMAJORORDER: 'RowMajorOrder',
  GIFTI_IND_ORD_ROW_MAJOR: 'RowMajorOrder',
  COLUMNMAJORORDER: 'ColumnMajorOrder',
  GIFTI_IND_ORD_COL_MAJOR: 'ColumnMajorOrder'
}

const ARRAY_TAGS = new Set(['DataArray', 'MD', 'Label', 'CoordinateSystemTransformMatrix', 'MetaData', 'LabelTable'])

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute && ARRAY_TAGS.has(name)
})

type XNode = Record<string, unknown>

function asNode(v: unknown): XNode {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as XNode) : {}
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v]
}

function text(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) return v.map(text).join('')
  const t = asNode(v)['#text']
  return typeof t === 'string' ? t : t === undefined ? '' : String(t)
}

function attr(node: XNode, name: string): string | undefined {
  const v = node['@_' + name]
  return v === undefined ? undefined : String(v).trim()
}

function readMeta(v: unknown): Record<string, string> {
  const meta: Record<string, string> = {}
  for (const m of list(v)) {
    for (const md of list(asNode(m).MD)) {
      const node = asNode(md)
      const name = text(node.Name).trim()
      if (name) meta[name] = text(node.Value)
    }
  }
  return meta
}

/**
 * Lifts every `<Data>` body out of the XML, leaving its index (plus the body's newlines, so validator
 * line numbers stay true) in a small skeleton. The XML validator and parser then only walk the
 * skeleton; multi-megabyte payloads are never scanned character by character by them.
 */
function liftData(xml: string): { skeleton: string; bodies: string[] } {
  const bodies: string[] = []
  const skeleton = xml.replace(
    /<Data(\s[^>]*)?>([\s\S]*?)<\/Data\s*>/g,
    (_m, attrs: string | undefined, body: string) => {
      let lines = 0
      for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) lines++
      bodies.push(body)
      return `<Data${attrs ?? ''}>${bodies.length - 1}${'\n'.repeat(lines)}</Data>`
    }
  )
  return { skeleton, bodies }
}

/** The lifted body of a `<Data>`: CDATA sections unwrapped; any other markup inside is an error. */
function rawData(v: unknown, bodies: string[], file: string, where: string): string {
  const ref = text(v).trim()
  let s = ref === '' ? '' : (bodies[Number(ref)] ?? '')
  if (s.includes('<')) {
    if (s.includes('<![CDATA[')) s = s.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    if (s.includes('<')) throw new B2mError('bad_request', `${where}: <Data> contains unexpected markup`, file)
  }
  return s.trim()
}

function parseNumberList(s: string): number[] {
  const t = s.trim()
  return t ? t.split(/[\s,]+/).map(Number) : []
}

function parseLabels(v: unknown, file: string): GiftiLabel[] {
  const labels: GiftiLabel[] = []
  for (const table of list(v)) {
    for (const raw of list(asNode(table).Label)) {
      const node = asNode(raw)
      const name = text(raw).trim()
      const keyText = attr(node, 'Key') ?? attr(node, 'Index')
      const key = keyText === undefined ? NaN : Number(keyText)
      if (!Number.isInteger(key)) {
        throw new B2mError('bad_request', `LabelTable: label '${name}' has no integer Key (got '${keyText}')`, file)
      }
      const label: GiftiLabel = { key, name }
      const rgb = ['Red', 'Green', 'Blue', 'Alpha'].map((c) => attr(node, c))
      if (rgb.slice(0, 3).every((c) => c !== undefined)) {
        const rgba = rgb.map((c, i) => (c === undefined ? (i === 3 ? 1 : 0) : Number(c)))
        if (rgba.some((c) => !Number.isFinite(c))) {
          throw new B2mError('bad_request', `LabelTable: label '${name}' has a non-numeric colour`, file)
        }
        label.rgba = rgba as [number, number, number, number]
      }
      labels.push(label)
    }
  }
  return labels
}

function normIntent(s: string | undefined): string {
  if (!s) return 'NIFTI_INTENT_NONE'
  const t = s.trim().toUpperCase()
  if (/^\d+$/.test(t)) return INTENT_CODES[Number(t)] ?? `NIFTI_INTENT_${t}`
  return t.startsWith('NIFTI_INTENT_') ? t : `NIFTI_INTENT_${t}`
}

function normDataType(s: string | undefined, file: string, where: string): GiftiDataType {
  const t = (s ?? '')
    .trim()
    .toUpperCase()
    .replace(/^NIFTI_TYPE_/, '')
  if (t in GIFTI_CTORS) return t as GiftiDataType
  throw new B2mError(
    'bad_request',
    `${where}: DataType '${s ?? ''}' is not supported (INT8, UINT8, INT16, UINT16, INT32, UINT32, FLOAT32, FLOAT64)`,
    file
  )
}

function lookup<T>(table: Record<string, T>, s: string | undefined, what: string, file: string, where: string): T {
  const t = (s ?? '').trim().toUpperCase()
  const v = table[t]
  if (v === undefined) throw new B2mError('bad_request', `${where}: unknown ${what} '${s ?? ''}'`, file)
  return v
}

function parseDims(node: XNode, file: string, where: string): number[] {
  const dimText = attr(node, 'Dimensionality')
  const nd = Number(dimText)
  if (!Number.isInteger(nd) || nd < 1 || nd > 6) {
    throw new B2mError('bad_request', `${where}: Dimensionality '${dimText ?? ''}' must be an integer 1..6`, file)
  }
  const dims: number[] = []
  for (let k = 0; k < nd; k++) {
    const d = attr(node, `Dim${k}`)
    const n = Number(d)
    if (d === undefined || d === '' || !Number.isInteger(n) || n < 0) {
      throw new B2mError(
        'bad_request',
        `${where}: Dim${k} is ${d === undefined ? 'missing' : `'${d}'`} (Dimensionality is ${nd})`,
        file
      )
    }
    dims.push(n)
  }
  return dims
}

/** Parses GIfTI XML bytes (already gunzipped). `source` names the file in errors. */
export function parseGifti(bytes: Uint8Array | string, source: string, options: ParseGiftiOptions = {}): GiftiDocument {
  let xml =
    typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1) // byte-order mark
  if (!/^\s*</.test(xml)) {
    throw new B2mError('bad_request', 'is not a GIfTI file (it does not start with XML)', source)
  }
  const { skeleton, bodies } = liftData(xml)
  const valid = XMLValidator.validate(skeleton)
  if (valid !== true) {
    const e = valid.err
    throw new B2mError('bad_request', `is not well-formed XML: ${e.msg} (line ${e.line}, column ${e.col})`, source)
  }
  let tree: XNode
  try {
    tree = parser.parse(skeleton) as XNode
  } catch (err) {
    throw new B2mError('bad_request', `cannot parse XML (${(err as Error).message})`, source)
  }
  const rootName = Object.keys(tree).find((k) => !k.startsWith('?') && !k.startsWith('!'))
  if (rootName !== 'GIFTI') {
    throw new B2mError(
      'bad_request',
      `is not a GIfTI file: root element is <${rootName ?? 'none'}>, not <GIFTI>`,
      source
    )
  }
  const root = asNode(tree.GIFTI)
  const warnings: string[] = []
  const externalCache = new Map<string, Uint8Array>()

  const arrays: GiftiDataArray[] = list(root.DataArray).map((raw, i) => {
    const node = asNode(raw)
    const where = `DataArray ${i}`
    const intent = normIntent(attr(node, 'Intent'))
    const dataType = normDataType(attr(node, 'DataType'), source, where)
    const dims = parseDims(node, source, where)
    const encoding = lookup(ENCODINGS, attr(node, 'Encoding'), 'Encoding', source, where)
    const endianText = attr(node, 'Endian')
    const endian: GiftiEndian = endianText ? lookup(ENDIANS, endianText, 'Endian', source, where) : 'LittleEndian'
    const orderText = attr(node, 'ArrayIndexingOrder')
    const indexingOrder: GiftiIndexOrder = orderText
      ? lookup(ORDERS, orderText, 'ArrayIndexingOrder', source, where)
      : 'RowMajorOrder'
    const count = dims.reduce((a, b) => a * b, 1)
    const little = endian === 'LittleEndian'
    let data: GiftiData
    const externalFileName = attr(node, 'ExternalFileName') || undefined
    const offsetText = attr(node, 'ExternalFileOffset')
    const externalFileOffset = offsetText ? Number(offsetText) : undefined

    if (encoding === 'ExternalFileBinary') {
      if (!externalFileName) {
        throw new B2mError(
          'bad_request',
          `${where}: Encoding is ExternalFileBinary but ExternalFileName is empty`,
          source
        )
      }
      const offset = externalFileOffset ?? 0
      if (!Number.isInteger(offset) || offset < 0) {
        throw new B2mError('bad_request', `${where}: ExternalFileOffset '${offsetText}' is not a byte offset`, source)
      }
      if (!options.baseDir && !isAbsolute(externalFileName)) {
        throw new B2mError(
          'bad_request',
          `${where}: data lives in external file '${externalFileName}', but the GIfTI's folder is unknown`,
          source
        )
      }
      const extPath = isAbsolute(externalFileName) ? externalFileName : resolve(options.baseDir ?? '', externalFileName)
      let ext = externalCache.get(extPath)
      if (!ext) {
        try {
          ext = readFileSync(extPath)
        } catch (err) {
          throw new B2mError(
            'bad_request',
            `${where}: cannot read external data file '${externalFileName}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
            source
          )
        }
        externalCache.set(extPath, ext)
      }
      const need = count * GIFTI_CTORS[dataType].BYTES_PER_ELEMENT
      if (offset + need > ext.length) {
        throw new B2mError(
          'bad_request',
          `${where}: external file '${externalFileName}' has ${ext.length} bytes, but ${count} ${dataType} values at offset ${offset} need ${offset + need}`,
          source
        )
      }
      data = bytesToTyped(ext, offset, count, dataType, little, source, where, false)
    } else {
      const body = rawData(node.Data, bodies, source, where)
      if (encoding === 'ASCII') {
        data = parseAsciiNumbers(body, count, dataType, source, where)
      } else {
        let bytes = decodeBase64(body, source, where)
        if (encoding === 'GZipBase64Binary') bytes = inflate(bytes, source, where)
        data = bytesToTyped(bytes, 0, count, dataType, little, source, where, true)
      }
    }
    if (indexingOrder === 'ColumnMajorOrder') data = columnToRowMajor(data, dims)

    const coordSystems: GiftiCoordSystem[] = list(node.CoordinateSystemTransformMatrix).map((c, k) => {
      const cs = asNode(c)
      const values = parseNumberList(text(cs.MatrixData))
      if (values.length !== 16 || values.some((v) => !Number.isFinite(v))) {
        throw new B2mError(
          'bad_request',
          `${where}: CoordinateSystemTransformMatrix ${k} needs 16 numbers, found ${values.length}`,
          source
        )
      }
      return {
        dataSpace: text(cs.DataSpace).trim(),
        transformedSpace: text(cs.TransformedSpace).trim(),
        matrix: Float64Array.from(values)
      }
    })

    return {
      intent,
      dataType,
      dims,
      encoding,
      endian,
      indexingOrder,
      ...(externalFileName ? { externalFileName } : {}),
      ...(encoding === 'ExternalFileBinary' ? { externalFileOffset: externalFileOffset ?? 0 } : {}),
      meta: readMeta(node.MetaData),
      coordSystems,
      data
    }
  })

  const declared = attr(root, 'NumberOfDataArrays')
  if (declared !== undefined && Number(declared) !== arrays.length) {
    warnings.push(`NumberOfDataArrays says ${declared}, but the file holds ${arrays.length} DataArray elements`)
  }
  return {
    version: attr(root, 'Version') ?? '',
    meta: readMeta(root.MetaData),
    labels: parseLabels(root.LabelTable, source),
    arrays,
    source,
    warnings
  }
}

/** Reads a .gii (or whole-file gzipped .gii.gz) from disk; external data resolves beside it. */
export function readGifti(path: string): GiftiDocument {
  const bytes = maybeGunzip(readFileBytes(path), path)
  return parseGifti(bytes, path, { baseDir: dirname(resolve(path)) })
}

const is = (a: GiftiDataArray, intent: string) => a.intent === `NIFTI_INTENT_${intent}`

function toFloat32(data: GiftiData): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data)
}

/** The first POINTSET and TRIANGLE arrays as a checked Mesh (indices must be < vertex count). */
export function giftiToMesh(doc: GiftiDocument): Mesh {
  const pts = doc.arrays.find((a) => is(a, 'POINTSET'))
  const tri = doc.arrays.find((a) => is(a, 'TRIANGLE'))
  if (!pts || !tri) {
    const intents = doc.arrays.map((a) => a.intent).join(', ') || 'no arrays'
    throw new B2mError(
      'bad_request',
      `is not a GIfTI surface: it needs a NIFTI_INTENT_POINTSET and a NIFTI_INTENT_TRIANGLE array (found ${intents})`,
      doc.source
    )
  }
  if (pts.dims.length !== 2 || pts.dims[1] !== 3) {
    throw new B2mError('bad_request', `POINTSET array has dims [${pts.dims}], expected [nVertices, 3]`, doc.source)
  }
  if (tri.dims.length !== 2 || tri.dims[1] !== 3) {
    throw new B2mError('bad_request', `TRIANGLE array has dims [${tri.dims}], expected [nTriangles, 3]`, doc.source)
  }
  if (tri.dataType.startsWith('FLOAT')) {
    throw new B2mError(
      'bad_request',
      `TRIANGLE array has DataType ${tri.dataType}; it must be an integer type`,
      doc.source
    )
  }
  const triangles =
    tri.data instanceof Int32Array || tri.data instanceof Uint32Array ? tri.data : Int32Array.from(tri.data)
  const space = pts.coordSystems[0]?.dataSpace || undefined
  return makeMesh(toFloat32(pts.data), triangles, doc.source, space)
}

export interface GiftiScalarArray {
  values: Float32Array
  /** Index of the DataArray it came from (and column, for an [n, k] array). */
  array: number
  column?: number
  intent: string
  name?: string
}

/**
 * Per-vertex value arrays: every array that is not POINTSET, TRIANGLE or LABEL. 1-d and [n, 1] arrays
 * give one map each; an [n, k] array gives its k columns.
 */
export function giftiToScalars(doc: GiftiDocument): GiftiScalarArray[] {
  const out: GiftiScalarArray[] = []
  doc.arrays.forEach((a, i) => {
    if (is(a, 'POINTSET') || is(a, 'TRIANGLE') || is(a, 'LABEL')) return
    const name = a.meta.Name || undefined
    if (a.dims.length === 1 || (a.dims.length === 2 && a.dims[1] === 1)) {
      out.push({ values: toFloat32(a.data), array: i, intent: a.intent, ...(name ? { name } : {}) })
    } else if (a.dims.length === 2) {
      const [n, k] = a.dims
      for (let c = 0; c < k; c++) {
        const values = new Float32Array(n)
        for (let r = 0; r < n; r++) values[r] = a.data[r * k + c]
        out.push({ values, array: i, column: c, intent: a.intent, ...(name ? { name } : {}) })
      }
    } else {
      throw new B2mError(
        'bad_request',
        `DataArray ${i} has ${a.dims.length} dimensions; per-vertex data needs 1 or 2`,
        doc.source
      )
    }
  })
  if (out.length === 0) {
    const intents = doc.arrays.map((a) => a.intent).join(', ') || 'no arrays'
    throw new B2mError('bad_request', `holds no per-vertex data arrays (found ${intents})`, doc.source)
  }
  const n = out[0].values.length
  const other = out.find((s) => s.values.length !== n)
  if (other) {
    throw new B2mError(
      'bad_request',
      `data arrays disagree on vertex count: array ${out[0].array} has ${n} values, array ${other.array} has ${other.values.length}`,
      doc.source
    )
  }
  return out
}

/** A visible, stable colour for labels whose table gives none (golden-angle hues). */
function fallbackColour(i: number): [number, number, number, number] {
  const h = (i * 137.508) % 360
  const f = (n: number) => {
    const k = (n + h / 60) % 6
    return 0.85 - 0.6 * Math.max(0, Math.min(k, 4 - k, 1))
  }
  return [f(5), f(3), f(1), 1]
}

/** The first LABEL array mapped through the LabelTable: per-vertex table index, -1 for unknown keys. */
export function giftiToLabels(doc: GiftiDocument): Annotation {
  const arr = doc.arrays.find((a) => is(a, 'LABEL'))
  if (!arr) {
    const intents = doc.arrays.map((a) => a.intent).join(', ') || 'no arrays'
    throw new B2mError('bad_request', `holds no NIFTI_INTENT_LABEL array (found ${intents})`, doc.source)
  }
  if (arr.dims.length > 2 || (arr.dims.length === 2 && arr.dims[1] !== 1)) {
    throw new B2mError('bad_request', `LABEL array has dims [${arr.dims}], expected [nVertices]`, doc.source)
  }
  if (arr.dataType.startsWith('FLOAT')) {
    throw new B2mError(
      'bad_request',
      `LABEL array has DataType ${arr.dataType}; label keys must be integers`,
      doc.source
    )
  }
  if (doc.labels.length === 0) throw new B2mError('bad_request', 'LABEL array has an empty LabelTable', doc.source)
  const table: AnnotationEntry[] = doc.labels.map((l, i) => ({
    name: l.name,
    rgba: l.rgba ?? fallbackColour(i),
    key: l.key
  }))
  const index = new Map<number, number>()
  table.forEach((e, i) => {
    if (index.has(e.key)) throw new B2mError('bad_request', `LabelTable repeats Key ${e.key}`, doc.source)
    index.set(e.key, i)
  })
  const labels = new Int32Array(arr.data.length)
  for (let v = 0; v < labels.length; v++) labels[v] = index.get(arr.data[v]) ?? -1
  return { labels, table, nVertices: labels.length, source: doc.source }
}

/** Reads a GIfTI surface (.surf.gii): positions and triangles, indices checked against vertex count. */
export function readGiftiSurface(path: string): Mesh {
  return giftiToMesh(readGifti(path))
}

/** Reads the per-vertex maps of a .func.gii / .shape.gii / .time.gii as Float32Arrays. */
export function readGiftiScalars(path: string): Float32Array[] {
  return giftiToScalars(readGifti(path)).map((s) => s.values)
}

/** Reads a .label.gii as an Annotation. */
export function readGiftiLabels(path: string): Annotation {
  return giftiToLabels(readGifti(path))
}
