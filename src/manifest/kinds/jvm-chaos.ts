/** @module manifest/kinds/jvm-chaos: JVMChaos (faults injected into a JVM through its agent: latency, return, exception, stress, gc, rules, MySQL). */
import { defineKind } from '../kind.js'
import { int, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'
import { checkPort } from './field-rules.js'

export const JVM_CHAOS_ACTIONS = ['latency', 'return', 'exception', 'stress', 'gc', 'ruleData', 'mysql'] as const
export const JVM_MEMORY_TYPES = ['stack', 'heap'] as const
export const JVM_MYSQL_CONNECTOR_VERSIONS = ['5', '8'] as const
/** The port of the JVM agent when the spec gives none. */
export const DEFAULT_JVM_AGENT_PORT = 9277

export const jvmChaosSpec = obj({
  ...containerSelectorFields,
  ...durationField,
  action: oneOf(JVM_CHAOS_ACTIONS),
  port: opt(int()),
  pid: opt(int()),
  class: opt(str()),
  method: opt(str()),
  cpuCount: opt(int()),
  memType: opt(str()),
  mysqlConnectorVersion: opt(str()),
  database: opt(str()),
  table: opt(str()),
  sqlType: opt(str()),
  name: opt(str()),
  returnValue: opt(str()),
  exception: opt(str()),
  latency: opt(int()),
  ruleData: opt(str()),
  ...remoteClusterField,
})
export type JVMChaosSpec = Static<typeof jvmChaosSpec>

const quoted = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(', ')

export const jvmChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'JVMChaos',
  embedKey: 'jvmChaos',
  spec: jvmChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
    if (!spec.port) spec.port = DEFAULT_JVM_AGENT_PORT
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    if (spec.port) checkPort(ctx, ['port'], spec.port)
    const a = spec.action
    const need = (field: keyof JVMChaosSpec, hint?: string) => ctx.issue([field], 'SPEC_REQUIRED', `action ${a} needs spec.${field}`, hint)
    switch (a) {
      case 'stress':
        if (!spec.cpuCount && !spec.memType) {
          ctx.issue(['cpuCount'], 'SPEC_REQUIRED', 'action stress needs cpuCount or memType', 'add cpuCount: 1, or memType: heap')
        } else if (spec.cpuCount && spec.cpuCount > 0 && spec.memType) {
          ctx.issue(['memType'], 'SPEC_INVALID_VALUE', 'action stress cannot stress CPU and memory at once', 'keep cpuCount or memType, and make a second JVMChaos for the other')
        }
        if (spec.memType && !(JVM_MEMORY_TYPES as readonly string[]).includes(spec.memType)) {
          ctx.issue(['memType'], 'SPEC_ENUM', `expected one of ${quoted(JVM_MEMORY_TYPES)}, got ${JSON.stringify(spec.memType)}`)
        }
        break
      case 'gc':
        break
      case 'latency':
      case 'return':
      case 'exception':
        if (!spec.class) need('class', 'add class: the fully qualified class name, e.g. com.example.Main')
        if (!spec.method) need('method', 'add method: the name of the method to act on')
        if (a === 'exception' && !spec.exception) need('exception', 'add exception: java.io.IOException("BOOM")')
        if (a === 'return' && !spec.returnValue) {
          // Older Chaos Mesh releases called this field "value", which is now the pod selector's value.
          const oldName = spec.value !== undefined && (spec.mode === 'one' || spec.mode === 'all')
          need('returnValue', oldName ? `spec.value is the selector's pod count or percent; write the value to return as returnValue: ${JSON.stringify(spec.value)}` : 'add returnValue: "9999"')
        }
        if (a === 'latency' && !spec.latency) need('latency', 'add latency: 1000 (milliseconds)')
        break
      case 'ruleData':
        if (!spec.ruleData) need('ruleData', 'add ruleData: a Byteman rule ("RULE ... ENDRULE")')
        break
      case 'mysql':
        if (!spec.mysqlConnectorVersion) {
          need('mysqlConnectorVersion', 'add mysqlConnectorVersion: "8" (or "5")')
        } else if (!(JVM_MYSQL_CONNECTOR_VERSIONS as readonly string[]).includes(spec.mysqlConnectorVersion)) {
          ctx.issue(['mysqlConnectorVersion'], 'SPEC_ENUM', `expected one of ${quoted(JVM_MYSQL_CONNECTOR_VERSIONS)}, got ${JSON.stringify(spec.mysqlConnectorVersion)}`, 'use "5" for connector 5.x.x and "8" for 8.x.x')
        }
        if (!spec.exception && !spec.latency) {
          ctx.issue(['exception'], 'SPEC_REQUIRED', 'action mysql needs exception or latency', 'add latency: 1000 (milliseconds), or exception: a Java exception')
        }
        break
    }
  },
})
