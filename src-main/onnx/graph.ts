/**
 * A small ONNX graph builder that writes ModelProto bytes itself (see protobuf.ts), for the handful of
 * numeric graphs the core runs through ONNX Runtime (MatMul, Gemm, small fused kernels).
 *
 *   const g = new GraphBuilder('matmul')
 *   const x = g.input('X', 'float32', ['n', 64])
 *   const w = g.initializer('W', weights, [64, 8])
 *   const y = g.node('MatMul', [x, w])
 *   g.output(y, 'float32', ['n', 8])
 *   const bytes = g.toModel()
 *
 * Field numbers follow onnx/onnx.proto3 (checked against the onnx/onnx repository).
 */
import { B2mError } from '../common/errors'
import { ProtoWriter, littleEndianBytes } from './protobuf'

// ---------------------------------------------------------------------------------------------
// Element types

/** TensorProto.DataType codes. */
export const ONNX_DTYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11
} as const
export type ElemType = keyof typeof ONNX_DTYPE

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array

type TensorDataCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Int8ArrayConstructor

/** The element type a typed array stands for (Uint8Array means uint8; pass 'bool' explicitly for bool). */
export function elemTypeOf(data: TensorData | TensorDataCtor): ElemType {
  const ctor = typeof data === 'function' ? data : data.constructor
  if (ctor === Float32Array) return 'float32'
  if (ctor === Float64Array) return 'float64'
  if (ctor === Int32Array) return 'int32'
  if (ctor === BigInt64Array) return 'int64'
  if (ctor === Uint8Array) return 'uint8'
  if (ctor === Int8Array) return 'int8'
  throw new B2mError('bad_request', `unsupported tensor data type ${String((ctor as { name?: string }).name)}`)
}

/** A dimension: a fixed size, or a symbolic name (dim_param) such as 'n'. */
export type Dim = number | string

// ---------------------------------------------------------------------------------------------
// Values and attributes

/** A named value in the graph: a graph input, an initializer or a node output. */
export class Value {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name
  }
}
export type ValueLike = Value | string

export interface TensorInit {
  data: TensorData
  dims: readonly number[]
  /** Overrides the element type inferred from `data` (e.g. 'bool' for a Uint8Array). */
  type?: ElemType
  name?: string
}

/** An attribute value with its ONNX type made explicit. */
export type TypedAttribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorInit }
  | { kind: 'floats'; value: readonly number[] | Float32Array }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'strings'; value: readonly string[] }

/**
 * Plain values are typed by inspection: integer numbers become INT, other numbers FLOAT, arrays INTS or
 * FLOATS by the same rule, strings STRING. Attribute names that are FLOAT in every standard operator
 * (alpha, beta, epsilon, gamma, lambd, bias, momentum, spatial_scale) stay FLOAT even when integral,
 * so `{ alpha: 1 }` on Gemm is right. Use `attr.*` to be explicit.
 */
export type AttributeValue = number | bigint | string | readonly number[] | Float32Array | TypedAttribute

export const attr = {
  float: (value: number): TypedAttribute => ({ kind: 'float', value }),
  int: (value: number | bigint): TypedAttribute => ({ kind: 'int', value }),
  string: (value: string): TypedAttribute => ({ kind: 'string', value }),
  floats: (value: readonly number[] | Float32Array): TypedAttribute => ({ kind: 'floats', value }),
  ints: (value: readonly (number | bigint)[]): TypedAttribute => ({ kind: 'ints', value }),
  strings: (value: readonly string[]): TypedAttribute => ({ kind: 'strings', value }),
  tensor: (data: TensorData, dims: readonly number[], type?: ElemType): TypedAttribute => ({
    kind: 'tensor',
    value: { data, dims, type }
  })
}

const FLOAT_ATTRIBUTE_NAMES = new Set([
  'alpha',
  'beta',
  'epsilon',
  'gamma',
  'lambd',
  'bias',
  'momentum',
  'spatial_scale'
])

