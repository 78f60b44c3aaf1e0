/**
 * @module runtime/openapi: the OpenAPI 3.1 document of the runtime's control API (src/runtime/control-api.ts),
 * served at /runtime/v1/openapi.json: every status an operation answers, the values each query parameter takes
 * (others are 400), the body it reads, the token it needs. test/e2e/openapi.test.ts holds the API to it with schemathesis, and
 * src/runtime/openapi.test.ts checks that it names every route and no other.
 */
import { VERSION } from '../version.js'
import { withAccessAnswers } from '../http-auth.js'
import type { OpenApiOperation } from '../http-auth.js'
import { effectTypes } from './effect.js'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: unknown) => ({ 'application/json': { schema } })
const text = { 'text/plain': { schema: { type: 'string' } } }
const error = (description: string) => ({ description, content: json(ref('Error')) })
const list = (item: string) => ({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref(item) } } })
const q = (name: string, description: string, schema: unknown = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema })
const p = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })
/** The runtime's flags: exactly true or false (absent: false); anything else is 400 API_INVALID_QUERY. */
const bool = { type: 'string', enum: ['true', 'false'] }


/** An operation with the answers of the layers before its route (src/http-auth.ts). */
const op = (o: OpenApiOperation) => withAccessAnswers(o, "no token (AUTH_REQUIRED), or an Authorization header that is not `Bearer <token>` or not this runtime's token (AUTH_INVALID_TOKEN)")
const BAD_QUERY = error('a malformed query parameter (API_INVALID_QUERY)')

const POD = p('name', 'pod name, e.g. web-7f2ab')
const SELECTOR_Q = q('labelSelector', 'Kubernetes label selector, e.g. app=web,tier!=db')
const BAD_SELECTOR = error('the label selector cannot be read (SELECTOR_INVALID)')
const ID = { type: 'string', minLength: 1, maxLength: 512 }
const NAME = { type: 'string', minLength: 1, maxLength: 253 }
const NO_POD = error('no pod has that name (RUNTIME_UNKNOWN_POD)')

const ms = { type: 'number', minimum: 0, maximum: 3_600_000 }
const pct = { type: 'number', minimum: 0, maximum: 100 }
const bytes = { type: 'number', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }
/** A duration in ms up to the longest timer Node keeps. */
const timerMs = { type: 'number', minimum: 0, maximum: 2_147_483_647 }
/** One type of sidecar fault: what every fault has (direction, percent, upstreams) and its own fields. */
const fault = (type: string, required: string[], own: Record<string, unknown>) => ({
  type: 'object',
  required: ['type', 'direction', ...required],
  properties: {
    type: { const: type },
    direction: { type: 'string', enum: ['upstream', 'downstream', 'both'] },
    percent: { ...pct, description: 'the share of connections (tcp) or requests (http) it acts on' },
    upstreams: { type: 'array', items: { type: 'string' }, description: 'only connections to these host:port addresses' },
    ...own,
  },
})

