/**
 * @module api/openapi: the OpenAPI 3.1 document of the controller API, served at /api/v1/openapi.json. It says
 * what the API does, not what it should: every status an operation answers, the values each query parameter
 * takes (others are 400), the body types it reads; test/e2e/openapi.test.ts holds the API to it with schemathesis,
 * and src/api/openapi.test.ts checks that it names every route of src/api/app.ts and no other.
 */
import { VERSION } from '../version.js'
import { guardResponses } from '../http-guard.js'
import { MAX_PAGE } from './paging.js'
import { CONTROLLER_KINDS, plural } from './kinds.js'

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

/** The answers every operation may give besides its own (src/http-guard.ts, before any route). */
const GUARD = guardResponses()
const op = (o: { responses: Record<number, unknown> } & Record<string, unknown>) => ({ ...o, responses: { ...GUARD, ...o.responses } })

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
const EXAMPLE_TEXT = `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: web-delay
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: web}
  delay:
    latency: 100ms
  duration: 30s
`

/** The document; built on each call (cheap), so tests can change nothing by accident. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'chaoscope controller API',
      version: VERSION,
      description:
        'Chaos Mesh resources applied to the local runtime: apply, list, inspect, pause, resume and delete experiments. Errors are JSON {code, message, hint?, issues?} with the codes of the CLI (docs/errors.md). Every request is counted against a rate limit per client address (429 with Retry-After), and a request that declares a body over 1 MiB is refused before it is read (413).',
    },
    servers: [{ url: 'http://127.0.0.1' }],
    paths: {
      '/api/v1/resources': {
        post: op({
          summary: 'apply one or more resources (all or nothing)',
          description:
            'The body is YAML (several documents separated by ---) or JSON, of at most 1 MiB, nesting at most 100 levels; a body without a content type is read as either. Every document is validated; if any is invalid or refused by the controller (immutable spec, kind the runtime cannot run, selector matching no pod), nothing is applied and every problem is returned.',
          parameters: [flag('dryRun', 'validate and plan only; change nothing'), q('file', 'file name to use in issue positions')],
          requestBody: {
            required: true,
            content: {
              ...Object.fromEntries(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'application/json'].map((t) => [t, { schema: ref('Manifest'), examples: { delay: { summary: EXAMPLE_SUMMARY, value: EXAMPLE } } }])),
              'text/plain': { schema: { type: 'string', description: 'YAML or JSON text' }, examples: { delay: { summary: EXAMPLE_SUMMARY, value: EXAMPLE_TEXT } } },
            },
          },
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
        }),
        get: op({
          summary: 'list resources, one page',
          parameters: [...LIST_Q, ...PAGE_Q],
          responses: { 200: { description: 'the resources, by kind, namespace and name', content: json(page('Object')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}': {
        parameters: ONE,
        get: op({
          summary: 'one resource with its status',
          parameters: [flag('refresh', "first read the evidence of its active records from the runtime's effects")],
          responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 400: BAD_QUERY, 404: NOT_FOUND, 422: UNKNOWN_KIND, 503: STOPPED },
        }),
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
        }),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/pause': {
        parameters: ONE,
        post: op({
          summary: 'pause (annotation experiment.chaos-mesh.org/pause: "true"); answers once its faults are recovered',
          responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: NOT_FOUND, 409: DELETING, 422: UNKNOWN_KIND, 500: WRITE_FAILED, 503: STOPPED },
        }),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/resume': {
        parameters: ONE,
        post: op({
          summary: 'resume a paused resource; answers once its faults are injected again (while its duration lasts)',
          responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: NOT_FOUND, 409: DELETING, 422: UNKNOWN_KIND, 500: WRITE_FAILED, 503: STOPPED },
        }),
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/events': {
        parameters: ONE,
        get: op({
          summary: 'events of one resource, one page (also of one that is gone: by kind, namespace and name)',
          parameters: [SINCE_Q, ...PAGE_Q],
          responses: { 200: { description: 'events, oldest first', content: json(page('Event')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }),
      },
      '/api/v1/events': {
        get: op({
          summary: 'events, one page',
          parameters: [q('kind', 'resource type'), q('namespace', 'namespace'), q('name', 'resource name'), q('uid', 'resource uid'), SINCE_Q, ...PAGE_Q],
          responses: { 200: { description: 'events, oldest first', content: json(page('Event')) }, 400: BAD_QUERY, 422: UNKNOWN_KIND },
        }),
      },
      '/api/v1/pods': {
        get: op({
          summary: 'pods of the local runtime',
          parameters: [q('namespace', 'only this namespace'), SELECTOR_Q],
          responses: { 200: { description: 'the pods', content: json(list('Pod')) }, 400: BAD_QUERY, 503: error('no runtime, or it does not answer (RUNTIME_NOT_RUNNING)') },
        }),
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
        }),
      },
      '/api/v1/openapi.json': { get: op({ summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } }) },
      '/metrics': { get: op({ summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format', content: text } } }) },
      '/healthz': { get: op({ summary: 'liveness', responses: { 200: { description: 'ok', content: text } } }) },
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string', description: 'error code, as in docs/errors.md' }, message: { type: 'string' }, hint: { type: 'string' }, issues: { type: 'array', items: ref('Issue') } },
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
        Event: {
          type: 'object',
          properties: {
            id: { type: 'integer' }, uid: { type: 'string' }, kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' },
            type: { type: 'string', enum: ['Normal', 'Warning'] }, reason: { type: 'string' }, message: { type: 'string' }, time: { type: 'string', format: 'date-time' },
          },
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
