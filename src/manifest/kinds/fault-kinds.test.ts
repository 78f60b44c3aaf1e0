/**
 * NetworkChaos, HTTPChaos, DNSChaos, IOChaos, TimeChaos, StressChaos, KernelChaos, JVMChaos and BlockChaos:
 * upstream examples validate, each admission rule reports at its position, and Chaos Mesh's defaults appear.
 */
import { readFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { CHAOS_MESH_EXAMPLES, CONFORMANCE, conformanceAvailable, filesUnder } from '../../../test/conformance.js'
import { invalidFixture, short } from '../../../test/issues.js'
import { embeddableKinds } from '../registry.js'
import { validateText } from '../validate.js'

const KINDS = {
  NetworkChaos: 'networkChaos',
  HTTPChaos: 'httpChaos',
  DNSChaos: 'dnsChaos',
  IOChaos: 'ioChaos',
  TimeChaos: 'timeChaos',
  StressChaos: 'stressChaos',
  KernelChaos: 'kernelChaos',
  JVMChaos: 'jvmChaos',
  BlockChaos: 'blockChaos',
} as const
type Kind = keyof typeof KINDS

/** A minimal valid spec of each kind (selector fields added by `doc`). */
const MINIMAL: Record<Kind, string> = {
  NetworkChaos: 'action: delay\ndelay: {latency: 100ms}',
  HTTPChaos: 'target: Request\nport: 80\nabort: true',
  DNSChaos: 'action: error',
  IOChaos: 'action: latency\nvolumePath: /data\ndelay: 10ms',
  TimeChaos: 'timeOffset: -1h',
  StressChaos: 'stressors: {cpu: {workers: 1, load: 50}}',
  KernelChaos: 'failKernRequest: {failtype: 0}',
  JVMChaos: 'action: gc',
  BlockChaos: 'action: delay\nvolumeName: data\ndelay: {latency: 1s}',
}

function doc(kind: string, spec: string, opts: { namespace?: string; selector?: string } = {}): string {
  const meta = opts.namespace ? `{name: t, namespace: ${opts.namespace}}` : '{name: t}'
  const body = `${opts.selector ?? 'mode: one\nselector: {labelSelectors: {app: web}}'}\n${spec}`
  return `apiVersion: chaos-mesh.org/v1alpha1\nkind: ${kind}\nmetadata: ${meta}\nspec:\n${body.replace(/^/gm, '  ')}\n`
}

function valid(text: string): Record<string, unknown> {
  const r = validateText(text)
  expect(r.issues.map(short)).toEqual([])
  expect(r.resources).toHaveLength(1)
  return r.resources[0]!.spec
}

function issues(text: string): string[] {
  return validateText(text).issues.map(short)
}

describe.skipIf(!conformanceAvailable())('upstream examples validate', () => {
  const dirs = ['nginx', 'jvm', 'blockchaos', 'etcd', 'web-show', 'workflow']
  const top = /^(network-.*|dns-.*|io-.*|time-.*|burn-cpu|cause-pod-oom)\.yaml$/
  const files = conformanceAvailable()
    ? [
        ...filesUnder(CHAOS_MESH_EXAMPLES).filter((f) => (dirname(f) === CHAOS_MESH_EXAMPLES && top.test(basename(f))) || dirs.some((d) => f.includes(`/examples/${d}/`))),
        ...filesUnder(join(CONFORMANCE, 'ecen5033/chaos-tests')),
      ]
    : []
  const outerKinds = new Set(['Schedule', 'Workflow'])
  /** Upstream's JVM return example still writes the returned value in `value`, the field's name before Chaos Mesh 2.1. */
  const known: Record<string, string[]> = {
    'jvm-return-example.yaml': ['19:1 spec.returnValue: action return needs spec.returnValue [SPEC_REQUIRED]'],
  }

  for (const file of files) {
    const name = relative(CONFORMANCE, file)
    const text = readFileSync(file, 'utf8')
    it(name, () => {
      const r = validateText(text, name)
      // Schedules and Workflows belong to another kind's tests; their embedded specs are checked below.
      const own = r.issues.filter((i) => !(i.path === 'kind' && outerKinds.has(i.message.match(/"(\w+)"/)?.[1] ?? '')))
      expect(own.map(short)).toEqual(known[basename(file)] ?? [])
    })
    for (const [i, d] of parseAllDocuments(text).entries()) {
      const root = d.toJS() as { kind?: string; metadata?: { namespace?: string } } | null
      if (!root || !outerKinds.has(root.kind ?? '')) continue
      for (const [kind, spec] of embedded(root)) {
        it(`${name} [${i}] embedded ${kind}`, () => {
          valid(stringify({ apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name: 'embedded', namespace: root.metadata?.namespace ?? 'default' }, spec }))
        })
      }
    }
  }

  it('the hint names the field that moved', () => {
    const r = validateText(readFileSync(join(CHAOS_MESH_EXAMPLES, 'jvm/jvm-return-example.yaml'), 'utf8'))
    expect(r.issues[0]?.hint).toBe('spec.value is the selector\'s pod count or percent; write the value to return as returnValue: "9999"')
  })
})

