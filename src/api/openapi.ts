/**
 * @module api/openapi: the OpenAPI 3.1 document of the controller API, served at /api/v1/openapi.json. It says
 * what the API does, not what it should: every status an operation answers, the values each query parameter
 * takes (others are 400), the body types it reads, the token it needs and the role; test/e2e/openapi.test.ts holds
 * the API to it with schemathesis, and src/api/openapi.test.ts checks that it names every route of src/api/app.ts
 * (with the token and audit routes the servers mount) and no other.
 */
import { VERSION } from '../version.js'
import { withAccessAnswers } from '../http-auth.js'
import type { OpenApiOperation } from '../http-auth.js'
import { MAX_PAGE } from './paging.js'
import { CONTROLLER_KINDS, plural } from './kinds.js'
import { ROLES } from './auth.js'
import { AUDIT_LIMIT, AUDIT_MAX_LIMIT } from '../store/store.js'
import { JOURNAL_TIME } from './reports.js'
import { REPORT_FORMATS } from '../report/formats.js'
import { REPORT_SCHEMA } from '../report/types.js'
import { ARCHIVE_PAGE } from './archive.js'
import { ASSET_TYPES, DASHBOARD_CSP } from './dashboard.js'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: unknown) => ({ 'application/json': { schema } })
const text = { 'text/plain': { schema: { type: 'string' } } }
const error = (description: string) => ({ description, content: json(ref('Error')) })
const list = (item: string) => ({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref(item) } } })
/** A list that pages (api/paging.ts): `metadata.continue` while more items follow. */
const page = (item: string) => ({
  type: 'object',
  required: ['items', 'metadata'],
  properties: {
    items: { type: 'array', items: ref(item) },
    metadata: { type: 'object', properties: { continue: { type: 'string', description: 'send as `continue`, with the same query, for the next page; absent on the last page' }, remainingItemCount: { type: 'integer', minimum: 0, description: 'items after this page (absent with a label selector)' } } },
  },
})
const q = (name: string, description: string, schema: unknown = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema })
const p = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })
/** A parameter that may be sent empty (`?limit=`): read as if it were absent. */
const qe = (name: string, description: string, schema: unknown) => ({ ...q(name, `${description}; empty: as if absent`, schema), allowEmptyValue: true })
/** A flag: true/1 or false/0 (empty: false); anything else is 400. */
const flag = (name: string, description: string) => ({ ...q(name, `${description} (true or 1, false or 0; empty: false)`, { type: 'boolean' }), allowEmptyValue: true })


const UNAUTHORIZED = 'no token (AUTH_REQUIRED), an Authorization header that is not `Bearer <token>` or a token this server did not issue (AUTH_INVALID_TOKEN), an expired one (AUTH_TOKEN_EXPIRED) or a revoked one (AUTH_TOKEN_REVOKED)'
/** An operation with the answers of the layers before its route (src/http-auth.ts); `forbidden`: why its route refuses a token. */
const op = (o: OpenApiOperation, forbidden?: string) => withAccessAnswers(o, UNAUTHORIZED, forbidden)

// why a route refuses a token that authenticated (src/api/auth.ts allow)
const READ_ANY = 'a token limited to namespaces, asking across every namespace or in another one (AUTH_NAMESPACE_FORBIDDEN)'
const READ_ONE = 'a token limited to other namespaces (AUTH_NAMESPACE_FORBIDDEN)'
const WRITE_ONE = 'a viewer token (AUTH_FORBIDDEN: it takes an operator or admin), or one limited to other namespaces (AUTH_NAMESPACE_FORBIDDEN)'
const ADMIN = 'a token of another role than admin (AUTH_FORBIDDEN)'
// runs and reports span every namespace (a signal is per edge, not per namespace): as a list across all of them
const READ_ALL = 'a token limited to namespaces (AUTH_NAMESPACE_FORBIDDEN): runs and reports span every namespace'
const WRITE_ALL = 'a viewer token (AUTH_FORBIDDEN: it takes an operator or admin), or one limited to namespaces (AUTH_NAMESPACE_FORBIDDEN): runs span every namespace'
const APPLY_FORBIDDEN =
  'a viewer token (AUTH_FORBIDDEN); a token limited to namespaces, for a resource in another one or whose selector reaches pods in another one (AUTH_NAMESPACE_FORBIDDEN); a resource, or a pod its selector reaches, in a namespace outside the server\'s --allowed-namespaces (POLICY_NAMESPACE_NOT_ALLOWED) or in one of its --protected-namespaces (POLICY_NAMESPACE_PROTECTED); nothing was applied'

const ROLE = { type: 'string', enum: [...ROLES], description: 'viewer reads; operator also creates, pauses, resumes and deletes; admin also manages tokens and reads the audit log' }
// what POST /api/v1/tokens takes (src/api/app.ts): names, namespaces, and `expires` as whole days or a Go duration
const TOKEN_NAME = '^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$'
const NAMESPACE_NAME = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
const EXPIRES = '^(|[0-9]{1,5}d|[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+))$'

const KIND_PARAM = {
  ...p('kind', 'resource type: Kind, singular, plural or short name, any case (networkchaos, NetworkChaos, nc); another is 422 SPEC_UNKNOWN_KIND'),
  schema: { type: 'string', examples: CONTROLLER_KINDS.map(plural) },
}
const ONE = [p('namespace', 'namespace of the resource'), KIND_PARAM, p('name', 'name of the resource')]
const PAGE_Q = [
  qe('limit', 'at most this many items (default 500)', { type: 'integer', minimum: 1, maximum: MAX_PAGE }),
  q('continue', 'metadata.continue of the page before, sent with the same other parameters (empty: the first page)'),
]
const SELECTOR_Q = q('labelSelector', 'Kubernetes label selector, e.g. app=web,tier!=db')
const LIST_Q = [q('kind', 'only this resource type ("all" or absent: every type)'), q('namespace', 'only this namespace'), SELECTOR_Q]
const SINCE_Q = qe('sinceId', 'only events with a greater id', { type: 'integer', minimum: 0 })