/** AttributeProto.AttributeType codes. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const

function isTypedAttribute(v: AttributeValue): v is TypedAttribute {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Array.isArray(v) && 'kind' in v
}

function typeAttribute(name: string, v: AttributeValue, domain: string): TypedAttribute {
  if (isTypedAttribute(v)) return v
  const floatByName = domain === '' && FLOAT_ATTRIBUTE_NAMES.has(name)
  if (typeof v === 'string') return { kind: 'string', value: v }
  if (typeof v === 'bigint') return { kind: 'int', value: v }
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || floatByName || !Number.isInteger(v)) return { kind: 'float', value: v }
    return { kind: 'int', value: v }
  }
  if (v instanceof Float32Array) return { kind: 'floats', value: v }
  if (Array.isArray(v)) {
    const arr = v as readonly number[]
    if (!floatByName && arr.every((x) => Number.isInteger(x))) return { kind: 'ints', value: arr }
    return { kind: 'floats', value: arr }
  }
  throw new B2mError('bad_request', `attribute ${name}: unsupported value ${String(v)}`)
}

// ---------------------------------------------------------------------------------------------
// Builder

interface ValueInfo {
  name: string
  type: ElemType
  shape?: readonly Dim[]
}

interface NodeSpec {
  opType: string
  inputs: string[]
  outputs: string[]
  name: string
  domain: string
  attributes: [string, TypedAttribute][]
}

export interface NodeOptions {
  /** Output names, or how many outputs to create (default 1). */
  outputs?: number | readonly string[]
  name?: string
  /** Operator domain; '' (default) is the standard ai.onnx domain. */
  domain?: string
}

export interface ModelOptions {
  /** Default 8. */
  irVersion?: number
  /** Opset of the default domain; default 17. */
  opsetVersion?: number
  /** Extra operator sets, e.g. { domain: 'com.microsoft', version: 1 }. */
  opsets?: readonly { domain: string; version: number }[]
  producerName?: string
  producerVersion?: string
  docString?: string
}

export const DEFAULT_OPSET = 17
export const DEFAULT_IR_VERSION = 8

export class GraphBuilder {
  private readonly inputs: ValueInfo[] = []
  private readonly outputs: ValueInfo[] = []
  private readonly initializers: { name: string; tensor: TensorInit }[] = []
  private readonly nodes: NodeSpec[] = []
  private readonly names = new Set<string>()
  private readonly domains = new Set<string>()
  private counter = 0

  constructor(
    readonly name: string,
    private readonly modelOptions: ModelOptions = {}
  ) {}

  private claim(name: string, what: string): string {
    if (!name) throw new B2mError('bad_request', `graph ${this.name}: ${what} needs a name`)
    if (this.names.has(name))
      throw new B2mError('bad_request', `graph ${this.name}: the name '${name}' is already used`)
    this.names.add(name)
    return name
  }

  private fresh(base: string): string {
    let n: string
    do n = `${base}_${this.counter++}`
    while (this.names.has(n))
    return n
  }

  /** A graph input. Shape dims are numbers (fixed) or strings (symbolic); omit the shape for unknown rank. */
  input(name: string, type: ElemType, shape?: readonly Dim[]): Value {
    checkShape(this.name, name, shape)
    this.inputs.push({ name: this.claim(name, 'an input'), type, shape })
    return new Value(name)
  }

  /**
   * A constant tensor stored in the model (TensorProto with raw_data). `data` is a typed array, or a
   * typed-array constructor for a zero-filled tensor.
   */
  initializer(name: string, data: TensorData | TensorDataCtor, dims: readonly number[], type?: ElemType): Value {
    const count = dims.reduce((a, b) => a * b, 1)
    for (const d of dims) {
      if (!Number.isInteger(d) || d < 0) throw new B2mError('bad_request', `initializer ${name}: bad dimension ${d}`)
    }
    const arr: TensorData = typeof data === 'function' ? new data(count) : data
    if (arr.length !== count) {
      throw new B2mError(
        'bad_request',
        `initializer ${name}: ${arr.length} elements do not fill shape [${dims.join(', ')}] (${count} elements)`
      )
    }
    const elem = type ?? elemTypeOf(arr)
    this.initializers.push({
      name: this.claim(name, 'an initializer'),
      tensor: { data: arr, dims: [...dims], type: elem }
    })
    return new Value(name)
  }

