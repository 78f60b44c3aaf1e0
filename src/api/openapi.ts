/** @module api/openapi: the OpenAPI 3.1 document of the controller API, served at /api/v1/openapi.json. */
import { VERSION } from '../version.js'
import { CONTROLLER_KINDS, plural } from './kinds.js'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: unknown) => ({ 'application/json': { schema } })
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

const KIND_PARAM = {
  ...p('kind', 'resource type: Kind, singular, plural or short name, any case (networkchaos, NetworkChaos, nc)'),
  schema: { type: 'string', examples: CONTROLLER_KINDS.map(plural) },
}
const ONE = [p('namespace', 'namespace of the resource'), KIND_PARAM, p('name', 'name of the resource')]
const PAGE_Q = [
  q('limit', 'at most this many items (default 500)', { type: 'integer', minimum: 1, maximum: 1000 }),
  q('continue', 'metadata.continue of the page before, sent with the same other parameters'),
]
const LIST_Q = [
  q('kind', 'only this resource type ("all" or absent: every type)'),
  q('namespace', 'only this namespace'),
  q('labelSelector', 'Kubernetes label selector, e.g. app=web,tier!=db'),
]

/** The document; built on each call (cheap), so tests can change nothing by accident. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'chaoscope controller API',
      version: VERSION,
      description: 'Chaos Mesh resources applied to the local runtime: apply, list, inspect, pause, resume and delete experiments. Errors are JSON {code, message, hint?, issues?} with the codes of the CLI (docs/errors.md).',
    },
    servers: [{ url: 'http://127.0.0.1' }],
    paths: {
      '/api/v1/resources': {
        post: {
          summary: 'apply one or more resources (all or nothing)',
          description: 'The body is YAML (several documents separated by ---) or JSON. Every document is validated; if any is invalid or refused by the controller (immutable spec, kind the runtime cannot run, selector matching no pod), nothing is applied and every problem is returned.',
          parameters: [q('dryRun', 'validate and plan only; change nothing', { type: 'boolean' }), q('file', 'file name to use in issue positions')],
          requestBody: { required: true, content: { 'application/yaml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } },
          responses: {
            200: { description: 'applied (configured or unchanged), or planned with dryRun', content: json(ref('ApplyResponse')) },
            201: { description: 'applied, at least one resource created', content: json(ref('ApplyResponse')) },
            400: error('the body cannot be read (YAML syntax, empty)'),
            413: error('the body is larger than 1 MiB'),
            422: error('a document is invalid or refused; issues lists each problem with its position'),
          },
        },
        get: { summary: 'list resources, one page', parameters: [...LIST_Q, ...PAGE_Q], responses: { 200: { description: 'the resources', content: json(page('Object')) }, 400: error('a malformed query, limit or continue token') } },
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}': {
        parameters: ONE,
        get: { summary: 'one resource with its status', responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: error('no such resource') } },
        delete: { summary: 'delete: recover every target, then remove the resource', responses: { 200: { description: 'deletion started or done', content: json({ type: 'object' }) }, 404: error('no such resource') } },
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/pause': {
        parameters: ONE,
        post: { summary: 'pause (annotation experiment.chaos-mesh.org/pause: "true"); faults are recovered', responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: error('no such resource') } },
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/resume': {
        parameters: ONE,
        post: { summary: 'resume a paused resource', responses: { 200: { description: 'the resource', content: json(ref('Object')) }, 404: error('no such resource') } },
      },
      '/api/v1/namespaces/{namespace}/{kind}/{name}/events': {
        parameters: ONE,
        get: { summary: 'events of one resource, one page', parameters: [q('sinceId', 'only events with a greater id', { type: 'integer' }), ...PAGE_Q], responses: { 200: { description: 'events, oldest first', content: json(page('Event')) }, 400: error('a malformed query, limit or continue token') } },
      },
      '/api/v1/events': {
        get: {
          summary: 'events',
          parameters: [q('kind', 'resource type'), q('namespace', 'namespace'), q('name', 'resource name'), q('uid', 'resource uid'), q('sinceId', 'only events with a greater id', { type: 'integer' }), ...PAGE_Q],
          responses: { 200: { description: 'events, oldest first', content: json(page('Event')) }, 400: error('a malformed query, limit or continue token') },
        },
      },
      '/api/v1/pods': {
        get: {
          summary: 'pods of the local runtime',
          parameters: [q('namespace', 'only this namespace'), q('labelSelector', 'label selector')],
          responses: { 200: { description: 'the pods', content: json(list('Pod')) }, 503: error('no runtime') },
        },
      },
      '/api/v1/watch': {
        get: {
          summary: 'server-sent events: one `change` event per change of a resource or new event',
          parameters: LIST_Q,
          responses: { 200: { description: 'an event stream: `ready` first, then `change` events with JSON data (`id` counts the changes the server has seen, one sequence for every watcher) and `: keep-alive` comments; a watcher that reads too slowly gets a last `dropped` event, data `{reason, message, lastId, limits}`, and the stream ends: list again, then watch again', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
        },
      },
      '/api/v1/openapi.json': { get: { summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/healthz': { get: { summary: 'liveness', responses: { 200: { description: 'ok', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string', description: 'error code, as in docs/errors.md' }, message: { type: 'string' }, hint: { type: 'string' }, issues: { type: 'array', items: ref('Issue') } },
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
          properties: {
            namespace: { type: 'string' }, name: { type: 'string' }, service: { type: 'string' }, labels: { type: 'object' }, phase: { type: 'string' },
            ready: { type: 'boolean' }, restartCount: { type: 'integer' }, address: { type: 'string' }, pid: { type: 'integer' },
          },
        },
      },
    },
  }
}