/** Every spec of our kinds embedded (by its embed key) anywhere in a Schedule or Workflow. */
function embedded(v: unknown): [Kind, unknown][] {
  const out: [Kind, unknown][] = []
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk)
    else if (x && typeof x === 'object') {
      for (const [k, val] of Object.entries(x)) {
        const kind = (Object.keys(KINDS) as Kind[]).find((K) => KINDS[K] === k)
        if (kind) out.push([kind, val])
        else walk(val)
      }
    }
  }
  walk(v)
  return out
}

describe('invalid specs report each rule at its position', () => {
  const cases: Record<string, string[]> = {
    // NetworkChaos
    'network-chaos-direction-from-without-target.yaml': ['13:14 spec.direction: direction from needs spec.target in action delay [SPEC_INVALID_VALUE]'],
    'network-chaos-direction-both-with-external-targets.yaml': ['13:14 spec.direction: direction both cannot be used with externalTargets in action loss [SPEC_INVALID_VALUE]'],
    'network-chaos-delay-without-latency.yaml': ['11:3 spec.delay.latency: missing required field "latency" [SPEC_REQUIRED]'],
    'network-chaos-latency-not-a-duration.yaml': ['12:14 spec.delay.latency: expected a duration like "100ms", got "fast" [SPEC_INVALID_DURATION]'],
    'network-chaos-action-without-its-block.yaml': ['5:1 spec.loss: action loss needs spec.loss [SPEC_REQUIRED]'],
    'network-chaos-netem-without-parameters.yaml': ['6:11 spec.action: action netem needs at least one of delay, loss, duplicate, corrupt or rate [SPEC_REQUIRED]'],
    'network-chaos-loss-over-100.yaml': ['12:11 spec.loss.loss: expected a percent from 0 to 100, got "150" [SPEC_OUT_OF_RANGE]'],
    'network-chaos-correlation-not-a-number.yaml': ['13:18 spec.corrupt.correlation: expected a number in a string like "25", got "high" [SPEC_INVALID_VALUE]'],
    'network-chaos-bandwidth-rate-without-unit.yaml': ['12:11 spec.bandwidth.rate: expected a rate like "1mbps", got "1000" [SPEC_INVALID_VALUE]'],
    'network-chaos-external-target-port-zero.yaml': ['14:7 spec.externalTargets[0]: expected a port from 1 to 65535, got 0 [SPEC_OUT_OF_RANGE]'],
    'network-chaos-external-target-not-a-host.yaml': ['12:7 spec.externalTargets[0]: "10.0.0.0/33" is not a valid external target: the prefix length must be from 0 to 32 [SPEC_INVALID_VALUE]'],
    'network-chaos-target-fixed-percent-without-value.yaml': ['12:3 spec.target.value: mode fixed-percent needs spec.value (a percent from 1 to 100) [SPEC_MODE_VALUE]'],
    // HTTPChaos
    'http-chaos-missing-port.yaml': ['5:1 spec.port: missing required field "port": the port the pods serve HTTP on [SPEC_REQUIRED]'],
    'http-chaos-port-zero.yaml': ['11:9 spec.port: expected a port from 1 to 65535, got 0 [SPEC_OUT_OF_RANGE]'],
    'http-chaos-no-fault.yaml': ['6:3 spec: no fault to inject: set at least one of abort, delay, replace or patch [SPEC_REQUIRED]'],
    'http-chaos-request-method-lowercase.yaml': ['12:11 spec.method: expected one of "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", got "get" [SPEC_ENUM]'],
    'http-chaos-replace-code-out-of-range.yaml': ['13:11 spec.replace.code: expected an HTTP status code from 100 to 599, got 999 [SPEC_OUT_OF_RANGE]'],
    'http-chaos-code-with-target-request.yaml': ['12:9 spec.code: code matches responses, so it cannot select requests (target is Request) [SPEC_INVALID_VALUE]'],
    'http-chaos-replace-path-with-target-response.yaml': ['13:11 spec.replace.path: replace.path changes requests; it has no effect with target Response [SPEC_INVALID_VALUE]'],
    'http-chaos-patch-body-not-json.yaml': ['15:14 spec.patch.body.value: patch.body.value is not valid JSON [SPEC_INVALID_VALUE]'],
    'http-chaos-patch-header-not-a-pair.yaml': ['14:9 spec.patch.headers[0]: expected a [name, value] pair, got 3 item(s) [SPEC_INVALID_VALUE]'],
    'http-chaos-path-without-slash.yaml': ['12:9 spec.path: path "api/users" can never match: request paths start with "/" [SPEC_INVALID_VALUE]'],
    'http-chaos-delay-empty.yaml': ['12:10 spec.delay: expected a duration like "100ms", got "" [SPEC_INVALID_DURATION]'],
    'http-chaos-replace-body-not-base64.yaml': ['13:11 spec.replace.body: expected base64-encoded bytes, got "not base64!" [SPEC_INVALID_VALUE]'],
    // DNSChaos
    'dns-chaos-wildcard-not-last.yaml': ['13:7 spec.patterns[1]: "*.example.com" is not a valid domain pattern: the wildcard "*" may only be the last character [SPEC_INVALID_VALUE]'],
    // IOChaos
    'io-chaos-percent-over-100.yaml': ['13:12 spec.percent: must be <= 100, got number 150 [SPEC_OUT_OF_RANGE]'],
    'io-chaos-fault-without-errno.yaml': ['5:1 spec.errno: action fault needs a non-zero spec.errno [SPEC_REQUIRED]'],
    'io-chaos-unknown-method.yaml': ['13:19 spec.methods[1]: expected one of "lookup", "forget", "getattr", "setattr", "readlink", "mknod", "mkdir", "unlink", "rmdir", "symlink", "rename", "link", "open", "read", "write", "flush", "release", "fsync", "opendir", "readdir", "releasedir", "fsyncdir", "statfs", "setxattr", "getxattr", "listxattr", "removexattr", "access", "create", "getlk", "setlk", "bmap", got "wirte" [SPEC_ENUM]'],
    'io-chaos-attr-override-without-attr.yaml': ['5:1 spec.attr: action attrOverride needs spec.attr with at least one attribute [SPEC_REQUIRED]'],
    'io-chaos-mistake-incomplete.yaml': [
      '12:3 spec.mistake.maxOccurrences: action mistake needs mistake.maxOccurrences [SPEC_REQUIRED]',
      '12:3 spec.mistake.maxLength: action mistake needs mistake.maxLength [SPEC_REQUIRED]',
    ],
    'io-chaos-latency-without-delay.yaml': ['5:1 spec.delay: action latency needs spec.delay [SPEC_REQUIRED]'],
    'io-chaos-missing-volume-path.yaml': ['5:1 spec.volumePath: missing required field "volumePath" [SPEC_REQUIRED]'],
    // TimeChaos
    'time-chaos-offset-not-a-duration.yaml': ['10:15 spec.timeOffset: expected a duration like "100ms", got "10 minutes" [SPEC_INVALID_DURATION]'],
    'time-chaos-offset-empty.yaml': ['10:15 spec.timeOffset: expected a duration like "-10m" or "1h", got "" [SPEC_INVALID_DURATION]'],
    'time-chaos-unknown-clock-id.yaml': ['11:30 spec.clockIds[1]: expected one of "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME", "CLOCK_REALTIME_ALARM", "CLOCK_BOOTTIME_ALARM", got "CLOCK_MONOTONIK" [SPEC_ENUM]'],
    // StressChaos
    'stress-chaos-no-stressors.yaml': ['5:1 spec.stressors: missing stressors: give stressors (cpu or memory) or stressngStressors [SPEC_REQUIRED]'],
    'stress-chaos-empty-stressors.yaml': ['10:14 spec.stressors: stressors needs cpu or memory [SPEC_REQUIRED]'],
    'stress-chaos-cpu-load-over-100.yaml': ['13:13 spec.stressors.cpu.load: must be <= 100, got number 120 [SPEC_OUT_OF_RANGE]'],
    'stress-chaos-memory-size-format.yaml': ['13:13 spec.stressors.memory.size: expected a size like "256MB" or a percent like "50%", got "10 gigabytes" [SPEC_INVALID_VALUE]'],
    'stress-chaos-memory-percent-over-100.yaml': ['13:13 spec.stressors.memory.size: expected a percent from 0 to 100, got "150%" [SPEC_OUT_OF_RANGE]'],
    'stress-chaos-zero-workers.yaml': ['12:16 spec.stressors.cpu.workers: workers must be at least 1, got 0 [SPEC_OUT_OF_RANGE]'],
    // KernelChaos
    'kernel-chaos-failtype-out-of-range.yaml': [
      '11:15 spec.failKernRequest.failtype: must be <= 2, got number 3 [SPEC_OUT_OF_RANGE]',
      '12:18 spec.failKernRequest.probability: must be <= 100, got number 101 [SPEC_OUT_OF_RANGE]',
    ],
    // JVMChaos
    'jvm-chaos-exception-without-class.yaml': ['5:1 spec.class: action exception needs spec.class [SPEC_REQUIRED]'],
    'jvm-chaos-return-value-in-selector-value.yaml': ['5:1 spec.returnValue: action return needs spec.returnValue [SPEC_REQUIRED]'],
    'jvm-chaos-stress-cpu-and-memory.yaml': ['12:12 spec.memType: action stress cannot stress CPU and memory at once [SPEC_INVALID_VALUE]'],
    'jvm-chaos-mysql-connector-version.yaml': ['11:26 spec.mysqlConnectorVersion: expected one of "5", "8", got "6" [SPEC_ENUM]'],
    'jvm-chaos-rule-data-missing.yaml': ['5:1 spec.ruleData: action ruleData needs spec.ruleData [SPEC_REQUIRED]'],
    // BlockChaos
    'block-chaos-delay-missing.yaml': ['5:1 spec.delay: action delay needs spec.delay [SPEC_REQUIRED]'],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }
})

