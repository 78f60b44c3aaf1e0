/**
 * @module runtime/toxiproxy/toxics: Toxiproxy's toxics as its API reads and writes them (type, stream, toxicity,
 * attributes with Go's field names, order and integer decoding), and the data-plane fault each one becomes.
 */
import type { FaultSpec } from '../proxy/toxic.js'

/** As the client wrote it (Toxiproxy keeps the case it was given); read case-insensitively. */
export type ToxicStream = string

/** A toxic as Toxiproxy's API shows it (the JSON field order of its ToxicWrapper). */
export interface Toxic {
  attributes: Record<string, number>
  name: string
  type: string
  stream: ToxicStream
  toxicity: number
}

/** Per type: Toxiproxy's Go struct name and its attribute fields in declaration order (all integers). */
const TYPES: Record<string, { go: string; fields: readonly string[] }> = {
  bandwidth: { go: 'BandwidthToxic', fields: ['rate'] },
  latency: { go: 'LatencyToxic', fields: ['latency', 'jitter'] },
  limit_data: { go: 'LimitDataToxic', fields: ['bytes'] },
  noop: { go: 'NoopToxic', fields: [] },
  reset_peer: { go: 'ResetToxic', fields: ['timeout'] },
  slicer: { go: 'SlicerToxic', fields: ['average_size', 'size_variation', 'delay'] },
  slow_close: { go: 'SlowCloseToxic', fields: ['delay'] },
  timeout: { go: 'TimeoutToxic', fields: ['timeout'] },
}

export const TOXIC_TYPES: readonly string[] = Object.keys(TYPES)

/** A request Toxiproxy would refuse: its message and HTTP status, as its ApiError carries them. */
export class ToxiproxyError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/** What encoding/json says of a value of the wrong JSON type: `number`, `string`, `bool`, `array`, `object`. */
export function jsonKind(v: unknown): string {
  if (typeof v === 'number') return `number ${String(v)}`
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'array'
  return 'object'
}

const badBody = (detail: string): ToxiproxyError => new ToxiproxyError(`bad request body: ${detail}`, 400)

/**
 * Reads `attributes` into `into` as Go's decoder reads them into the toxic's struct: known fields must be integers
 * (null leaves a field as it was), unknown fields are ignored, fields not given keep their value.
 */