/** stress-ng words: arguments as given, no shell. */
const WORDS = { type: 'array', maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[^\\u0000]*$' } }

/** The body each effect module reads (src/runtime/effects/<type>.ts parse); a test keeps the keys equal to the modules there are. */
export const EFFECT_BODIES: Record<string, unknown> = {
  'container-kill': { type: 'object', properties: { signal: { type: 'string', enum: ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP'] }, pid: { type: 'integer', minimum: 1 } } },
  'pod-failure': { type: 'object' },
  'pod-kill': { type: 'object', properties: { gracePeriodMs: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 } } },
  'sidecar-fault': { type: 'object', required: ['fault'], properties: { fault: ref('Fault') } },
  stress: {
    type: 'object', additionalProperties: false, minProperties: 1,
    description: "stress-ng in the pod's cgroups: cpu and/or memory stressors, or stress-ng's own arguments (checked by stress-ng at apply)",
    properties: {
      cpu: { type: 'object', additionalProperties: false, required: ['workers'], properties: { workers: { type: 'integer', minimum: 1, maximum: 8192 }, load: { type: 'integer', minimum: 0, maximum: 100 }, options: WORDS } },
      memory: {
        type: 'object', additionalProperties: false, required: ['workers', 'size'],
        properties: {
          workers: { type: 'integer', minimum: 1, maximum: 8192 },
          size: { oneOf: [{ type: 'object', additionalProperties: false, required: ['bytes'], properties: { bytes: { type: 'integer', minimum: 1 } } }, { type: 'object', additionalProperties: false, required: ['percent'], properties: { percent: { type: 'number', exclusiveMinimum: 0, maximum: 100 } } }] },
          oomScoreAdj: { type: 'integer', minimum: -1000, maximum: 1000 },
          options: WORDS,
        },
      },
      stressng: { ...WORDS, minItems: 1 },
    },
  },
  'time-offset': {
    type: 'object', required: ['offsetNs', 'clockIds'],
    properties: {
      offsetNs: { type: 'string', pattern: '^-?(0|[1-9][0-9]{0,17})$', description: 'nanoseconds (an int64 as a decimal string)' },
      clockIds: { type: 'array', minItems: 1, maxItems: 10, uniqueItems: true, items: { type: 'string', enum: ['CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW', 'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME', 'CLOCK_REALTIME_ALARM', 'CLOCK_BOOTTIME_ALARM'] } },
    },
  },
  'io-fault': {
    type: 'object', required: ['rules'],
    properties: {
      rules: {
        type: 'array', minItems: 1, maxItems: 64,
        items: {
          type: 'object', required: ['action', 'volumePath', 'percent'],
          description: "an IOChaos rule: action, volumePath, path, methods, percent and the action's fields (src/runtime/effects/io-fault.ts)",
          properties: {
            action: { type: 'string', enum: ['latency', 'fault', 'attrOverride', 'mistake'] },
            volumePath: { type: 'string', minLength: 1, maxLength: 4000 },
            path: { type: 'string', maxLength: 4000 },
            percent: { type: 'integer', minimum: 0, maximum: 100 },
          },
        },
      },
    },
  },
  'dns-fault': {
    type: 'object', required: ['action'],
    properties: {
      action: { type: 'string', enum: ['error', 'random'] },
      patterns: { type: 'array', maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z0-9._?-]{0,252}[A-Za-z0-9._?*-]$' } },
    },
  },
}

/** The document; built on each call (cheap), so tests can change nothing by accident. */
export function runtimeOpenApiDocument(): Record<string, unknown> {
  const types = effectTypes()
  return {
    openapi: '3.1.0',
    info: {
      title: 'chaoscope runtime control API',
      version: VERSION,
      description:
        "The local runtime (`chaoscope up`) on 127.0.0.1: its pods, their logs, the sidecars, and the effects it holds on them (the one boundary the controller acts through). Every call but /healthz carries the runtime's own token (`Authorization: Bearer`, never in the URL), made at each start and kept in $CHAOSCOPE_HOME/runtime.json (0600); with `--auth none` (loopback only) none is asked for. Under `up`, every mutating call writes an entry in the controller's audit log. Errors are JSON {code, message, hint?} with the codes of docs/errors.md. Every request is counted against a rate limit per client address (429 with Retry-After), and a request that declares a body over 1 MiB is refused before it is read (413).",
    },
    servers: [{ url: 'http://127.0.0.1' }],
    security: [{ bearerAuth: [] }],
    paths: {
      '/healthz': { get: op({ summary: 'liveness; the one path without a token', security: [], responses: { 200: { description: 'ok', content: text } } }) },
      '/metrics': {
        get: op({ summary: "Prometheus metrics of the sidecars (and, under `up`, the controller's)", responses: { 200: { description: 'text exposition format', content: text } } }),
      },
      '/runtime/v1/openapi.json': { get: op({ summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } }) },
      '/runtime/v1/pods': {
        get: op({
          summary: 'pods of every service (an external service is one pseudo-pod), by name',
          parameters: [SELECTOR_Q, q('namespace', 'only this namespace')],
          responses: { 200: { description: 'the pods', content: json(list('Pod')) }, 400: BAD_SELECTOR },
        }),
      },
      '/runtime/v1/pods/{name}': {
        parameters: [POD],
        get: op({ summary: 'one pod', responses: { 200: { description: 'the pod', content: json(ref('Pod')) }, 404: NO_POD } }),
      },
      '/runtime/v1/pods/{name}/logs': {
        parameters: [POD],
        get: op({
          summary: 'the lines a pod wrote to stdout and stderr: `<ISO time> <stdout|stderr> <text>` each',
          parameters: [
            q('tail', 'only the last N lines', { type: 'integer', minimum: 0, maximum: 999_999_999 }),
            q('follow', 'true: keep the response open and stream new lines as they are written', bool),
          ],
          responses: { 200: { description: 'the lines', content: text }, 400: BAD_QUERY, 404: NO_POD },
        }),
      },
      '/runtime/v1/sidecars': {
        get: op({
          summary: 'every sidecar proxy with its counters, faults and (while the runtime traces) exemplars',
          parameters: [q('since', 'only the exemplars of requests that ended after this time (ms since the epoch); the rest of each sidecar is whole', { type: 'number', minimum: 0, maximum: 8.64e15 })],
          responses: { 200: { description: 'the sidecars', content: json(list('Sidecar')) }, 400: BAD_QUERY },
        }),
      },
      '/runtime/v1/effects': {
        get: op({
          summary: 'the effects the runtime holds, with what each observed so far',
          parameters: [q('owner', "only this experiment's (owner.experiment)", ID), q('ended', 'true: also the effects that ended recently (15 min, the last 1000)', bool)],
          responses: { 200: { description: 'the effects', content: json(list('HeldEffect')) }, 400: BAD_QUERY },
        }),
        post: op({
          summary: 'apply an effect (idempotent by id)',
          description:
            'A held effect stays until it is removed or until expiresAt, when the runtime removes it by itself. A one-shot effect (pod-kill, container-kill) acts and is done: the answer has what it did. The body is JSON (a body without a content type is read as JSON); any other declared type is refused before it is read, as a page\'s form could send one without a preflight.',
          requestBody: { required: true, content: json(ref('Effect')) },
          responses: {
            200: { description: 'one-shot: what was done', content: json(ref('Done')) },
            201: { description: 'held (again: the same effect under the same id is applied once)', content: json(ref('Held')) },
            400: error('the effect is malformed or not JSON (EFFECT_INVALID, EFFECT_UNKNOWN_TYPE, PROXY_INVALID_FAULT, API_BODY_TOO_DEEP past 100 levels), expires at a time already past (EFFECT_INVALID), or cannot act on its target (RUNTIME_NOT_RUNNABLE)'),
            404: error('its target is not there: RUNTIME_UNKNOWN_POD, RUNTIME_UNKNOWN_EDGE'),
            409: error('a different effect is held under this id (EFFECT_EXISTS)'),
            413: error('the body is larger than 1 MiB (API_BODY_TOO_LARGE)'),
            415: error('the body is declared as a type other than application/json (API_UNSUPPORTED_MEDIA_TYPE)'),
            500: error('the sidecars\' data plane did not answer (PROXY_WORKER_FAILED)'),
          },
        }),
      },
      '/runtime/v1/effects/{id}': {
        parameters: [{ ...p('id', 'the effect id'), schema: ID }],
        delete: op({
          summary: 'remove an effect (idempotent; an effect on a pod that is gone counts as removed)',
          responses: {
            200: { description: 'removed is false when no effect was held under the id', content: json({ type: 'object', required: ['removed'], properties: { removed: { type: 'boolean' } } }) },
            400: error('an id longer than 512 characters (EFFECT_INVALID)'),
            500: error('the sidecars\' data plane did not answer (PROXY_WORKER_FAILED)'),
          },
        }),
      },
      '/runtime/v1/shutdown': {
        post: op({
          summary: 'stop the runtime: every pod gracefully, then the sidecars (`chaoscope down`)',
          responses: { 202: { description: 'stopping, after this answer', content: json({ type: 'object', required: ['stopping'], properties: { stopping: { const: true } } }) } },
        }),
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: "the runtime's token: `token` in $CHAOSCOPE_HOME/runtime.json (0600), new at each start; not a controller token" },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string', description: 'error code, as in docs/errors.md' }, message: { type: 'string' }, hint: { type: 'string' } },
        },
        Pod: {
          type: 'object',
          required: ['namespace', 'name', 'uid', 'service', 'labels', 'annotations', 'phase', 'ready', 'restartCount', 'startTime', 'port'],
          properties: {
            namespace: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' }, service: { type: 'string' },
            labels: { type: 'object', additionalProperties: { type: 'string' } }, annotations: { type: 'object', additionalProperties: { type: 'string' } },
            phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] }, ready: { type: 'boolean' }, restartCount: { type: 'integer', minimum: 0 },
            startTime: { type: 'string', format: 'date-time' }, startedAt: { type: 'string', format: 'date-time' },
            reason: { type: 'string', enum: ['ContainerCreating', 'CrashLoopBackOff', 'PodFailure', 'Terminating', 'CreateContainerConfigError'] }, message: { type: 'string' },
            lastExit: {
              type: 'object',
              required: ['reason', 'exitCode', 'finishedAt'],
              properties: {
                reason: { type: 'string', enum: ['Completed', 'Error', 'Killed', 'OOMKilled', 'ContainerCannotRun'] }, exitCode: { type: 'integer' }, signal: { type: 'string' },
                message: { type: 'string' }, startedAt: { type: 'string', format: 'date-time' }, finishedAt: { type: 'string', format: 'date-time' },
              },
            },
            pid: { type: 'integer', description: 'of the running container (also its process group)' },
            port: { type: 'integer', description: 'the port the pod listens on ($PORT): a loopback port of its own, or its service\'s port in a namespace of its own' },
            podIP: { type: 'string', description: 'the pod\'s address ($POD_IP): its own in a namespace of its own, else 127.0.0.1' },
            hostIP: { type: 'string', description: 'where the pod reaches its egress sidecars' },
            netns: { type: 'string', description: 'its network namespace (ip netns list), when it has one' },
            networkReason: { type: 'string', description: 'why it shares the host network although its service asked for a namespace' },
            limits: { type: 'object', required: ['enforced'], properties: { cpu: { type: 'string' }, memory: { type: 'string' }, enforced: { type: 'boolean' }, reason: { type: 'string' } } },
            cgroups: { type: 'array', items: { type: 'string' } },
            address: { type: 'string', description: "127.0.0.1:<port> of the pod's ingress sidecar: where callers reach it" },
            external: { type: 'string', description: "an external service's pseudo-pod: the address its sidecar fronts" },
            protocol: { type: 'string', enum: ['tcp', 'http'] }, containerPort: { type: 'integer' }, dependencies: { type: 'array', items: { type: 'string' } },
            faultLibrary: { type: 'object', required: ['loaded'], properties: { loaded: { type: 'boolean' }, reason: { type: 'string' } }, description: 'whether the running container loaded the fault library (TimeChaos, IOChaos, DNSChaos act through it), or why not' },
          },
        },
        Sidecar: {
          type: 'object',
          required: ['name', 'mode', 'host', 'port', 'upstreams', 'labels', 'connections', 'bytes', 'received', 'requests', 'latency', 'faults', 'exemplars'],
          properties: {
            name: { type: 'string', description: 'the pod for an ingress sidecar, pod>dependency for an egress one' },
            mode: { type: 'string', enum: ['tcp', 'http'] }, host: { type: 'string' }, port: { type: 'integer' },
            upstreams: { type: 'array', items: { type: 'string' } }, labels: { type: 'object', additionalProperties: { type: 'string' } },
            connections: { type: 'object', properties: { active: { type: 'integer' }, total: { type: 'integer' }, refused: { type: 'integer' } } },
            bytes: { type: 'object', description: 'bytes delivered, after the faults', properties: { upstream: { type: 'integer' }, downstream: { type: 'integer' } } },
            received: { type: 'object', description: 'bytes read from the client (upstream) and the server (downstream), before the faults', properties: { upstream: { type: 'integer' }, downstream: { type: 'integer' } } },
            requests: { type: 'object', description: 'HTTP answers by class (1xx..5xx) and errors', additionalProperties: { type: 'integer' } },
            latency: { type: 'object', properties: { boundsMs: { type: 'array', items: { type: 'number' } }, counts: { type: 'array', items: { type: 'integer' } }, sumMs: { type: 'number' }, count: { type: 'integer' } } },
            faults: { type: 'array', items: { type: 'object', required: ['spec', 'addedAt', 'touched'], properties: { spec: ref('Fault'), addedAt: { type: 'number' }, touched: { type: 'object' } } } },
            exemplars: { type: 'array', description: 'while the runtime traces (OTEL_* env): the newest 56 requests that failed or that a fault acted on, and the 4 slowest others of this second and the one before, oldest end first; empty otherwise', items: ref('Exemplar') },
          },
        },
        Exemplar: {
          type: 'object',
          required: ['traceId', 'spanId', 'sidecar', 'method', 'path', 'status', 'start', 'durationMs', 'faults', 'reason'],
          properties: {
            traceId: { type: 'string', pattern: '^[0-9a-f]{32}$' }, spanId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
            parentSpanId: { type: 'string', pattern: '^[0-9a-f]{16}$', description: "the caller's span, from the incoming traceparent; absent when this hop started the trace" },
            sidecar: { type: 'string' }, source: { type: 'string', description: 'the calling service, or ingress / hostport' }, destination: { type: 'string' },
            method: { type: 'string' }, path: { type: 'string' },
            status: { type: 'integer', description: 'the status the client got; 0: no response' },
            start: { type: 'number', description: 'ms since the epoch' }, durationMs: { type: 'number' },
            faults: { type: 'array', items: { type: 'string' }, description: 'ids of the http faults that acted on it' },
            reason: { type: 'string', enum: ['fault', 'failed', 'slow'] },
          },
        },
        Fault: {
          description: 'a sidecar fault (src/runtime/proxy/toxic.ts): latency, bandwidth, stall, blackhole, reset, slicer, slowClose (tcp or http sidecars), limitData, timeout, reset with timeoutMs (tcp sidecars only) or http (abort, delay, replace, patch; http sidecars only)',
          oneOf: [
            fault('latency', ['latencyMs'], { latencyMs: ms, jitterMs: ms, correlation: pct, reorder: pct, reorderCorrelation: pct, reorderGap: { type: 'number', minimum: 0, maximum: 1_000_000 } }),
            fault('bandwidth', ['rate'], {
              rate: { type: 'number', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'bytes/s' },
              limit: bytes,
              buffer: bytes,
              shape: { type: 'string', enum: ['bucket', 'serialize'], description: 'bucket (default): token bucket with buffer bytes of burst; serialize: each piece (rate/10 bytes at most) leaves size/rate after it arrived or the one before it left (Toxiproxy)' },
            }),
            fault('stall', ['probability'], { probability: pct, rtoMs: ms }),
            fault('blackhole', [], {}),
            fault('reset', [], { timeoutMs: { ...timerMs, description: 'absent: reset at once and at accept; set (tcp only): the first chunk in the direction starts the wait, then both sockets are reset (Toxiproxy reset_peer)' }, finOnExisting: { type: 'boolean', description: 'with timeoutMs: connections open before the fault close with a FIN, as in Toxiproxy' } }),
            fault('slicer', ['averageSize'], {
              averageSize: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'bytes' },
              sizeVariation: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'bytes' },
              delayUs: { type: 'number', minimum: 0, maximum: 2_147_483_647, description: 'microseconds between pieces' },
            }),
            fault('limitData', ['bytes'], { bytes: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'after this many bytes in the direction the connection is closed (tcp only)' } }),
            fault('timeout', ['timeoutMs'], { timeoutMs: { ...timerMs, description: 'data dropped; closed after this long with no data (0: never by time; removal closes; tcp only)' } }),
            fault('slowClose', ['delayMs'], { delayMs: { ...timerMs, description: 'the FIN of the direction is held this long' } }),
            {
              ...fault('http', ['target', 'action'], {
                target: { type: 'string', enum: ['Request', 'Response'], description: 'Request acts on direction upstream, Response on downstream' },
                action: { type: 'string', enum: ['abort', 'delay', 'replace', 'patch'] },
                delayMs: ms,
                match: { type: 'object', properties: { path: { type: 'string' }, method: { type: 'string' }, code: { type: 'integer' }, requestHeaders: { type: 'object' }, responseHeaders: { type: 'object' } } },
                replace: { type: 'object' },
                patch: { type: 'object' },
              }),
              allOf: [
                { if: { properties: { target: { const: 'Request' } } }, then: { properties: { direction: { const: 'upstream' } } }, else: { properties: { direction: { const: 'downstream' } } } },
                { if: { properties: { action: { const: 'delay' } } }, then: { required: ['delayMs'] } },
                { if: { properties: { action: { const: 'replace' } } }, then: { required: ['replace'] } },
                { if: { properties: { action: { const: 'patch' } } }, then: { required: ['patch'] } },
              ],
            },
          ],
        },
        Target: {
          type: 'object',
          required: ['pod'],
          properties: { pod: NAME, edge: { ...NAME, description: "a dependency of the pod's service: its egress sidecar for it; absent: the pod itself" } },
        },
        Owner: {
          type: 'object',
          required: ['experiment', 'record'],
          properties: { controller: { ...ID, description: 'the controller that made it' }, experiment: { ...ID, description: 'experiment uid' }, record: { ...ID, description: 'per-target record key' } },
        },
        Effect: {
          type: 'object',
          required: ['id', 'type', 'target'],
          properties: {
            id: ID,
            type: { type: 'string', enum: types, description: 'the effect module that does the work' },
            target: ref('Target'),
            owner: ref('Owner'),
            expiresAt: { type: 'number', minimum: 0, maximum: 8.64e15, description: 'ms since the epoch at which the runtime removes the effect by itself; a time that is not in the future is refused (400)' },
            body: { type: 'object', description: "the module's own (absent: {}), by type: sidecar-fault {fault}, pod-failure {}, pod-kill {gracePeriodMs?}, container-kill {signal?, pid?}, stress {cpu?, memory?, stressng?}, time-offset {offsetNs, clockIds}, io-fault {rules}, dns-fault {action, patterns}" },
          },
          allOf: Object.entries(EFFECT_BODIES).map(([type, body]) => ({ if: { properties: { type: { const: type } } }, then: { properties: { body } } })),
        },
        HeldEffect: {
          allOf: [
            ref('Effect'),
            {
              type: 'object',
              required: ['appliedAt', 'body'],
              properties: {
                appliedAt: { type: 'number' },
                observed: { type: 'object', description: 'what it has done so far (counters from the data path, the pod state)' },
                ended: { type: 'object', required: ['at', 'reason'], properties: { at: { type: 'number' }, reason: { type: 'string', enum: ['expired', 'removed', 'pod-gone'] } } },
              },
            },
          ],
        },
        Held: { type: 'object', required: ['held', 'effect'], properties: { held: { const: true }, effect: ref('HeldEffect') } },
        Done: { type: 'object', required: ['held', 'result'], properties: { held: { const: false }, result: { type: 'object' } } },
      },
    },
  }
}