describe('every kind applies the pod selector rules and defaults', () => {
  for (const kind of Object.keys(MINIMAL) as Kind[]) {
    it(`${kind}: mode fixed needs a value`, () => {
      expect(issues(doc(kind, MINIMAL[kind], { selector: 'mode: fixed\nselector: {}' }))).toEqual([
        '4:1 spec.value: mode fixed needs spec.value (the number of pods) [SPEC_MODE_VALUE]',
      ])
    })
    it(`${kind}: selector namespaces come from metadata.namespace`, () => {
      expect((valid(doc(kind, MINIMAL[kind], { namespace: 'shop' })).selector as { namespaces: string[] }).namespaces).toEqual(['shop'])
      expect((valid(doc(kind, MINIMAL[kind])).selector as { namespaces: string[] }).namespaces).toEqual(['default'])
    })
  }

  it('registers each kind under the key Workflows and Schedules embed it by', () => {
    const byKind = Object.fromEntries(embeddableKinds().map((k) => [k.kind, k.embedKey]))
    for (const [kind, key] of Object.entries(KINDS)) expect(byKind[kind], kind).toBe(key)
  })
})

describe('NetworkChaos', () => {
  it('defaults direction, correlations, jitter, the target namespace, and trims the device', () => {
    const spec = valid(doc('NetworkChaos', 'action: netem\ndevice: eth0@if12\ndelay: {latency: 10ms, reorder: {reorder: "5", gap: 1}}\nloss: {loss: "1"}\ntarget: {mode: all, selector: {labelSelectors: {app: db}}}', { namespace: 'shop' }))
    expect(spec).toMatchObject({
      direction: 'to',
      device: 'eth0',
      delay: { latency: '10ms', correlation: '0', jitter: '0ms', reorder: { reorder: '5', correlation: '0', gap: 1 } },
      loss: { loss: '1', correlation: '0' },
      target: { selector: { namespaces: ['shop'] } },
    })
  })

  it('accepts a partition from the other side without a target, as Chaos Mesh does', () => {
    valid(doc('NetworkChaos', 'action: partition\ndirection: both'))
  })

  it('accepts IPs, IPv6 with ports, CIDR blocks and host names as external targets', () => {
    valid(doc('NetworkChaos', 'action: delay\ndelay: {latency: 1s}\nexternalTargets: ["10.1.2.3", "2001:db8::1", "[2001:db8::1]:443", "2001:db8::/32", "db.internal:5432", "10.0.0.0/8:22"]'))
  })

  it('reads rates case-insensitively with spaces', () => {
    valid(doc('NetworkChaos', 'action: bandwidth\nbandwidth: {rate: "1 Mbit", limit: 1, buffer: 1}'))
    expect(issues(doc('NetworkChaos', 'action: bandwidth\nbandwidth: {rate: "1.5mbps", limit: 1, buffer: 1}'))).toEqual([
      '8:21 spec.bandwidth.rate: expected a rate like "1mbps", got "1.5mbps" [SPEC_INVALID_VALUE]',
    ])
  })
})

