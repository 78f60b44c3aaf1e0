/** chaoscope's Experiment kind: good files validate with their defaults, bad ones report each mistake at its position. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { short } from '../../../test/issues.js'
import { PACKAGE_ROOT } from '../../version.js'
import { validateText } from '../validate.js'

const EXAMPLES = join(PACKAGE_ROOT, 'examples/experiments')

const issuesOf = (text: string) => validateText(text, 'exp.yaml').issues.map(short)

/** An Experiment around `spec` lines (indented by two spaces under spec:). */
const experiment = (spec: string) => `apiVersion: chaoscope.dev/v1alpha1
kind: Experiment
metadata: {name: e}
spec:
${spec}`

const FAULT = `  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: PodChaos
      metadata: {name: kill}
      spec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: middle}}}
`

describe('valid Experiments', () => {
  it('every file of examples/experiments validates, says what it does on its first line, and is one Experiment', () => {
    const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f))
    expect(files.length).toBeGreaterThanOrEqual(1)
    for (const f of files) {
      const text = readFileSync(join(EXAMPLES, f), 'utf8')
      const r = validateText(text, f)
      expect(r.issues, f).toEqual([])
      expect(r.resources.map((x) => `${x.apiVersion} ${x.kind}`), f).toEqual(['chaoscope.dev/v1alpha1 Experiment'])
      expect(text, f).toMatch(/^# \S/)
    }
  })

  it('fills in the title, the duration, each window and HTTP default, and each fault\'s namespace and own defaults', () => {
    const r = validateText(`apiVersion: chaoscope.dev/v1alpha1
kind: Experiment
metadata: {name: slow-middle, namespace: shop}
spec:
  hypothesis:
    - {edge: "front -> middle", errorRate: 0.01}
    - http: {url: "http://127.0.0.1:30080/"}
  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: NetworkChaos
      metadata: {name: middle-slow}
      spec: {action: delay, mode: all, selector: {labelSelectors: {app: middle}}, delay: {latency: 500ms}}
`, 'e.yaml')
    expect(r.issues).toEqual([])
    const spec = r.resources[0]!.spec as Record<string, any>
    expect(spec.title).toBe('slow-middle')
    expect(spec.duration).toBe('30s')
    expect(spec.hypothesis).toEqual([
      { edge: 'front->middle', errorRate: 0.01, window: '10s' },
      { http: { url: 'http://127.0.0.1:30080/', method: 'GET', status: 200, timeout: '5s' } },
    ])
    expect(spec.faults[0].metadata).toEqual({ name: 'middle-slow', namespace: 'shop' })
    // NetworkChaos's own defaults, as chaoscope validate applies them to the resource on its own
    expect(spec.faults[0].spec.selector.namespaces).toEqual(['shop'])
    expect(spec.faults[0].spec.direction).toBe('to')
  })

  it('takes every chaos kind, a Schedule and a Workflow as faults', () => {
    const r = validateText(experiment(`  hypothesis: [{service: front, throughput: {min: 1}}]
  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: StressChaos
      metadata: {name: cpu}
      spec: {mode: one, selector: {labelSelectors: {app: back}}, stressors: {cpu: {workers: 1}}}
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: Schedule
      metadata: {name: kill-often}
      spec: {schedule: "@every 5s", type: PodChaos, podChaos: {action: pod-kill, mode: one, selector: {labelSelectors: {app: middle}}}}
`), 'e.yaml')
    expect(r.issues).toEqual([])
  })
})