  /** A Constant node holding `data`; returns its output. */
  constant(data: TensorData, dims: readonly number[], type?: ElemType, name?: string): Value {
    return this.node('Constant', [], { value: attr.tensor(data, dims, type) }, { outputs: name ? [name] : 1 })
  }

  /** Adds a node with one output and returns it. Use '' in `inputs` for an omitted optional input. */
  node(
    opType: string,
    inputs: readonly ValueLike[],
    attributes?: Record<string, AttributeValue>,
    options?: NodeOptions
  ): Value {
    const outs = this.nodeOutputs(opType, inputs, attributes, options)
    if (outs.length !== 1) {
      throw new B2mError('bad_request', `graph ${this.name}: ${opType} has ${outs.length} outputs; use nodeOutputs()`)
    }
    return outs[0]
  }

  /** Adds a node and returns all its outputs. */
  nodeOutputs(
    opType: string,
    inputs: readonly ValueLike[],
    attributes: Record<string, AttributeValue> = {},
    options: NodeOptions = {}
  ): Value[] {
    const domain = options.domain ?? ''
    const outSpec = options.outputs ?? 1
    const outputs =
      typeof outSpec === 'number' ? Array.from({ length: outSpec }, () => this.fresh(opType)) : outSpec.map((n) => n)
    for (const o of outputs) this.claim(o, `an output of ${opType}`)
    const nodeName = options.name ?? `${opType}_node_${this.nodes.length}`
    const attrs: [string, TypedAttribute][] = Object.entries(attributes).map(([k, v]) => [
      k,
      typeAttribute(k, v, domain)
    ])
    this.nodes.push({
      opType,
      inputs: inputs.map((i) => String(i)),
      outputs,
      name: nodeName,
      domain,
      attributes: attrs
    })
    if (domain !== '') this.domains.add(domain)
    return outputs.map((o) => new Value(o))
  }

  /** Marks a value as a graph output, with its element type and (optionally) shape. */
  output(value: ValueLike, type: ElemType, shape?: readonly Dim[]): Value {
    const name = String(value)
    checkShape(this.name, name, shape)
    if (!this.names.has(name)) throw new B2mError('bad_request', `graph ${this.name}: output '${name}' is not defined`)
    if (this.outputs.some((o) => o.name === name)) {
      throw new B2mError('bad_request', `graph ${this.name}: '${name}' is already an output`)
    }
    this.outputs.push({ name, type, shape })
    return typeof value === 'string' ? new Value(value) : value
  }

  /** Checks the graph is closed (every node input defined before use) and writes ModelProto bytes. */
  toModel(options: ModelOptions = {}): Uint8Array {
    const o = { ...this.modelOptions, ...options }
    this.validate()
    const model = new ProtoWriter()
    model.varint(1, o.irVersion ?? DEFAULT_IR_VERSION) // ir_version
    model.string(2, o.producerName ?? 'brain2music-lab') // producer_name
    if (o.producerVersion) model.string(3, o.producerVersion) // producer_version
    if (o.docString) model.string(6, o.docString) // doc_string
    model.message(7, this.graphProto()) // graph
    const opsets = new Map<string, number>([['', o.opsetVersion ?? DEFAULT_OPSET]])
    for (const d of this.domains) if (!opsets.has(d)) opsets.set(d, 1)
    for (const s of o.opsets ?? []) opsets.set(s.domain, s.version)
    for (const [domain, version] of opsets) {
      const w = new ProtoWriter()
      if (domain) w.string(1, domain) // OperatorSetIdProto.domain
      w.varint(2, version) // OperatorSetIdProto.version
      model.message(8, w) // opset_import
    }
    return model.finish()
  }

