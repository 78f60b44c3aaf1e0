/** @module manifest/kinds/physical-machine-chaos: PhysicalMachineChaos (faults chaosd injects on hosts outside Kubernetes). */
import { defineKind } from '../kind.js'
import { arr, bool, int, map, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { MODES, durationField, expressionSelector, remoteClusterField } from './common.js'
import { withHttpScheme } from './physical-machine.js'

export const PHYSICAL_MACHINE_ACTIONS = [
  'stress-cpu', 'stress-mem', 'disk-read-payload', 'disk-write-payload', 'disk-fill', 'network-corrupt',
  'network-duplicate', 'network-loss', 'network-delay', 'network-partition', 'network-dns', 'network-bandwidth',
  'network-flood', 'network-down', 'process', 'jvm-exception', 'jvm-gc', 'jvm-latency', 'jvm-return', 'jvm-stress',
  'jvm-rule-data', 'jvm-mysql', 'clock', 'redis-expiration', 'redis-penetration', 'redis-cacheLimit', 'redis-restart',
  'redis-stop', 'kafka-fill', 'kafka-flood', 'kafka-io', 'file-create', 'file-modify', 'file-delete', 'file-rename',
  'file-append', 'file-replace', 'vm', 'user_defined',
] as const
export type PhysicalMachineAction = (typeof PHYSICAL_MACHINE_ACTIONS)[number]

const networkCommon = {
  correlation: opt(str()),
  device: opt(str()),
  'source-port': opt(str()),
  'egress-port': opt(str()),
  'ip-address': opt(str()),
  'ip-protocol': opt(str()),
  hostname: opt(str()),
}
const networkPercent = obj({ ...networkCommon, percent: opt(str()) })
const jvmCommon = { port: opt(int()), pid: opt(int()) }
const jvmClassMethod = { class: opt(str()), method: opt(str()) }
const redisCommon = { addr: opt(str()), password: opt(str()) }
const redisSentinel = obj({ ...redisCommon, conf: opt(str()), flushConfig: opt(bool()), redisPath: opt(bool()) })
const kafkaCommon = { host: opt(str()), port: opt(int()), topic: opt(str()), messageSize: opt(int()), username: opt(str()), password: opt(str()) }
const httpCommon = { target: str(), port: opt(int()), path: opt(str()), method: opt(str()), code: opt(str()), proxy_ports: arr(int()) }
const diskFile = { size: opt(str()), path: opt(str()) }

/** Which machines: by PhysicalMachine objects (namespaces, labels, names), or `address` lists chaosd servers directly. */
export const physicalMachineSelectorSpec = obj({
  namespaces: opt(arr(str())),
  fieldSelectors: opt(map(str())),
  labelSelectors: opt(map(str())),
  expressionSelectors: opt(arr(expressionSelector)),
  annotationSelectors: opt(map(str())),
  physicalMachines: opt(map(arr(str()))),
})

export const physicalMachineChaosSpec = obj({
  action: oneOf(PHYSICAL_MACHINE_ACTIONS),
  address: opt(arr(str())),
  selector: opt(physicalMachineSelectorSpec),
  mode: oneOf(MODES),
  value: opt(str()),
  uid: opt(str()),
  ...durationField,
  ...remoteClusterField,
  'stress-cpu': opt(obj({ load: opt(int()), workers: opt(int()), options: opt(arr(str())) })),
  'stress-mem': opt(obj({ size: opt(str()), options: opt(arr(str())) })),
  'disk-read-payload': opt(obj({ ...diskFile, 'payload-process-num': opt(int()) })),
  'disk-write-payload': opt(obj({ ...diskFile, 'payload-process-num': opt(int()) })),
  'disk-fill': opt(obj({ ...diskFile, 'fill-by-fallocate': opt(bool()) })),
  'network-corrupt': opt(networkPercent),
  'network-duplicate': opt(networkPercent),
  'network-loss': opt(networkPercent),
  'network-delay': opt(obj({ ...networkCommon, jitter: opt(str()), latency: opt(str()), 'accept-tcp-flags': opt(str()) })),
  'network-partition': opt(obj({
    device: opt(str()), hostname: opt(str()), 'ip-address': opt(str()), direction: opt(str()), 'ip-protocol': opt(str()), 'accept-tcp-flags': opt(str()),
  })),
  'network-dns': opt(obj({ 'dns-server': opt(str()), 'dns-ip': opt(str()), 'dns-domain-name': opt(str()) })),
  'network-bandwidth': opt(obj({
    rate: str(), limit: int({ minimum: 1 }), buffer: int({ minimum: 1 }), peakrate: opt(int()), minburst: opt(int()),
    device: opt(str()), 'ip-address': opt(str()), hostname: opt(str()),
  })),
  'network-flood': opt(obj({ rate: str(), 'ip-address': opt(str()), port: opt(str()), parallel: opt(int()), duration: str() })),
  'network-down': opt(obj({ device: opt(str()), duration: opt(str()) })),
  process: opt(obj({ process: opt(str()), signal: opt(int()), recoverCmd: opt(str()) })),
  'jvm-exception': opt(obj({ ...jvmCommon, ...jvmClassMethod, exception: opt(str()) })),
  'jvm-gc': opt(obj({ ...jvmCommon })),
  'jvm-latency': opt(obj({ ...jvmCommon, ...jvmClassMethod, latency: opt(int()) })),
  'jvm-return': opt(obj({ ...jvmCommon, ...jvmClassMethod, value: opt(str()) })),
  'jvm-stress': opt(obj({ ...jvmCommon, 'cpu-count': opt(int()), 'mem-type': opt(str()) })),
  'jvm-rule-data': opt(obj({ ...jvmCommon, 'rule-data': opt(str()) })),
  'jvm-mysql': opt(obj({
    ...jvmCommon, mysqlConnectorVersion: opt(str()), database: opt(str()), table: opt(str()), sqlType: opt(str()),
    exception: opt(str()), latency: opt(int()),
  })),
  clock: opt(obj({ pid: opt(int()), 'time-offset': opt(str()), 'clock-ids-slice': opt(str()) })),
  'redis-expiration': opt(obj({ ...redisCommon, expiration: opt(str()), key: opt(str()), option: opt(str()) })),
  'redis-penetration': opt(obj({ ...redisCommon, requestNum: opt(int()) })),
  'redis-cacheLimit': opt(obj({ ...redisCommon, cacheSize: opt(str()), percent: opt(str()) })),
  'redis-restart': opt(redisSentinel),
  'redis-stop': opt(redisSentinel),
  'kafka-fill': opt(obj({ ...kafkaCommon, maxBytes: opt(int()), reloadCommand: opt(str()) })),
  'kafka-flood': opt(obj({ ...kafkaCommon, threads: opt(int()) })),
  'kafka-io': opt(obj({ topic: opt(str()), configFile: opt(str()), nonReadable: opt(bool()), nonWritable: opt(bool()) })),
  'http-abort': opt(obj({ ...httpCommon })),
  'http-delay': opt(obj({ ...httpCommon, delay: str() })),
  'http-config': opt(obj({ file_path: opt(str()) })),
  'http-request': opt(obj({ url: opt(str()), 'enable-conn-pool': opt(bool()), count: opt(int()) })),
  'file-create': opt(obj({ 'file-name': opt(str()), 'dir-name': opt(str()) })),
  'file-modify': opt(obj({ 'file-name': opt(str()), privilege: opt(int()) })),
  'file-delete': opt(obj({ 'file-name': opt(str()), 'dir-name': opt(str()) })),
  'file-rename': opt(obj({ 'source-file': opt(str()), 'dest-file': opt(str()) })),
  'file-append': opt(obj({ 'file-name': opt(str()), data: opt(str()), count: opt(int()) })),
  'file-replace': opt(obj({ 'file-name': opt(str()), 'origin-string': opt(str()), 'dest-string': opt(str()), line: opt(int()) })),
  vm: opt(obj({ 'vm-name': opt(str()) })),
  user_defined: opt(obj({ attackCmd: opt(str()), recoverCmd: opt(str()) })),
})
export type PhysicalMachineChaosSpec = Static<typeof physicalMachineChaosSpec>

/** A percent in a string: empty is allowed only where `allowZero`; otherwise a float in [0, 100] (0 only if `allowZero`). */
function percentOk(p: string | undefined, allowZero: boolean): boolean {
  if (p === undefined || p === '') return allowZero
  const v = Number(p)
  if (p.trim() === '' || !Number.isFinite(v)) return false
  if (v === 0 && !allowZero) return false
  return v >= 0 && v <= 100
}

/** A size chaosd understands: a byte count, or a number with a unit like "10K", "512MB", "1GiB". */
export function isSize(s: string): boolean {
  return /^\d+(\.\d+)?(B|[KMGTPE](i?B)?)?$/.test(s)
}

const empty = (s: string | undefined) => s === undefined || s === ''
const zero = (n: number | undefined) => n === undefined || n === 0
const pidProblem = (pid: number | undefined) => (zero(pid) ? 'pid is required' : pid! < 0 ? 'pid is invalid' : undefined)
const sizeProblem = (size: string | undefined) => (empty(size) ? 'size is required' : isSize(size!) ? undefined : `unknown unit in size ${JSON.stringify(size)}`)
type Cfg<A extends PhysicalMachineAction> = NonNullable<PhysicalMachineChaosSpec[A]>
const networkCommonProblem = (c: { correlation?: string; device?: string }) =>
  !percentOk(c.correlation, true) ? `correlation ${JSON.stringify(c.correlation)} is not a percent from 0 to 100` : empty(c.device) ? 'device is required' : undefined
const percentProblem = (c: Cfg<'network-loss'>) => networkCommonProblem(c) ?? (percentOk(c.percent, false) ? undefined : 'percent must be a number in (0, 100]')
const classMethodProblem = (c: { class?: string; method?: string }) => (empty(c.class) ? 'class is required' : empty(c.method) ? 'method is required' : undefined)
const tcpFlagsProblem = (c: { 'accept-tcp-flags'?: string; 'ip-protocol'?: string }) =>
  !empty(c['accept-tcp-flags']) && c['ip-protocol'] !== 'tcp' ? 'accept-tcp-flags needs ip-protocol: tcp' : undefined
const kafkaProblem = (c: { host?: string; port?: number }) => (empty(c.host) ? 'host is required' : zero(c.port) ? 'port is required' : undefined)
const redisProblem = (c: { addr?: string }) => (empty(c.addr) ? 'addr of the redis server is required' : undefined)

/**
 * What chaosd needs in each action's configuration (the webhook checks the first problem only, so do we).
 * Actions absent from this table take any configuration.
 */
const ACTION_RULES: { [A in PhysicalMachineAction]?: (c: Cfg<A>) => string | undefined } = {
  'stress-cpu': (c) => (zero(c.load) ? 'load must not be 0' : zero(c.workers) ? 'workers must not be 0' : undefined),
  'stress-mem': (c) => sizeProblem(c.size),
  'disk-write-payload': (c) => (zero(c['payload-process-num']) ? 'payload-process-num must not be 0' : sizeProblem(c.size)),
  'disk-read-payload': (c) => (zero(c['payload-process-num']) ? 'payload-process-num must not be 0' : sizeProblem(c.size)),
  'disk-fill': (c) => sizeProblem(c.size),
  'network-corrupt': percentProblem,
  'network-duplicate': percentProblem,
  'network-loss': percentProblem,
  'network-delay': (c) => networkCommonProblem(c) ?? (empty(c.latency) ? 'latency is required' : tcpFlagsProblem(c)),
  'network-partition': (c) =>
    empty(c.device) ? 'device is required'
      : empty(c['ip-address']) && empty(c.hostname) ? 'one of ip-address and hostname is required'
        : c.direction !== 'to' && c.direction !== 'from' ? 'direction must be "to" or "from"'
          : tcpFlagsProblem(c),
  'network-bandwidth': (c) => (empty(c.device) ? 'device is required' : empty(c.rate) ? 'rate is required' : undefined),
  'network-dns': (c) => (empty(c['dns-domain-name']) !== empty(c['dns-ip']) ? 'dns-domain-name and dns-ip must be given together' : undefined),
  'network-flood': (c) =>
    empty(c['ip-address']) ? 'ip-address is required' : empty(c.port) ? 'port is required' : empty(c.rate) ? 'rate is required' : empty(c.duration) ? 'duration is required' : undefined,
  'network-down': (c) => (empty(c.device) ? 'device is required' : empty(c.duration) ? 'duration is required' : undefined),
  process: (c) => (empty(c.process) ? 'process is required' : zero(c.signal) ? 'signal is required' : undefined),
  'jvm-exception': (c) => pidProblem(c.pid) ?? classMethodProblem(c) ?? (empty(c.exception) ? 'exception is required' : undefined),
  'jvm-gc': (c) => pidProblem(c.pid),
  'jvm-latency': (c) => pidProblem(c.pid) ?? classMethodProblem(c) ?? (zero(c.latency) ? 'latency is required' : undefined),
  'jvm-return': (c) => pidProblem(c.pid) ?? classMethodProblem(c) ?? (empty(c.value) ? 'value is required' : undefined),
  'jvm-stress': (c) =>
    pidProblem(c.pid) ?? (zero(c['cpu-count']) && empty(c['mem-type']) ? 'one of cpu-count and mem-type is required'
      : (c['cpu-count'] ?? 0) > 0 && !empty(c['mem-type']) ? 'cpu-count and mem-type cannot be used together' : undefined),
  'jvm-rule-data': (c) => pidProblem(c.pid) ?? (empty(c['rule-data']) ? 'rule-data is required' : undefined),
  'jvm-mysql': (c) =>
    pidProblem(c.pid) ?? (empty(c.mysqlConnectorVersion) ? 'mysqlConnectorVersion is required'
      : empty(c.exception) && zero(c.latency) ? 'one of exception and latency is required' : undefined),
  clock: (c) => pidProblem(c.pid) ?? (empty(c['time-offset']) ? 'time-offset is required' : undefined),
  'redis-expiration': redisProblem,
  'redis-cacheLimit': redisProblem,
  'redis-penetration': (c) => redisProblem(c) ?? (zero(c.requestNum) ? 'requestNum is required' : undefined),
  'redis-stop': redisProblem,
  'redis-restart': (c) => redisProblem(c) ?? (empty(c.conf) ? 'conf is required to restart the sentinel' : undefined),
  'kafka-fill': (c) => kafkaProblem(c) ?? (zero(c.maxBytes) ? 'maxBytes is required' : empty(c.reloadCommand) ? 'reloadCommand is required' : undefined),
  'kafka-flood': (c) => kafkaProblem(c) ?? (zero(c.threads) ? 'threads is required' : undefined),
  'kafka-io': (c) => (!c.nonReadable && !c.nonWritable ? 'at least one of nonReadable and nonWritable must be true' : undefined),
  'file-create': (c) => (empty(c['file-name']) && empty(c['dir-name']) ? 'one of file-name and dir-name is required' : undefined),
  'file-modify': (c) => (empty(c['file-name']) ? 'file-name is required' : zero(c.privilege) ? 'privilege is required' : undefined),
  'file-delete': (c) => (empty(c['file-name']) && empty(c['dir-name']) ? 'one of file-name and dir-name is required' : undefined),
  'file-rename': (c) => (empty(c['source-file']) || empty(c['dest-file']) ? 'both source-file and dest-file are required' : undefined),
  'file-append': (c) => (empty(c['file-name']) ? 'file-name is required' : empty(c.data) ? 'data is required' : undefined),
  'file-replace': (c) =>
    empty(c['file-name']) ? 'file-name is required' : empty(c['origin-string']) || empty(c['dest-string']) ? 'both origin-string and dest-string are required' : undefined,
  user_defined: (c) => (empty(c.attackCmd) ? 'attackCmd is required' : empty(c.recoverCmd) ? 'recoverCmd is required' : undefined),
}

function selectorEmpty(s: PhysicalMachineChaosSpec['selector']): boolean {
  if (!s) return true
  const n = (x: object | undefined) => (x ? Object.keys(x).length : 0)
  return n(s.annotationSelectors) + n(s.fieldSelectors) + n(s.labelSelectors) + n(s.physicalMachines) +
    (s.namespaces?.length ?? 0) + (s.expressionSelectors?.length ?? 0) === 0
}

export const physicalMachineChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'PhysicalMachineChaos',
  embedKey: 'physicalmachineChaos',
  spec: physicalMachineChaosSpec,
  check(spec, ctx) {
    const addresses = spec.address ?? []
    if (addresses.length === 0 && selectorEmpty(spec.selector)) {
      ctx.issue([], 'SPEC_REQUIRED', 'one of spec.address and spec.selector is required', 'select PhysicalMachine objects with selector, or list chaosd servers in address')
    } else if (addresses.length > 0 && !selectorEmpty(spec.selector)) {
      ctx.issue(['address'], 'SPEC_INVALID_VALUE', 'spec.address and spec.selector cannot be used together', 'keep one of them')
    }
    addresses.forEach((a, i) => {
      if (a === '') ctx.issue(['address', i], 'SPEC_INVALID_VALUE', 'the address is empty')
    })
    const cfg = spec[spec.action]
    if (cfg === undefined) {
      ctx.issue([spec.action], 'SPEC_REQUIRED', `action ${spec.action} needs its configuration in spec["${spec.action}"]`, `add ${spec.action}: { ... } with the fields of the action`)
      return
    }
    const rule = ACTION_RULES[spec.action] as ((c: unknown) => string | undefined) | undefined
    const problem = rule?.(cfg)
    if (problem) ctx.issue([spec.action], 'SPEC_INVALID_VALUE', `action ${spec.action}: ${problem}`)
  },
  defaults(spec) {
    if (spec.address) spec.address = spec.address.map(withHttpScheme)
  },
})