describe('invalid Experiments: each problem at its file:line:col, with its code', () => {
  it('an unknown SLO key (did you mean), a bad duration, a bad percent, an invalid embedded NetworkChaos', () => {
    const r = validateText(experiment(`  hypothesis:
    - service: front
      window: 10 s
      latncy: {p99: 300ms}
      errorRate: 1 percent
  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: NetworkChaos
      metadata: {name: middle-slow}
      spec:
        action: delay
        mode: all
        selector: {labelSelectors: {app: middle}}
        delay: {latency: 500}
`), 'exp.yaml')
    expect(r.issues.map((i) => `${i.file}:${short(i)}`)).toEqual([
      'exp.yaml:7:15 spec.hypothesis[0].window: expected a duration like "10s", got "10 s" [SPEC_INVALID_DURATION]',
      'exp.yaml:8:7 spec.hypothesis[0].latncy: unknown field "latncy" [SPEC_UNKNOWN_FIELD]',
      'exp.yaml:9:18 spec.hypothesis[0].errorRate: expected a percent like "1%" or a fraction like 0.01, got "1 percent" [SPEC_INVALID_VALUE]',
      'exp.yaml:18:26 spec.faults[0].spec.delay.latency: expected a string, got number 500 [SPEC_TYPE]',
    ])
    expect(r.issues[1]!.hint).toBe('did you mean "latency"?')
    expect(r.resources).toEqual([])
  })

  it('no faults, no hypothesis', () => {
    expect(issuesOf(experiment('  hypothesis: [{service: front, throughput: {min: 1}}]\n  faults: []\n'))).toEqual([
      '6:11 spec.faults: must have at least 1 item(s) [SPEC_OUT_OF_RANGE]',
    ])
    expect(issuesOf(experiment('  hypothesis: [{service: front, throughput: {min: 1}}]\n'))).toEqual([
      '4:1 spec.faults: missing required field "faults" [SPEC_REQUIRED]',
    ])
    expect(issuesOf(experiment(`  hypothesis: []\n${FAULT}`))).toEqual(['5:15 spec.hypothesis: must have at least 1 item(s) [SPEC_OUT_OF_RANGE]'])
  })

  it('what an SLO checks: one of service, edge and http, with a signal; numbers with their units; percents', () => {
    expect(issuesOf(experiment(`  hypothesis:
    - {window: 10s}
    - {service: back}
    - {service: front, edge: front->middle, throughput: {min: 1}}
    - {service: Front, latency: {}}
    - {edge: front-middle, errorRate: 5}
    - {service: back, errorRate: 150%, latency: {p99: 300, max: 0s}}
    - {http: {url: "ftp://x/"}, window: 5s}
${FAULT}`))).toEqual([
      '6:7 spec.hypothesis[0]: an SLO names what it checks: service (traffic into a service), edge ("front->middle") or http (a probe) [SPEC_REQUIRED]',
      '7:7 spec.hypothesis[1]: the SLO on "back" sets no signal: give latency, errorRate or throughput [SPEC_REQUIRED]',
      '8:24 spec.hypothesis[2].edge: an SLO checks one thing: it has service already [SPEC_INVALID_VALUE]',
      '9:17 spec.hypothesis[3].service: "Front" is not a service name [SPEC_INVALID_NAME]',
      '9:33 spec.hypothesis[3].latency: latency sets no quantile [SPEC_REQUIRED]',
      '10:14 spec.hypothesis[4].edge: expected an edge like "front->middle", got "front-middle" [SPEC_INVALID_VALUE]',
      '10:39 spec.hypothesis[4].errorRate: expected a fraction from 0 to 1, got number 5 [SPEC_OUT_OF_RANGE]',
      '11:34 spec.hypothesis[5].errorRate: expected a percent from 0% to 100%, got "150%" [SPEC_OUT_OF_RANGE]',
      '11:55 spec.hypothesis[5].latency.p99: expected a duration like "300ms", got number 300 [SPEC_TYPE]',
      '11:65 spec.hypothesis[5].latency.max: must be longer than 0, got "0s" [SPEC_OUT_OF_RANGE]',
      '12:20 spec.hypothesis[6].http.url: "ftp://x/" is not an http:// or https:// URL [SPEC_INVALID_VALUE]',
      '12:33 spec.hypothesis[6].window: window belongs to an SLO on a service or an edge, not to an http probe [SPEC_INVALID_VALUE]',
    ])
  })

  it('the same signal checked twice', () => {
    expect(issuesOf(experiment(`  hypothesis:
    - {service: front, latency: {p99: 300ms}, errorRate: 1%}
    - {service: front, window: 20s, latency: {p99: 200ms}}
    - {http: {url: "http://127.0.0.1:1/"}}
    - {http: {url: "http://127.0.0.1:1/", status: 200}}
  duration: 30s
${FAULT}`))).toEqual([
      '7:47 spec.hypothesis[1].latency.p99: the p99 latency of front is also checked by hypothesis[0] [SPEC_DUPLICATE_NAME]',
      '9:8 spec.hypothesis[3].http: GET http://127.0.0.1:1/ is also checked by hypothesis[2] [SPEC_DUPLICATE_NAME]',
    ])
  })

  it('windows that would measure traffic from before the faults, or from during them once recovering', () => {
    expect(issuesOf(experiment(`  hypothesis:
    - {service: front, window: 1m, throughput: {min: 1}}
    - {service: back, window: 500ms, throughput: {min: 1}}
    - {service: middle, throughput: {min: 1}}
  duration: 5s
  recovery: {within: 10s}
${FAULT}`))).toEqual([
      '6:32 spec.hypothesis[0].window: the window 1m is longer than the faults\' duration: the hypothesis after would also measure traffic from before the faults [SPEC_INVALID_VALUE]',
      '6:32 spec.hypothesis[0].window: the window 1m is not shorter than recovery.within: right after the faults are removed the window still holds their traffic, so the recovery could not show in time [SPEC_INVALID_VALUE]',
      '7:31 spec.hypothesis[1].window: must be 1s or longer, got "500ms" [SPEC_OUT_OF_RANGE]',
      '9:13 spec.duration: duration is shorter than the 10s window of hypothesis[2]: the hypothesis after would also measure traffic from before the faults [SPEC_INVALID_VALUE]',
      '10:22 spec.recovery.within: recovery.within is not longer than the 10s window of hypothesis[2]: right after the faults are removed the window still holds their traffic, so the recovery could not show in time [SPEC_INVALID_VALUE]',
    ])
  })

  it('the load goes to loopback only, durations have units, a GET has no body', () => {
    expect(issuesOf(experiment(`  hypothesis: [{service: front, throughput: {min: 1}}]
  load: {url: "http://10.0.0.1:80/", rate: 20, duration: 40, body: "{}"}
${FAULT}`))).toEqual([
      '6:15 spec.load.url: 10.0.0.1 is not a loopback address [SPEC_INVALID_VALUE]',
      '6:58 spec.load.duration: expected a duration like "10s", got number 40 [SPEC_TYPE]',
      '6:62 spec.load.body: a GET request has no body [SPEC_INVALID_VALUE]',
    ])
    expect(issuesOf(experiment(`  hypothesis: [{service: front, throughput: {min: 1}}]
  load: {url: "http://127.0.0.1:80/", rate: 0}
${FAULT}`))).toEqual(['6:45 spec.load.rate: must be > 0, got number 0 [SPEC_OUT_OF_RANGE]'])
  })

  it('faults: a Chaos Mesh apiVersion, a fault kind, a fixed and unique name, and their own kind\'s rules at their own lines', () => {
    expect(issuesOf(experiment(`  hypothesis: [{service: front, throughput: {min: 1}}]
  faults:
    - apiVersion: chaos-mesh.org/v1
      kind: NetworkChaoss
      metadata: {generateName: slow-}
      spec: {}
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: PodChaos
      metadata: {name: kill, namespace: Bad_NS}
      spec: {action: pod-kill, mode: fixed, selector: {}}
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: PodChaos
      metadata: {name: kill}
      spec: {action: pod-kil, mode: one, selector: {}, extra: 1}
    - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {}}
    - {apiVersion: chaos-mesh.org/v1alpha1, kind: PodChaos, metadata: {name: k2}}
`))).toEqual([
      '7:19 spec.faults[0].apiVersion: unknown version "v1" of chaos-mesh.org [SPEC_UNSUPPORTED_VERSION]',
      '8:13 spec.faults[0].kind: "NetworkChaoss" is not a kind of fault [SPEC_UNKNOWN_KIND]',
      '9:18 spec.faults[0].metadata.generateName: a fault needs a fixed metadata.name: the rollbacks delete each fault by its name [SPEC_INVALID_VALUE]',
      '13:41 spec.faults[1].metadata.namespace: "Bad_NS" is not a valid namespace [SPEC_INVALID_NAME]',
      '14:7 spec.faults[1].spec.value: mode fixed needs spec.value (the number of pods) [SPEC_MODE_VALUE]',
      '17:24 spec.faults[2].metadata.name: PodChaos "kill" is also faults[1] [SPEC_DUPLICATE_NAME]',
      '18:22 spec.faults[2].spec.action: expected one of "pod-kill", "pod-failure", "container-kill", got "pod-kil" [SPEC_ENUM]',
      '18:56 spec.faults[2].spec.extra: unknown field "extra" [SPEC_UNKNOWN_FIELD]',
      '19:20 spec.faults[3].apiVersion: a fault is a Chaos Mesh resource (chaos-mesh.org/v1alpha1), got "v1" [SPEC_UNSUPPORTED_VERSION]',
      '19:30 spec.faults[3].kind: "Pod" is not a kind of fault [SPEC_UNKNOWN_KIND]',
      '20:7 spec.faults[4].spec: missing required field "spec" [SPEC_REQUIRED]',
    ])
  })

  it('reads JSON as well, positions included', () => {
    const r = validateText(JSON.stringify({
      apiVersion: 'chaoscope.dev/v1alpha1', kind: 'Experiment', metadata: { name: 'j' },
      spec: { hypothesis: [{ service: 'front', throughput: { min: 1 }, errorRate: '1%%' }], faults: [] },
    }, null, 2), 'e.json')
    expect(r.issues.map(short)).toEqual([
      '14:22 spec.hypothesis[0].errorRate: expected a percent like "1%" or a fraction like 0.01, got "1%%" [SPEC_INVALID_VALUE]',
      '17:15 spec.faults: must have at least 1 item(s) [SPEC_OUT_OF_RANGE]',
    ])
  })
})