function decodeAttributes(type: string, raw: unknown, into: Record<string, number>): void {
  const t = TYPES[type]!
  if (raw === undefined || raw === null) return
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw badBody(`json: cannot unmarshal ${jsonKind(raw).split(' ')[0]} into Go struct field .attributes of type toxics.${t.go}`)
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    // Go matches field names case-insensitively
    const field = t.fields.find((f) => f.toLowerCase() === key.toLowerCase())
    if (field === undefined || value === null) continue
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw badBody(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${t.go}.attributes.${field} of type ${type === 'slicer' ? 'int' : 'int64'}`)
    }
    into[field] = value
  }
}

function decodeToxicity(raw: unknown, current: number): number {
  if (raw === undefined || raw === null) return current
  if (typeof raw !== 'number') throw badBody(`json: cannot unmarshal ${jsonKind(raw)} into Go struct field .toxicity of type float32`)
  return Math.fround(raw)
}

/** Go's float32 printed as JSON: the shortest decimal that reads back as the same float32. */
export function float32Json(x: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const y = Number(x.toPrecision(digits))
    if (Math.fround(y) === x) return y
  }
  return x
}

/**
 * A new toxic from the body of `POST /proxies/{proxy}/toxics`, with Toxiproxy's defaults: stream downstream,
 * toxicity 1, name `<type>_<stream>`, attributes zero.
 */
export function toxicFromBody(body: unknown): Toxic {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badBody(`json: cannot unmarshal ${jsonKind(body).split(' ')[0]} into Go value of type toxics.ToxicWrapper`)
  }
  const b = body as Record<string, unknown>
  for (const key of ['name', 'type', 'stream'] as const) {
    if (b[key] !== undefined && b[key] !== null && typeof b[key] !== 'string') {
      throw badBody(`json: cannot unmarshal ${jsonKind(b[key])} into Go struct field ToxicWrapper.${key} of type string`)
    }
  }
  const stream = (b.stream as string | undefined) ?? 'downstream'
  const toxicity = decodeToxicity(b.toxicity, 1)
  if (directionOf(stream) === undefined) throw new ToxiproxyError('stream was invalid, can be either upstream or downstream', 400)
  const type = (b.type as string | undefined) ?? ''
  const name = (b.name as string | undefined) || `${type}_${stream}`
  if (!(type in TYPES)) throw new ToxiproxyError('invalid toxic type', 400)
  const attributes: Record<string, number> = {}
  for (const f of TYPES[type]!.fields) attributes[f] = 0
  decodeAttributes(type, b.attributes, attributes)
  return { attributes, name, type, stream, toxicity }
}

/** The toxic after `PATCH /proxies/{proxy}/toxics/{toxic}`: only attributes and toxicity change, as in Toxiproxy. */
export function updatedToxic(t: Toxic, body: unknown): Toxic {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badBody(`json: cannot unmarshal ${jsonKind(body).split(' ')[0]} into Go value of type struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }`)
  }
  const b = body as Record<string, unknown>
  const attributes = { ...t.attributes }
  decodeAttributes(t.type, b.attributes, attributes)
  return { ...t, attributes, toxicity: decodeToxicity(b.toxicity, t.toxicity) }
}

/** The toxic as JSON: attributes in Go's field order, toxicity printed as Go prints a float32. */
export function toxicJson(t: Toxic): Toxic {
  const attributes: Record<string, number> = {}
  for (const f of TYPES[t.type]!.fields) attributes[f] = t.attributes[f] ?? 0
  return { attributes, name: t.name, type: t.type, stream: t.stream, toxicity: float32Json(t.toxicity) }
}

/** upstream or downstream, as Toxiproxy's ParseDirection reads a stream (any case); undefined when neither. */
export function directionOf(stream: string): 'upstream' | 'downstream' | undefined {
  const s = stream.toLowerCase()
  return s === 'upstream' || s === 'downstream' ? s : undefined
}

/** The share of connections a toxicity selects, as the data plane's percent (rolled once per connection). */
function percentOf(toxicity: number): number {
  return Math.min(100, Math.max(0, toxicity * 100))
}

/** The id under which the data plane holds a toxic's fault. */
export const faultIdOf = (toxic: string): string => `toxiproxy:${toxic}`

const nonNegative = (n: number | undefined): number => Math.max(0, n ?? 0)

/**
 * The data-plane fault that does what the toxic does. Negative durations and sizes act as zero, as Toxiproxy's
 * timers and loops treat them.
 */
export function faultOf(t: Toxic): FaultSpec {
  const base = { id: faultIdOf(t.name), direction: directionOf(t.stream) ?? 'downstream', percent: percentOf(t.toxicity) }
  const a = t.attributes
  switch (t.type) {
    case 'latency':
      return { ...base, type: 'latency', latencyMs: nonNegative(a.latency), jitterMs: nonNegative(a.jitter) }
    case 'bandwidth':
      // Toxiproxy's rate is in KB/s of 1000 bytes; at 0 its bytes never leave (until the toxic goes): a black hole
      return (a.rate ?? 0) > 0 ? { ...base, type: 'bandwidth', rate: a.rate! * 1000, shape: 'serialize' } : { ...base, type: 'blackhole' }
    case 'slow_close':
      return { ...base, type: 'slowClose', delayMs: nonNegative(a.delay) }
    case 'timeout':
      return { ...base, type: 'timeout', timeoutMs: nonNegative(a.timeout) }
    case 'reset_peer':
      return { ...base, type: 'reset', timeoutMs: nonNegative(a.timeout), finOnExisting: true }
    case 'slicer':
      // an average of 0 would cut forever (Toxiproxy's halving never ends there): pieces of one byte are the least
      return { ...base, type: 'slicer', averageSize: Math.max(1, a.average_size ?? 0), sizeVariation: nonNegative(a.size_variation), delayUs: nonNegative(a.delay) }
    case 'limit_data':
      return { ...base, type: 'limitData', bytes: nonNegative(a.bytes) }
    default:
      return { ...base, type: 'latency', latencyMs: 0 }
  }
}