/** The asset names `/assets/{file}` serves: a plain file name of one of the asset types. */
const ASSET_FILE = `^[A-Za-z0-9_-][A-Za-z0-9._-]*\\.(${Object.keys(ASSET_TYPES).map((e) => e.slice(1)).join('|')})$`
const NO_RUNTIME = error('no runtime, or it does not answer (RUNTIME_NOT_RUNNING)')

const BAD_QUERY = error('a malformed query parameter (API_INVALID_QUERY): a label selector, flag, number, limit or continue token')
const UNKNOWN_KIND = error('an unknown resource type (SPEC_UNKNOWN_KIND, with the closest known one)')
const NOT_FOUND = error('no such resource (CONTROLLER_NOT_FOUND)')
const DELETING = error('the resource is being deleted (CONTROLLER_DELETING)')
const STOPPED = error('the controller is stopping (CONTROLLER_STOPPED), or its runtime does not answer (RUNTIME_NOT_RUNNING)')
const WRITE_FAILED = error('the state database refused the write (STORE_WRITE_FAILED); nothing of it was kept')

const EXAMPLE_SUMMARY = 'a NetworkChaos: 100 ms more on the calls to the pods labelled app=web, for 30 s'
const EXAMPLE = {
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'NetworkChaos',
  metadata: { name: 'web-delay' },
  spec: { action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'web' } }, delay: { latency: '100ms' }, duration: '30s' },
}

/** The body of the routes that read documents: YAML (several, separated by ---) or JSON, of this schema, with the example. */
function manifestBody(schema: object) {
  const types = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'application/json']
  return { required: true, content: Object.fromEntries(types.map((t) => [t, { schema, examples: { delay: { summary: EXAMPLE_SUMMARY, value: EXAMPLE } } }])) }
}
const JOURNAL_EXAMPLE_SUMMARY = 'a run of Chaos Toolkit whose steady state held before and after the method'
const JOURNAL_EXAMPLE = {
  'chaoslib-version': '1.44.0',
  experiment: { title: 'front survives a slow back', 'steady-state-hypothesis': { title: 'front answers', probes: [{ type: 'probe', name: 'front-ok', tolerance: 200, provider: { type: 'http', url: 'http://127.0.0.1:8080/' } }] }, method: [] },
  start: '2026-12-04T21:15:42.123456',
  end: '2026-12-04T21:16:12.654321',
  status: 'completed',
  deviated: false,
  steady_states: {
    before: { steady_state_met: true, probes: [{ activity: { type: 'probe', name: 'front-ok' }, status: 'succeeded', tolerance_met: true, output: 200, start: '2026-12-04T21:15:42.200000' }] },
    during: [],
    after: { steady_state_met: true, probes: [{ activity: { type: 'probe', name: 'front-ok' }, status: 'succeeded', tolerance_met: true, output: 200, start: '2026-12-04T21:16:12.500000' }] },
  },
  run: [],
  rollbacks: [],
}

// the journal's steady states as the report reads them (src/api/reports.ts checkJournal)
const JOURNAL_STEADY_STATE = {
  type: 'object',
  required: ['probes'],
  properties: {
    steady_state_met: { type: ['boolean', 'null'] },
    probes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['activity'],
        properties: {
          activity: { type: 'object' },
          start: { type: 'string' },
          chaoscope: { type: 'object', properties: { observed: { type: ['string', 'null'] }, expected: { type: ['string', 'null'] } } },
        },
      },
    },
  },
}

