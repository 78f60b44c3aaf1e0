import { describe, expect, it } from 'vitest'
import type { ChaosObject, RuntimePod } from '../index.js'
import { actionOf, age, describePodText, objectTables, phaseOf, podTable, v1Pod } from './print.js'

const NOW = Date.parse('2025-01-10T12:00:00Z')
const ago = (s: number) => new Date(NOW - s * 1000).toISOString()

describe('age, as kubectl prints it', () => {
  it.each([
    [0, '0s'], [5, '5s'], [119, '119s'], [120, '2m'], [205, '3m25s'], [600, '10m'], [175 * 60, '175m'], [3 * 3600, '3h'],
    [3 * 3600 + 25 * 60, '3h25m'], [47 * 3600, '47h'], [4 * 86400, '4d'], [3 * 86400 + 4 * 3600, '3d4h'], [45 * 86400, '45d'],
    [(730 + 30) * 86400, '2y30d'], [9 * 365 * 86400, '9y'],
  ])('%i s → %s', (s, text) => expect(age(ago(s), NOW)).toBe(text))
})

const pod = (over: Partial<RuntimePod> = {}): RuntimePod => ({
  namespace: 'default', name: 'web-abcde', uid: 'u-1', service: 'web', labels: { app: 'web' }, annotations: {}, phase: 'Running', ready: true,
  restartCount: 0, startTime: ago(300), startedAt: ago(290), pid: 4242, port: 40001, address: '127.0.0.1:40002', protocol: 'http', containerPort: 8080, ...over,
})

describe('pods as Kubernetes v1 objects', () => {
  it('a running pod: phase, conditions, a running container, pid and ports in chaoscope.dev annotations', () => {
    expect(v1Pod(pod())).toMatchObject({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'web-abcde', namespace: 'default', uid: 'u-1', labels: { app: 'web' }, creationTimestamp: ago(300), annotations: { 'chaoscope.dev/pid': '4242', 'chaoscope.dev/port': '40001', 'chaoscope.dev/address': '127.0.0.1:40002' } },
      spec: { containers: [{ name: 'web', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
      status: {
        phase: 'Running', podIP: '127.0.0.1', startTime: ago(300),
        conditions: expect.arrayContaining([{ type: 'Ready', status: 'True', lastTransitionTime: ago(290) }]),
        containerStatuses: [{ name: 'web', ready: true, restartCount: 0, started: true, state: { running: { startedAt: ago(290) } }, lastState: {} }],
      },
    })
  })

  it('a pod in back-off: waiting with its reason, the last exit in lastState (signal as a number)', () => {
    const p = pod({ ready: false, reason: 'CrashLoopBackOff', pid: undefined, restartCount: 3, lastExit: { reason: 'Killed', exitCode: 137, signal: 'SIGKILL', finishedAt: ago(20) } })
    const status = v1Pod(p).status as { conditions: { type: string; status: string }[]; containerStatuses: unknown[] }
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('False')
    expect(status.containerStatuses[0]).toMatchObject({ ready: false, started: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, signal: 9, reason: 'Killed', finishedAt: ago(20) } } })
    expect(podTable([p], { now: NOW })).toBe('NAME        READY   STATUS             RESTARTS      AGE\nweb-abcde   0/1     CrashLoopBackOff   3 (20s ago)   5m\n')
  })

  it('a pod that ended (restartPolicy Never): terminated state, phase Succeeded, STATUS Completed', () => {
    const p = pod({ phase: 'Succeeded', ready: false, pid: undefined, lastExit: { reason: 'Completed', exitCode: 0, finishedAt: ago(10) } })
    expect((v1Pod(p).status as { containerStatuses: unknown[] }).containerStatuses[0]).toMatchObject({ state: { terminated: { exitCode: 0, reason: 'Completed' } }, lastState: {} })
    expect(podTable([p], { now: NOW }).split('\n')[1]).toMatch(/^web-abcde {3}0\/1 {5}Completed {3}0 {10}5m$/)
  })

  it('-o wide adds IP, ADDRESS, PORT and PID, <none> where there is none; NAMESPACE first across namespaces', () => {
    expect(podTable([pod(), pod({ name: 'db-xyz12', pid: undefined, address: undefined, external: '127.0.0.1:5432' }), namespaced({ name: 'web-fghij' })], { wide: true, namespaces: true, now: NOW })).toBe(
      'NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE   IP               ADDRESS           PORT             PID\n' +
      'default     web-abcde   1/1     Running   0          5m    127.0.0.1        127.0.0.1:40002   40001            4242\n' +
      'default     db-xyz12    1/1     Running   0          5m    127.0.0.1        <none>            127.0.0.1:5432   <none>\n' +
      'default     web-fghij   1/1     Running   0          5m    169.254.64.202   127.0.0.1:40002   8080             4242\n',
    )
  })

  it('a pod in a namespace of its own: its addresses in status, its namespace in an annotation', () => {
    const v = v1Pod(namespaced()) as { metadata: { annotations: Record<string, string> }; status: Record<string, unknown> }
    expect(v.status).toMatchObject({ podIP: '169.254.64.202', podIPs: [{ ip: '169.254.64.202' }], hostIP: '169.254.64.201' })
    expect(v.metadata.annotations).toMatchObject({ 'chaoscope.dev/netns': 'chaoscope-0a1b2c3d', 'chaoscope.dev/port': '8080' })
    const host = v1Pod(pod()) as { metadata: { annotations: Record<string, string> }; status: Record<string, unknown> }
    expect(host.status).toMatchObject({ podIP: '127.0.0.1', hostIP: '127.0.0.1' })
    expect(Object.keys(host.metadata.annotations).filter((k) => k.includes('netns') || k.includes('network'))).toEqual([])
  })

  it('describe shows how the pod is networked: its namespace, or the host\'s loopback port that bypasses its faults, and why', () => {
    const line = (p: RuntimePod) => describePodText(p).split('\n').filter((l, i, all) => l.startsWith('Network:') || (i > 0 && all[i - 1]!.startsWith('Network:') && l.startsWith(' ')))
    expect(line(namespaced())).toEqual([
      'Network:         namespace chaoscope-0a1b2c3d (IP 169.254.64.202)',
      '                 reached through its sidecars; a program on this host that connects to that IP by hand bypasses them',
    ])
    expect(line(pod())).toEqual(['Network:         host (loopback port 40001; reachable directly at 127.0.0.1:40001, which bypasses its faults)'])
    expect(line(pod({ networkReason: 'the runtime does not run as root' }))).toEqual([
      'Network:         host (loopback port 40001; reachable directly at 127.0.0.1:40001, which bypasses its faults)',
      '                 asked for a namespace of its own, not made: the runtime does not run as root',
    ])
    expect(describePodText(pod())).toMatch(/^Name: +web-abcde\n/)
    expect(describePodText(pod())).toMatch(/\nIP: +127\.0\.0\.1\n/)
    expect(line(pod({ external: '127.0.0.1:5432' }))).toEqual([])
  })
})