describe('HTTPChaos', () => {
  it('accepts any method on responses (it only selects), but only standard methods on requests', () => {
    valid(doc('HTTPChaos', 'target: Response\nport: 80\nmethod: PROPFIND\ndelay: 1s'))
    expect(validateText(doc('HTTPChaos', 'target: Request\nport: 80\nmethod: get\nabort: true')).issues[0]?.hint).toBe('methods are upper case: "GET"')
  })
})

describe('other defaults', () => {
  it('TimeChaos shifts CLOCK_REALTIME unless told otherwise', () => {
    expect(valid(doc('TimeChaos', 'timeOffset: -10m100ns')).clockIds).toEqual(['CLOCK_REALTIME'])
    expect(valid(doc('TimeChaos', 'timeOffset: 1h\nclockIds: [CLOCK_MONOTONIC]')).clockIds).toEqual(['CLOCK_MONOTONIC'])
  })

  it('IOChaos affects 100% of operations by default', () => {
    expect(valid(doc('IOChaos', MINIMAL.IOChaos)).percent).toBe(100)
  })

  it('StressChaos memory stressors get oomScoreAdj 0, and stressngStressors alone is enough', () => {
    expect(valid(doc('StressChaos', 'stressors: {memory: {workers: 1, size: "50%"}}')).stressors).toEqual({ memory: { workers: 1, size: '50%', oomScoreAdj: 0 } })
    valid(doc('StressChaos', 'stressngStressors: "--cpu 1"'))
  })

  it('JVMChaos talks to the agent on port 9277 by default', () => {
    expect(valid(doc('JVMChaos', MINIMAL.JVMChaos)).port).toBe(9277)
    expect(valid(doc('JVMChaos', 'action: gc\nport: 10000')).port).toBe(10000)
  })

  it('BlockChaos delay gets correlation "0" and jitter "0ms"', () => {
    expect(valid(doc('BlockChaos', MINIMAL.BlockChaos)).delay).toEqual({ latency: '1s', correlation: '0', jitter: '0ms' })
  })
})