// the parts of a report (src/report/types.ts)
const num = { type: ['number', 'null'] }
const PHASE = { type: 'object', required: ['requests', 'errorRate', 'p99Ms'], properties: { requests: { type: 'number' }, errorRate: num, p99Ms: num } }
const EDGE = {
  type: 'object',
  required: ['id', 'source', 'destination', 'affected', 'points', 'baseline', 'tolerance', 'recovery'],
  properties: {
    id: { type: 'string', description: 'source→destination' }, source: { type: 'string' }, destination: { type: 'string' }, affected: { type: 'boolean' },
    points: {
      type: 'array',
      items: { type: 'object', required: ['t', 'rps', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms'], properties: { t: { type: 'integer', description: 'start of the step, epoch ms' }, rps: { type: 'number' }, errorRate: num, p50Ms: num, p95Ms: num, p99Ms: num } },
    },
    baseline: { oneOf: [{ type: 'object', required: ['rps', 'errorRate', 'p99Ms'], properties: { rps: { type: 'number' }, errorRate: { type: 'number' }, p99Ms: num } }, { type: 'null' }], description: 'signals before the first fault' },
    tolerance: { oneOf: [{ type: 'object', required: ['p99Ms', 'errorRate', 'basis'], properties: { p99Ms: num, errorRate: { type: 'number' }, basis: { type: 'string' } } }, { type: 'null' }] },
    recovery: {
      type: 'array',
      items: {
        type: 'object',
        required: ['faultId', 'faultEnd', 'recoveredAt', 'secondsToRecover', 'trafficAfter'],
        properties: {
          faultId: { type: 'string' }, faultEnd: { type: 'string', format: 'date-time' }, recoveredAt: { type: ['string', 'null'] }, secondsToRecover: num,
          trafficAfter: { type: 'boolean', description: 'false: no traffic after the fault ended, so its recovery is unknown' },
        },
      },
    },
  },
}
const SERVICE = {
  type: 'object',
  required: ['service', 'requests', 'before', 'during', 'after', 'secondsToRecover', 'recoveryUnknown', 'affected'],
  properties: { service: { type: 'string' }, requests: { type: 'number' }, before: PHASE, during: PHASE, after: PHASE, secondsToRecover: num, recoveryUnknown: { type: 'boolean' }, affected: { type: 'boolean' } },
}
const FAULT = {
  type: 'object',
  required: ['id', 'experiment', 'action', 'targets', 'services', 'start', 'end'],
  properties: {
    id: { type: 'string', description: 'Kind/namespace/name#n' },
    experiment: { type: 'object', required: ['kind', 'namespace', 'name'], properties: { kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } } },
    action: { type: ['string', 'null'] }, targets: { type: 'array', items: { type: 'string' } }, services: { type: 'array', items: { type: 'string' } },
    start: { type: 'string', format: 'date-time' }, end: { type: ['string', 'null'], description: 'null while still active at the end of the range' },
  },
}
const VERDICT = { type: 'string', enum: ['passed', 'deviated', 'deviated-during', 'failed', 'aborted', 'interrupted', 'not-tested'] }
const RUN = {
  type: 'object',
  required: ['title', 'experiment', 'startedAt', 'endedAt', 'status', 'deviated', 'verdict', 'hypothesis', 'score'],
  properties: {
    title: { type: 'string' }, experiment: { type: 'string' }, startedAt: { type: 'string' }, endedAt: { type: 'string' }, status: { type: 'string' }, deviated: { type: 'boolean' }, verdict: VERDICT,
    hypothesis: {
      type: 'array',
      items: {
        type: 'object',
        required: ['phase', 'at', 'met', 'probes'],
        properties: {
          phase: { type: 'string', enum: ['before', 'during', 'after'] }, at: { type: 'string' }, met: { type: 'boolean' },
          probes: { type: 'array', items: { type: 'object', required: ['name', 'met', 'ran', 'observed', 'expected'], properties: { name: { type: 'string' }, met: { type: 'boolean' }, ran: { type: 'boolean' }, observed: { type: ['string', 'null'] }, expected: { type: ['string', 'null'] } } } },
        },
      },
    },
    score: {
      type: 'object',
      required: ['value', 'formula', 'inputs'],
      properties: {
        value: { type: 'number', minimum: 0, maximum: 100 }, formula: { type: 'string' },
        inputs: { type: 'array', items: { type: 'object', required: ['probe', 'weight', 'checks', 'passed'], properties: { probe: { type: 'string' }, weight: { type: 'number' }, checks: { type: 'integer' }, passed: { type: 'integer' } } } },
      },
    },
  },
}
const TRACE = {
  type: 'object',
  required: ['traceId', 'at', 'why', 'spans'],
  properties: {
    traceId: { type: 'string' }, at: { type: 'string' }, why: { type: 'string', enum: ['failed', 'slowest'] },
    spans: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spanId', 'parentSpanId', 'sidecar', 'source', 'destination', 'method', 'path', 'status', 'startOffsetMs', 'durationMs', 'faults'],
        properties: {
          spanId: { type: 'string' }, parentSpanId: { type: ['string', 'null'] }, sidecar: { type: 'string' }, source: { type: 'string' }, destination: { type: 'string' },
          method: { type: 'string' }, path: { type: 'string' }, status: { type: 'integer', description: '0: no response' }, startOffsetMs: { type: 'number' }, durationMs: { type: 'number' },
          faults: { type: 'array', items: { type: 'string' }, description: 'ids of the faults that acted on this hop' },
        },
      },
    },
  },
}

