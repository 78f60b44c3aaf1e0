/**
 * @module api/fake-controller: an in-memory ControllerApi for API and CLI tests that do not need the engine:
 * stores what is applied, refuses kinds other than PodChaos/NetworkChaos/HTTPChaos and spec changes, records events.
 */
import { EventEmitter } from 'node:events'
import { isDeepStrictEqual } from 'node:util'
import { ChaosError } from '../../src/errors.js'
import { matchesSelector } from '../../src/runtime/process/selector.js'
import type { Resource } from '../../src/manifest/validate.js'
import type { ApplyResult, ChangeNotice, ChaosEvent, ChaosObject, ControllerApi, EventQuery, ListQuery } from '../../src/api/types.js'

const RUNNABLE = new Set(['PodChaos', 'NetworkChaos', 'HTTPChaos'])
const PAUSE = 'experiment.chaos-mesh.org/pause'

export class FakeController implements ControllerApi {
  readonly objects = new Map<string, ChaosObject>()
  readonly log: ChaosEvent[] = []
  private readonly emitter = new EventEmitter()
  private uid = 0

  apply(r: Resource, opts: { dryRun?: boolean } = {}): ApplyResult {
    if (!RUNNABLE.has(r.kind)) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `${r.kind} cannot run on the local runtime`)
    const key = `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`
    const prev = this.objects.get(key)
    const { source: _source, ...rest } = r
    if (prev && !isDeepStrictEqual(prev.spec, r.spec)) throw new ChaosError('CONTROLLER_IMMUTABLE', 'the spec of a chaos experiment cannot change once created')
    const metaSame = prev && isDeepStrictEqual(prev.metadata.labels ?? {}, r.metadata.labels ?? {}) && isDeepStrictEqual(prev.metadata.annotations ?? {}, r.metadata.annotations ?? {})
    const action = !prev ? 'created' : metaSame ? 'unchanged' : 'configured'
    const object: ChaosObject = prev && metaSame ? prev : {
      ...rest,
      metadata: { ...prev?.metadata, ...r.metadata, uid: prev?.metadata.uid ?? `uid-${++this.uid}`, creationTimestamp: prev?.metadata.creationTimestamp ?? new Date().toISOString() },
      status: { conditions: [{ type: 'Selected', status: 'True' }], experiment: { desiredPhase: 'Run', records: [] } },
    }
    if (opts.dryRun) return { action, object, plan: { targets: [] } }
    if (action !== 'unchanged') {
      this.objects.set(key, object)
      this.event(object, action === 'created' ? 'Started' : 'Updated', `${action}`)
    }
    return { action, object }
  }

  private event(o: ChaosObject, reason: string, message: string): void {
    const e: ChaosEvent = { id: this.log.length + 1, uid: o.metadata.uid!, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, type: 'Normal', reason, message, time: new Date().toISOString() }
    this.log.push(e)
    this.emitter.emit('change', { type: 'EVENT', event: e } satisfies ChangeNotice)
    this.emitter.emit('change', { type: reason === 'Deleted' ? 'DELETED' : 'MODIFIED', object: o } satisfies ChangeNotice)
  }

  private must(kind: string, namespace: string, name: string): ChaosObject {
    const o = this.objects.get(`${kind}/${namespace}/${name}`)
    if (!o) throw new ChaosError('CONTROLLER_NOT_FOUND', `${kind} ${namespace}/${name} not found`)
    return o
  }

  delete(kind: string, namespace: string, name: string): void {
    const o = this.must(kind, namespace, name)
    this.objects.delete(`${kind}/${namespace}/${name}`)
    this.event(o, 'Deleted', 'deleted')
  }

  pause(kind: string, namespace: string, name: string): void {
    const o = this.must(kind, namespace, name)
    o.metadata.annotations = { ...o.metadata.annotations, [PAUSE]: 'true' }
    this.event(o, 'Paused', 'paused')
  }

  resume(kind: string, namespace: string, name: string): void {
    const o = this.must(kind, namespace, name)
    const { [PAUSE]: _gone, ...annotations } = o.metadata.annotations ?? {}
    o.metadata.annotations = annotations
    this.event(o, 'Started', 'resumed')
  }

  get(kind: string, namespace: string, name: string): ChaosObject | undefined {
    return this.objects.get(`${kind}/${namespace}/${name}`)
  }

  list(q: ListQuery): ChaosObject[] {
    return [...this.objects.values()].filter((o) => (!q.kind || o.kind === q.kind) && (!q.namespace || o.metadata.namespace === q.namespace) && matchesSelector(o.metadata.labels ?? {}, q.labelSelector))
  }

  events(q: EventQuery): ChaosEvent[] {
    return this.log.filter((e) => (!q.uid || e.uid === q.uid) && (!q.kind || e.kind === q.kind) && (!q.namespace || e.namespace === q.namespace) && (!q.name || e.name === q.name) && (q.sinceId === undefined || e.id > q.sinceId))
  }

  on(event: 'change', listener: (change: ChangeNotice) => void): void {
    this.emitter.on(event, listener)
  }

  off(event: 'change', listener: (change: ChangeNotice) => void): void {
    this.emitter.off(event, listener)
  }
}