/** A pod in a network namespace of its own, listening on its service's port. */
function namespaced(over: Partial<RuntimePod> = {}): RuntimePod {
  return pod({ port: 8080, podIP: '169.254.64.202', hostIP: '169.254.64.201', netns: 'chaoscope-0a1b2c3d', ...over })
}

const exp = (kind: string, spec: Record<string, unknown>, phase?: string): ChaosObject => ({
  apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name: 'x', namespace: 'default', creationTimestamp: ago(65) }, spec, ...(phase ? { status: { chaoscope: { phase, action: '', records: [] } } } : {}),
})

describe('experiment tables', () => {
  it('show the action of every kind: spec.action, what an HTTPChaos does, a StressChaos\'s stressors', () => {
    expect(actionOf(exp('NetworkChaos', { action: 'delay' }))).toBe('delay')
    expect(actionOf(exp('HTTPChaos', { delay: '1s', replace: { code: 500 } }))).toBe('delay+replace')
    expect(actionOf(exp('HTTPChaos', { abort: true }))).toBe('abort')
    expect(actionOf(exp('HTTPChaos', { abort: false, patch: { body: {} } }))).toBe('patch')
    expect(actionOf(exp('StressChaos', { stressors: { cpu: {}, memory: {} } }))).toBe('cpu+memory')
    // the server's word first: its list of HTTP faults, joined kubectl-style
    expect(actionOf({ ...exp('HTTPChaos', {}), status: { chaoscope: { phase: 'running', action: 'delay,replace', records: [] } } })).toBe('delay+replace')
  })

  it('take the phase from the server\'s object, never from the conditions', () => {
    const o: ChaosObject = { ...exp('PodChaos', { action: 'pod-kill' }), status: { conditions: [{ type: 'AllRecovered', status: 'True' }], chaoscope: { phase: 'running', action: 'pod-kill', records: [] } } }
    expect(phaseOf(o)).toBe('Running')
    expect(phaseOf(exp('PodChaos', {}))).toBe('Unknown')
    expect(objectTables([exp('HTTPChaos', { delay: '1s', replace: {}, duration: '30s' }, 'paused')], { wide: false, allNamespaces: false, typed: false, typeName: (k) => k, now: NOW }))
      .toBe('NAME   ACTION          DURATION   PHASE    INJECTED   AGE\nx      delay+replace   30s        Paused   0/0        65s\n')
  })
})