/** The document; built on each call (cheap), so tests can change nothing by accident. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'chaoscope controller API',
      version: VERSION,
      description:
        'Chaos Mesh resources applied to the local runtime: apply, list, inspect, pause, resume and delete experiments; the archive of finished ones; pods and their logs; runs and their reports; tokens and the audit log; and the web dashboard (/ and /assets/). Every call but /healthz and the dashboard\'s page and assets carries a token (`Authorization: Bearer`, never in the URL): its role says what it may do (viewer reads; operator also applies, pauses, resumes and deletes; admin also manages tokens and reads the audit log) and its namespaces where; with `--auth none` (loopback only) every caller is an admin. Every mutating call, refused ones too, writes an audit entry. Errors are JSON {code, message, hint?, issues?} with the codes of the CLI (docs/errors.md). Every request is counted against a rate limit per client address (429 with Retry-After), and a request that declares a body over 1 MiB is refused before it is read (413).',
    },
    servers: [{ url: 'http://127.0.0.1' }],
    security: [{ bearerAuth: [] }],
    paths: {
      '/api/v1/resources': {
        post: op({
          summary: 'apply one or more resources (all or nothing)',
          description:
            'The body is YAML (several documents separated by ---) or JSON, of at most 1 MiB, nesting at most 100 levels; a body without a content type is read as either. Every document is validated; if any is invalid or refused by the controller (immutable spec, kind the runtime cannot run, selector matching no pod), nothing is applied and every problem is returned.',
          parameters: [flag('dryRun', 'validate and plan only; change nothing'), q('file', 'file name to use in issue positions')],
          requestBody: manifestBody(ref('Manifest')),
          responses: {
            200: { description: 'applied (configured or unchanged), or planned with dryRun', content: json(ref('ApplyResponse')) },
            201: { description: 'applied, at least one resource created', content: json(ref('ApplyResponse')) },
            400: error('the body cannot be read (YAML syntax, empty, not a mapping), nests deeper than 100 levels (API_BODY_TOO_DEEP), or a malformed dryRun'),
            409: error('a resource of the body is being deleted (CONTROLLER_DELETING); nothing was applied'),
            413: error('the body is larger than 1 MiB (API_BODY_TOO_LARGE)'),
            415: error('the body is declared as a type other than YAML, JSON or text (API_UNSUPPORTED_MEDIA_TYPE)'),
            422: error('a document is invalid or refused; issues lists each problem with its position'),
            500: error('the state database refused the write (STORE_WRITE_FAILED), or the worker validating a large body failed (API_VALIDATOR_FAILED); nothing was applied'),
            503: STOPPED,
          },
        }, APPLY_FORBIDDEN),
        get: op({
          summary: 'list resources, one page',
          parameters: [...LIST_Q, ...PAGE_Q],
          responses: { 200: { description: 'the resources, by kind, namespace and name', content: json(page('Object')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }, READ_ANY),
      },
      '/api/v1/validate': {
        post: op({
          summary: 'validate and plan resources, changing nothing: the problems as data',
          description:
            'What POST /api/v1/resources?dryRun=true checks (the same body, validation and admission), answered 200 either way: `valid`, every problem in `issues` with its position, and with none the plan in `items`. For editors that check while someone types: no audit row is written.',
          parameters: [q('file', 'file name to use in issue positions')],
          // any document is a request this answers: one that breaks the Manifest schema is answered with its issues
          requestBody: manifestBody({ description: 'one or more documents to check, valid or not (the Manifest schema is what they are checked against)' }),
          responses: {
            200: { description: 'checked: valid with the plan, or the issues', content: json(ref('ValidateResponse')) },
            400: error('the body holds no resource (SPEC_NO_INPUT) or nests deeper than 100 levels (API_BODY_TOO_DEEP)'),
            413: error('the body is larger than 1 MiB (API_BODY_TOO_LARGE)'),
            415: error('the body is declared as a type other than YAML, JSON or text (API_UNSUPPORTED_MEDIA_TYPE)'),
            500: error('the worker validating a large body failed (API_VALIDATOR_FAILED)'),
            503: STOPPED,
          },
        }, APPLY_FORBIDDEN),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}': {
        parameters: ONE,
        get: op({
          summary: 'one resource with its status',
          parameters: [flag('refresh', "first read the evidence of its active records from the runtime's effects")],
          responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 400: BAD_QUERY, 404: NOT_FOUND, 422: UNKNOWN_KIND, 503: STOPPED },
        }, READ_ONE),
        delete: op({
          summary: 'delete: recover every target, then remove the resource',
          parameters: [flag('wait', 'answer once the targets are recovered and the resource is gone (default true)'), q('timeoutSeconds', 'wait at most this long', { type: 'number', exclusiveMinimum: 0 })],
          responses: {
            200: { description: 'deletion started, or done (gone)', content: json(ref('DeleteResponse')) },
            400: BAD_QUERY,
            404: NOT_FOUND,
            422: UNKNOWN_KIND,
            500: WRITE_FAILED,
            503: STOPPED,
          },
        }, WRITE_ONE),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/pause': {
        parameters: ONE,
        post: op({
          summary: 'pause (annotation experiment.chaos-mesh.org/pause: "true"); answers once its faults are recovered',
          responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: NOT_FOUND, 409: DELETING, 422: UNKNOWN_KIND, 500: WRITE_FAILED, 503: STOPPED },
        }, WRITE_ONE),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/resume': {
        parameters: ONE,
        post: op({
          summary: 'resume a paused resource; answers once its faults are injected again (while its duration lasts)',
          responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: NOT_FOUND, 409: DELETING, 422: UNKNOWN_KIND, 500: WRITE_FAILED, 503: STOPPED },
        }, WRITE_ONE),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/events': {
        parameters: ONE,
        get: op({
          summary: 'events of one resource, one page (also of one that is gone: by kind, namespace and name)',
          parameters: [SINCE_Q, ...PAGE_Q],
          responses: { 200: { description: 'events, oldest first', content: json(page('Event')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }, READ_ONE),
      },
      '/api/v1/events': {
        get: op({
          summary: 'events, one page',
          parameters: [q('kind', 'resource type'), q('namespace', 'namespace'), q('name', 'resource name'), q('uid', 'resource uid'), SINCE_Q, ...PAGE_Q],
          responses: { 200: { description: 'events, oldest first', content: json(page('Event')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }, READ_ANY),
      },
      '/api/v1/pods': {
        get: op({
          summary: 'pods of the local runtime',
          parameters: [q('namespace', 'only this namespace'), SELECTOR_Q],
          responses: { 200: { description: 'the pods', content: json(list('Pod')) }, 400: BAD_QUERY, 503: error('no runtime, or it does not answer (RUNTIME_NOT_RUNNING)') },
        }, READ_ANY),
      },
      '/api/v1/pods/{name}/logs': {
        parameters: [p('name', 'name of the pod')],
        get: op({
          summary: "a pod's log lines, oldest first: `<time> <stream> <text>` each",
          parameters: [qe('tail', 'only the last this many lines (default: every line the runtime keeps)', { type: 'integer', minimum: 0, maximum: 999_999_999 })],
          responses: {
            200: { description: 'the lines', content: text },
            400: error('tail is not a whole number (API_INVALID_QUERY)'),
            404: error('no pod has that name (RUNTIME_UNKNOWN_POD)'),
            503: NO_RUNTIME,
          },
        }, READ_ONE),
      },
      '/api/v1/archive': {
        get: op({
          summary: 'finished (deleted) experiments, the newest finished first, one page; without their records and events',
          parameters: [
            q('kind', 'only this resource type ("all" or absent: every type)'),
            q('namespace', 'only this namespace'),
            qe('limit', `at most this many items (default ${ARCHIVE_PAGE})`, { type: 'integer', minimum: 1, maximum: MAX_PAGE }),
            q('continue', 'metadata.continue of the page before, sent with the same other parameters (empty: the first page)'),
          ],
          responses: { 200: { description: 'the archived experiments', content: json(page('ArchivedSummary')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }, READ_ANY),
      },
      '/api/v1/archive/{uid}': {
        parameters: [p('uid', 'uid of the experiment (metadata.uid)')],
        get: op({
          summary: 'one finished experiment with its records and events',
          responses: { 200: { description: 'the archived experiment', content: json(ref('Archived')) }, 404: error('no archived experiment has that uid (CONTROLLER_NOT_FOUND)') },
        }, READ_ONE),
      },
      '/api/v1/watch': {
        get: op({
          summary: 'server-sent events: one `change` event per change of a resource or new event',
          parameters: LIST_Q,
          responses: {
            200: {
              description:
                'an event stream: `ready` first, then `change` events with JSON data (`id` counts the changes the server has seen, one sequence for every watcher) and `: keep-alive` comments; a watcher that reads too slowly gets a last `dropped` event, data `{reason, message, lastId, limits}`, and the stream ends: list again, then watch again',
              content: { 'text/event-stream': { schema: ref('WatchEvent') } },
            },
            400: BAD_QUERY,
            422: UNKNOWN_KIND,
          },
        }, READ_ANY),
      },
      '/api/v1/tokens': {
        post: op({
          summary: 'create a token (admin): its text is in this answer only, the server keeps its SHA-256',
          description: 'A live token of the same name is a conflict; a revoked or expired one is replaced. The body is JSON of at most 64 KiB.',
          requestBody: { required: true, content: json(ref('TokenRequest')) },
          responses: {
            201: { description: 'the token, with its text', content: json(ref('TokenCreated')) },
            400: error('the body is not a JSON object {name, role, namespaces?, expires?}, a field is malformed (API_INVALID_QUERY), or it nests deeper than 100 levels (API_BODY_TOO_DEEP)'),
            409: error('a live token has that name (AUTH_TOKEN_EXISTS)'),
            413: error('the body is larger than 64 KiB (API_BODY_TOO_LARGE)'),
            415: error('the body is declared as a type other than application/json (API_UNSUPPORTED_MEDIA_TYPE)'),
            500: WRITE_FAILED,
          },
        }, ADMIN),
        get: op({ summary: 'every token (admin), by name; never their text', responses: { 200: { description: 'the tokens', content: json(list('Token')) } } }, ADMIN),
      },
      '/api/v1/tokens/{name}': {
        parameters: [p('name', 'name of the token')],
        delete: op({
          summary: 'revoke a token (admin): it is refused from now on (AUTH_TOKEN_REVOKED); its row stays, for the audit log',
          responses: {
            200: { description: 'revoked is false when it was revoked already (the first time stays)', content: json(ref('Revoked')) },
            404: error('no token has that name (AUTH_TOKEN_NOT_FOUND)'),
            500: WRITE_FAILED,
          },
        }, ADMIN),
      },
      '/api/v1/audit': {
        get: op({
          summary: 'the audit log (admin), oldest first: one entry per mutating call, refused ones too',
          description: 'The log is append-only: no route changes or removes an entry. `format=jsonl` or `Accept: application/x-ndjson` answers one entry per line.',
          parameters: [
            qe('since', 'only entries at or after this ISO time (2026-12-04T10:00:00Z)', { type: 'string' }),
            qe('until', 'only entries at or before this ISO time', { type: 'string' }),
            q('actor', 'only the calls of this token name (`-`: unauthenticated ones)'),
            qe('afterId', 'only entries with a greater id', { type: 'integer', minimum: 0, maximum: 999_999_999 }),
            qe('limit', `at most this many entries (default ${AUDIT_LIMIT}; above ${AUDIT_MAX_LIMIT}: ${AUDIT_MAX_LIMIT})`, { type: 'integer', minimum: 0, maximum: 999_999_999 }),
            qe('format', '`jsonl`: one entry as JSON per line (application/x-ndjson); `json`: the JSON list (also when Accept asks for x-ndjson); another value is 400', { type: 'string', enum: ['json', 'jsonl'] }),
          ],
          responses: {
            200: {
              description: 'the entries',
              content: { ...json(list('AuditEntry')), 'application/x-ndjson': { schema: { type: 'string', description: 'one AuditEntry as JSON per line' } } },
            },
            400: error('since or until is not a time, or afterId or limit not a whole number (API_INVALID_QUERY)'),
          },
        }, ADMIN),
      },
      '/api/v1/runs': {
        post: op({
          summary: 'keep the journal of a Chaos Toolkit run (what `chaoscope run` posts), for reports',
          description:
            'The body is the journal.json that `chaoscope run` or `chaos run` wrote, as JSON (a body without a content type is read as JSON), nesting at most 100 levels. It is kept whole; the report reads experiment.title, start, end, status, deviated and steady_states, and they are checked first: a journal it could not read is refused, so that it never breaks a report later. Times without a zone are UTC, as Chaos Toolkit writes them.',
          requestBody: { required: true, content: { 'application/json': { schema: ref('Journal'), examples: { run: { summary: JOURNAL_EXAMPLE_SUMMARY, value: JOURNAL_EXAMPLE } } } } },
          responses: {
            201: { description: 'kept: the run as GET /api/v1/runs lists it, without its journal', content: json(ref('RunRecord')) },
            400: error('the body is not JSON, or not a journal: experiment.title, start (a time), status (a string or null) or steady_states (before, during, after) missing or malformed (REPORT_INVALID_JOURNAL), or it nests deeper than 100 levels (API_BODY_TOO_DEEP)'),
            413: error('the body declares more than 1 MiB, or is read past 4 MiB (API_BODY_TOO_LARGE)'),
            415: error('the body is declared as a type other than application/json (API_UNSUPPORTED_MEDIA_TYPE)'),
            500: WRITE_FAILED,
          },
        }, WRITE_ALL),
        get: op({
          summary: 'the kept runs, in the order they ended: the newest `limit` of those the query picks',
          parameters: [
            q('experiment', 'only the runs of this experiment (its title, or the name `chaoscope run` gave it); empty: every one'),
            qe('since', 'only runs that ended at or after this ISO time (2026-12-04T10:00:00Z)', { type: 'string' }),
            qe('until', 'only runs that ended before this ISO time', { type: 'string' }),
            qe('limit', 'at most this many runs (default 100)', { type: 'integer', minimum: 0, maximum: 999_999 }),
            flag('journal', 'with each run its whole journal'),
          ],
          responses: {
            200: { description: 'the runs', content: json(ref('RunList')) },
            400: error('since or until is not a time, limit not a whole number, or journal not a flag (API_INVALID_QUERY)'),
          },
        }, READ_ALL),
      },
      '/api/v1/report': {
        get: op({
          summary: 'the report of a time range, or of one run: fault windows, traffic per edge, impact per service, runs and scores',
          description:
            'What the controller recorded in the range (at most 7 days): the fault windows of its experiments (live and deleted ones), the signals its sidecars counted each second, the request traces they kept, and the runs posted to /api/v1/runs. With `run` and no range: that run, from a minute before it (the baseline) to 5 s after it. `format=json` is the report as data (schema chaoscope.report/v1, what `chaoscope report -o report.json` writes); `html` one self-contained page; `md` Markdown.',
          parameters: [
            qe('since', 'the range ends now (or at `to`) and starts this long before: a duration like 15m, 2h or 90s', { type: 'string', examples: ['15m'] }),
            qe('from', 'the range starts at this ISO time (2026-12-04T10:00:00Z); not with since', { type: 'string' }),
            qe('to', 'the range ends at this ISO time (default now)', { type: 'string' }),
            qe('run', 'only this run (its id); without a range, over its own window', { type: 'integer', minimum: 0, maximum: 999_999_999_999 }),
            q('title', "the report's title (default: the run's title with one run, else `chaoscope report`)"),
            qe('format', 'json (default), html or md', { type: 'string', enum: [...REPORT_FORMATS] }),
          ],
          responses: {
            200: {
              description: 'the report',
              content: {
                ...json(ref('Report')),
                'text/html': { schema: { type: 'string', description: 'a self-contained page: inline styles and SVG charts, no script, nothing fetched' } },
                'text/markdown': { schema: { type: 'string' } },
              },
            },
            400: error('no range, a range that cannot be read, is empty, or is longer than 7 days (REPORT_INVALID_RANGE); or run not a whole number, or format not json, html or md (API_INVALID_QUERY)'),
            404: error('no run has that id (REPORT_RUN_NOT_FOUND)'),
          },
        }, READ_ALL),
      },
      '/api/v1/whoami': {
        get: op({ summary: "the caller: its token's name, role and namespaces", responses: { 200: { description: 'the caller', content: json(ref('Whoami')) } } }),
      },
      '/api/v1/openapi.json': { get: op({ summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } }) },
      '/metrics': { get: op({ summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format', content: text } } }, READ_ANY) },
      '/healthz': { get: op({ summary: 'liveness; without a token', security: [], responses: { 200: { description: 'ok', content: text } } }) },
      '/': {
        get: op({
          summary: 'the web dashboard (without a token: the page asks for one, and sends it in Authorization to /api/v1)',
          description: `Cache-Control: no-cache. The page's Content-Security-Policy: ${DASHBOARD_CSP}. A page of another site cannot load it (the Host and Origin rules).`,
          security: [],
          responses: {
            200: { description: 'the page', content: { 'text/html': { schema: { type: 'string' } } } },
            503: error('the dashboard is not built (API_NOT_FOUND, with the hint `npm run build`)'),
          },
        }),
      },
      '/assets/{file}': {
        parameters: [{ ...p('file', `a file of the dashboard's build: ${Object.keys(ASSET_TYPES).join(' ')}`), schema: { type: 'string', pattern: ASSET_FILE } }],
        get: op({
          summary: "a file of the dashboard's build (without a token)",
          description: 'Cache-Control: public, max-age=31536000, immutable for a name that carries a content hash (main-5HBKQ2DX.js), else no-cache.',
          security: [],
          responses: {
            200: {
              description: 'the file',
              content: Object.fromEntries([...new Set(Object.values(ASSET_TYPES).map((t) => t.split(';')[0]!))].map((t) => [t, { schema: { type: 'string', ...(t.startsWith('text/') || t.endsWith('json') || t.endsWith('xml') ? {} : { format: 'binary' }) } }])),
            },
            404: error('no such file in the build, or a name that is not a plain file name of a known type (API_NOT_FOUND)'),
          },
        }),
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'a token printed by `chaoscope token create`, or the local admin token in $CHAOSCOPE_HOME/token (0600)' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string', description: 'error code, as in docs/errors.md' }, message: { type: 'string' }, hint: { type: 'string' }, issues: { type: 'array', items: ref('Issue') } },
        },
        TokenRequest: {
          type: 'object',
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', pattern: TOKEN_NAME, description: '1 to 63 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit' },
            role: ROLE,
            namespaces: { type: 'array', maxItems: 100, items: { type: 'string', pattern: NAMESPACE_NAME }, description: 'the namespaces it may act in (absent or []: every namespace)' },
            expires: {
              type: ['string', 'null'],
              pattern: EXPIRES,
              description: 'it expires this long after now: whole days (30d) or a Go duration (12h, 90m); absent, null or empty: never',
              examples: ['30d', '12h'],
            },
          },
        },
        Token: {
          type: 'object',
          required: ['name', 'role', 'namespaces', 'state', 'createdAt'],
          properties: {
            name: { type: 'string' },
            role: ROLE,
            namespaces: { type: 'array', items: { type: 'string' }, description: 'the namespaces it may act in ([]: every namespace)' },
            state: { type: 'string', enum: ['active', 'expired', 'revoked'] },
            createdAt: { type: 'string', format: 'date-time' },
            createdBy: { type: 'string', description: 'the token that created it' },
            expiresAt: { type: 'string', format: 'date-time' },
            revokedAt: { type: 'string', format: 'date-time' },
            lastUsedAt: { type: 'string', format: 'date-time', description: 'to the minute: a use is written at most once a minute per token' },
          },
        },
        TokenCreated: {
          allOf: [
            ref('Token'),
            { type: 'object', required: ['token'], properties: { token: { type: 'string', pattern: '^chs_[A-Za-z0-9_-]{43}$', description: 'send as `Authorization: Bearer <token>`; shown this once' } } },
          ],
        },
        Revoked: {
          type: 'object',
          required: ['name', 'revoked', 'state'],
          properties: { name: { type: 'string' }, revoked: { type: 'boolean' }, state: { type: 'string', enum: ['active', 'expired', 'revoked'] } },
        },
        AuditEntry: {
          type: 'object',
          required: ['id', 'time', 'actor', 'remote', 'method', 'path', 'action', 'target', 'namespace', 'status'],
          properties: {
            id: { type: 'integer', minimum: 1 },
            time: { type: 'string', format: 'date-time' },
            actor: { type: 'string', description: 'the token name (`-`: none that authenticated)' },
            role: { type: 'string', enum: [...ROLES] },
            remote: { type: 'string', description: 'the client address' },
            method: { type: 'string' },
            path: { type: 'string' },
            action: { type: 'string', description: 'apply, apply (dry run), delete, pause, resume, token create, token revoke; effect apply, effect remove, runtime shutdown for the runtime\'s control API under `up`' },
            target: { type: 'string', description: 'what it acted on: Kind/namespace/name (several separated by spaces), token/name' },
            namespace: { type: 'string', description: 'the namespaces it acted in, separated by spaces' },
            status: { type: 'integer', description: 'the HTTP status answered' },
            code: { type: 'string', description: 'the error code, when refused or failed' },
          },
        },
        Whoami: {
          type: 'object',
          required: ['name', 'role', 'namespaces'],
          properties: { name: { type: 'string' }, role: ROLE, namespaces: { type: 'array', items: { type: 'string' }, description: '[]: every namespace' } },
        },
        Journal: {
          type: 'object',
          description: "a Chaos Toolkit journal (chaostoolkit-lib's journal.json); kept whole, other fields too",
          required: ['experiment', 'start', 'status', 'steady_states'],
          properties: {
            experiment: {
              type: 'object',
              required: ['title'],
              properties: {
                title: { type: 'string' },
                'steady-state-hypothesis': { type: ['object', 'null'], properties: { probes: { type: ['array', 'null'], items: { type: 'object' } } } },
                extensions: { description: 'an entry {name: "chaoscope", experiment} names the experiment the run belongs to (default: its title)' },
              },
            },
            start: { type: 'string', pattern: JOURNAL_TIME, description: 'an ISO time, years 0000 to 9999; without a zone: UTC', examples: ['2026-12-04T21:15:42.123456'] },
            end: { type: ['string', 'null'], pattern: JOURNAL_TIME, description: 'as start; absent or null: the start', examples: ['2026-12-04T21:16:12.654321'] },
            status: { type: ['string', 'null'], description: 'completed, failed, aborted or interrupted; null: interrupted', examples: ['completed'] },
            deviated: { type: 'boolean', description: 'the steady state did not hold after the method' },
            steady_states: {
              type: 'object',
              required: ['during'],
              properties: { before: { oneOf: [JOURNAL_STEADY_STATE, { type: 'null' }] }, during: { type: 'array', items: JOURNAL_STEADY_STATE }, after: { oneOf: [JOURNAL_STEADY_STATE, { type: 'null' }] } },
            },
          },
        },
        RunRecord: {
          type: 'object',
          required: ['id', 'experiment', 'title', 'startedAt', 'endedAt', 'status', 'deviated'],
          properties: {
            id: { type: 'integer', minimum: 1, description: 'GET /api/v1/report?run=<id> reports it' },
            experiment: { type: 'string', description: 'groups the runs of one experiment for the score history' },
            title: { type: 'string' },
            startedAt: { type: 'string', format: 'date-time' },
            endedAt: { type: 'string', format: 'date-time' },
            status: { type: 'string', description: 'completed, failed, aborted or interrupted' },
            deviated: { type: 'boolean' },
            createdBy: { type: 'string', description: 'the token that posted it (in lists)' },
            journal: { type: 'object', description: 'the journal as posted (in lists, with journal=true)' },
          },
        },
        RunList: list('RunRecord'),
        Report: {
          type: 'object',
          description: 'a report as data (src/report/types.ts): times are ISO 8601 (UTC) but series points, epoch ms; latencies ms, rates per second, error rates fractions (0..1)',
          required: ['schema', 'title', 'generatedAt', 'range', 'stepSeconds', 'edges', 'services', 'faults', 'runs', 'history', 'trace', 'notes'],
          properties: {
            schema: { const: REPORT_SCHEMA },
            title: { type: 'string' },
            generatedAt: { type: 'string', format: 'date-time' },
            range: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } },
            stepSeconds: { type: 'integer', minimum: 1, description: 'seconds per series point' },
            edges: { type: 'array', items: EDGE, description: 'one per traffic edge (a sidecar\'s source → destination) that carried requests' },
            services: { type: 'array', items: SERVICE, description: 'one per service (an edge\'s destination), in order of impact' },
            faults: { type: 'array', items: FAULT, description: 'every fault active at some moment of the range, in start order' },
            runs: { type: 'array', items: RUN },
            history: {
              type: 'array',
              description: 'the score across runs, per experiment of runs',
              items: {
                type: 'object',
                required: ['experiment', 'runs', 'mean', 'trend'],
                properties: {
                  experiment: { type: 'string' },
                  runs: { type: 'array', items: { type: 'object', required: ['at', 'score', 'verdict'], properties: { at: { type: 'string' }, score: { type: 'number' }, verdict: VERDICT } } },
                  mean: { type: 'number' },
                  trend: { type: ['number', 'null'], description: 'the latest score minus the one before it; null with one run' },
                },
              },
            },
            trace: { oneOf: [TRACE, { type: 'null' }], description: "one failing (else the slowest) request's trace, when the sidecars kept one" },
            notes: { type: 'array', items: { type: 'string' }, description: 'what the reader should know about the data: gaps, tracing off, no baseline' },
          },
        },
        Manifest: {
          type: 'object',
          description: 'a Chaos Mesh resource as kubectl applies it; a YAML body may hold several, as documents separated by ---',
          required: ['apiVersion', 'kind', 'metadata'],
          properties: {
            apiVersion: { type: 'string', examples: ['chaos-mesh.org/v1alpha1'] },
            kind: { type: 'string', examples: [...CONTROLLER_KINDS] },
            metadata: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string' }, namespace: { type: 'string' },
                labels: { type: 'object', additionalProperties: { type: 'string' } }, annotations: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
            spec: { type: 'object' },
          },
        },
        Issue: {
          type: 'object',
          required: ['code', 'file', 'line', 'col', 'path', 'message'],
          properties: { code: { type: 'string' }, file: { type: 'string' }, line: { type: 'integer' }, col: { type: 'integer' }, path: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
        },
        Object: {
          type: 'object',
          required: ['apiVersion', 'kind', 'metadata', 'spec'],
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string', enum: [...CONTROLLER_KINDS] },
            metadata: {
              type: 'object',
              properties: {
                name: { type: 'string' }, namespace: { type: 'string' }, uid: { type: 'string' }, generation: { type: 'integer' },
                creationTimestamp: { type: 'string', format: 'date-time' }, deletionTimestamp: { type: 'string', format: 'date-time' },
                labels: { type: 'object', additionalProperties: { type: 'string' } }, annotations: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
            spec: { type: 'object' },
            status: {
              type: 'object',
              properties: {
                conditions: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' } } } },
                experiment: {
                  type: 'object',
                  properties: {
                    desiredPhase: { type: 'string', enum: ['Run', 'Stop'] },
                    containerRecords: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['id', 'selectorKey', 'phase', 'injectedCount', 'recoveredCount'],
                        properties: {
                          id: { type: 'string' }, selectorKey: { type: 'string' }, phase: { type: 'string' }, injectedCount: { type: 'integer' }, recoveredCount: { type: 'integer' },
                          events: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, operation: { type: 'string' }, message: { type: 'string' }, timestamp: { type: 'string', format: 'date-time' } } } },
                        },
                      },
                    },
                  },
                },
                chaoscope: {
                  type: 'object',
                  description: "chaoscope's own status, in a field Chaos Mesh's schema does not claim",
                  properties: {
                    phase: { type: 'string', enum: ['injecting', 'running', 'paused', 'finished', 'deleting'] },
                    action: { type: 'string', description: 'spec.action; for HTTPChaos its faults joined with commas (abort, delay, replace, patch)' },
                    records: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          id: { type: 'string' }, active: { type: 'boolean' }, evidence: { type: 'object', description: 'what the fault did, kept after recovery' },
                          pod: { type: 'object', description: 'the target pod as last seen' }, gone: { type: 'string', format: 'date-time' }, lastError: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        ApplyResponse: {
          type: 'object',
          properties: {
            dryRun: { type: 'boolean' },
            items: { type: 'array', items: { type: 'object', properties: { action: { type: 'string', enum: ['created', 'configured', 'unchanged'] }, object: ref('Object'), plan: { description: 'with dryRun: the targets that would be selected and the faults injected' } } } },
          },
        },
        ValidateResponse: {
          type: 'object',
          required: ['valid', 'issues', 'items'],
          properties: {
            valid: { type: 'boolean' },
            issues: { type: 'array', items: ref('Issue') },
            items: { type: 'array', items: { type: 'object', properties: { action: { type: 'string', enum: ['created', 'configured', 'unchanged'] }, object: ref('Object'), plan: { description: 'the targets that would be selected and the faults injected' } } } },
          },
        },
        Event: {
          type: 'object',
          properties: {
            id: { type: 'integer' }, uid: { type: 'string' }, kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' },
            type: { type: 'string', enum: ['Normal', 'Warning'] }, reason: { type: 'string' }, message: { type: 'string' }, time: { type: 'string', format: 'date-time' },
          },
        },
        ArchivedSummary: {
          type: 'object',
          required: ['uid', 'kind', 'namespace', 'name', 'createdAt', 'finishedAt', 'object'],
          properties: {
            uid: { type: 'string' }, kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' }, finishedAt: { type: 'string', format: 'date-time' },
            object: { type: 'object', description: 'the object as it was when archived: metadata, spec and its last status (as GET /api/v1/namespaces/{namespace}/{kind}/{name} answered)' },
          },
        },
        Archived: {
          allOf: [
            ref('ArchivedSummary'),
            {
              type: 'object',
              required: ['records', 'events'],
              properties: {
                records: {
                  type: 'array',
                  description: 'one per target, as the controller last kept it',
                  items: {
                    type: 'object',
                    required: ['uid', 'key', 'id', 'selectorKey', 'pod', 'phase', 'injectedCount', 'recoveredCount', 'history', 'updatedAt'],
                    properties: {
                      uid: { type: 'string' }, key: { type: 'string' }, id: { type: 'string', description: 'namespace/pod' }, selectorKey: { type: 'string' }, pod: { type: 'string' }, phase: { type: 'string' },
                      injectedCount: { type: 'integer' }, recoveredCount: { type: 'integer' }, target: { type: 'object' }, injection: { type: 'object' }, evidence: { type: 'object' }, lastError: { type: 'string' },
                      history: { type: 'array', items: { type: 'object' } }, updatedAt: { type: 'string', format: 'date-time' },
                    },
                  },
                },
                events: { type: 'array', items: ref('Event'), description: 'its events, oldest first' },
              },
            },
          ],
        },
        Pod: {
          type: 'object',
          required: ['namespace', 'name', 'uid', 'service', 'labels', 'phase', 'ready', 'restartCount'],
          properties: {
            namespace: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' }, service: { type: 'string' },
            labels: { type: 'object', additionalProperties: { type: 'string' } }, annotations: { type: 'object', additionalProperties: { type: 'string' } },
            phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] }, ready: { type: 'boolean' }, restartCount: { type: 'integer', minimum: 0 },
            reason: { type: 'string' }, message: { type: 'string' }, startTime: { type: 'string', format: 'date-time' },
            address: { type: 'string', description: "127.0.0.1:<port> of the pod's ingress sidecar: where callers reach it" }, pid: { type: 'integer' },
            protocol: { type: 'string', enum: ['tcp', 'http'] }, containerPort: { type: 'integer' }, dependencies: { type: 'array', items: { type: 'string' } },
            faultLibrary: { type: 'object', required: ['loaded'], properties: { loaded: { type: 'boolean' }, reason: { type: 'string' } }, description: 'whether the running container loaded the fault library (TimeChaos, IOChaos, DNSChaos act through it), or why not' },
            external: { type: 'string', description: "an external service's pseudo-pod: the address its sidecar fronts" },
          },
        },
        DeleteResponse: {
          type: 'object',
          required: ['deleted', 'gone', 'kind', 'namespace', 'name', 'object'],
          properties: {
            deleted: { const: true }, gone: { type: 'boolean', description: 'false while its targets are still being recovered' },
            kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' },
            object: { description: 'the resource while it is still there (deleting), else null', oneOf: [ref('Object'), { type: 'null' }] },
          },
        },
        WatchEvent: {
          type: 'object',
          description: 'one server-sent event: ready (data {}), change (data: the change as JSON, id: its sequence number) or dropped (data {reason, message, lastId, limits}; the last)',
          required: ['event', 'data'],
          properties: { event: { type: 'string', enum: ['ready', 'change', 'dropped'] }, data: { type: 'string', contentMediaType: 'application/json' }, id: { type: 'string' } },
        },
      },
    },
  }
}