  private validate(): void {
    if (this.outputs.length === 0) throw new B2mError('bad_request', `graph ${this.name}: no outputs`)
    const defined = new Set<string>([...this.inputs.map((i) => i.name), ...this.initializers.map((i) => i.name)])
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        if (i !== '' && !defined.has(i)) {
          throw new B2mError(
            'bad_request',
            `graph ${this.name}: node ${n.name} (${n.opType}) uses '${i}' before it is defined`
          )
        }
      }
      for (const out of n.outputs) defined.add(out)
    }
  }

  private graphProto(): ProtoWriter {
    const g = new ProtoWriter()
    for (const n of this.nodes) g.message(1, nodeProto(n)) // node
    g.string(2, this.name) // name
    for (const i of this.initializers) g.message(5, tensorProto(i.tensor, i.name)) // initializer
    for (const v of this.inputs) g.message(11, valueInfoProto(v)) // input
    for (const v of this.outputs) g.message(12, valueInfoProto(v)) // output
    return g
  }
}

function checkShape(graph: string, name: string, shape: readonly Dim[] | undefined): void {
  if (!shape) return
  for (const d of shape) {
    const ok = typeof d === 'string' ? d.length > 0 : Number.isInteger(d) && d >= 0
    if (!ok) throw new B2mError('bad_request', `graph ${graph}: '${name}' has a bad dimension ${JSON.stringify(d)}`)
  }
}

function nodeProto(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter()
  for (const i of n.inputs) w.string(1, i) // input
  for (const o of n.outputs) w.string(2, o) // output
  w.string(3, n.name) // name
  w.string(4, n.opType) // op_type
  for (const [name, a] of n.attributes) w.message(5, attributeProto(name, a)) // attribute
  if (n.domain) w.string(7, n.domain) // domain
  return w
}

function attributeProto(name: string, a: TypedAttribute): ProtoWriter {
  const w = new ProtoWriter()
  w.string(1, name) // name
  switch (a.kind) {
    case 'float':
      w.float(2, a.value) // f
      break
    case 'int':
      w.varint(3, a.value) // i
      break
    case 'string':
      w.string(4, a.value) // s
      break
    case 'tensor':
      w.message(5, tensorProto(a.value, a.value.name)) // t
      break
    case 'floats':
      w.packedFloats(7, a.value) // floats
      break
    case 'ints':
      w.packedVarints(8, a.value) // ints
      break
    case 'strings':
      for (const s of a.value) w.string(9, s) // strings
      break
  }
  w.varint(20, ATTR_TYPE[a.kind]) // type
  return w
}

function tensorProto(t: TensorInit, name?: string): ProtoWriter {
  const w = new ProtoWriter()
  w.packedVarints(1, t.dims) // dims
  w.varint(2, ONNX_DTYPE[t.type ?? elemTypeOf(t.data)]) // data_type
  if (name) w.string(8, name) // name
  w.bytes(9, littleEndianBytes(t.data)) // raw_data
  return w
}

function valueInfoProto(v: ValueInfo): ProtoWriter {
  const tensor = new ProtoWriter()
  tensor.varint(1, ONNX_DTYPE[v.type]) // TypeProto.Tensor.elem_type
  if (v.shape) {
    const shape = new ProtoWriter()
    for (const d of v.shape) {
      const dim = new ProtoWriter()
      if (typeof d === 'number')
        dim.varint(1, d) // dim_value
      else dim.string(2, d) // dim_param
      shape.message(1, dim) // TensorShapeProto.dim
    }
    tensor.message(2, shape) // TypeProto.Tensor.shape
  }
  const type = new ProtoWriter()
  type.message(1, tensor) // TypeProto.tensor_type
  const w = new ProtoWriter()
  w.string(1, v.name) // ValueInfoProto.name
  w.message(2, type) // ValueInfoProto.type
  return w
}
