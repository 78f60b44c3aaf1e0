/**
 * @module test/doubles/chaos-yaml: Chaos Mesh resources for tests, as a user writes them: a YAML text per
 * experiment (NetworkChaos delay, PodChaos) and `resource`, which validates one with Chaos Mesh's defaults.
 */
import { validateText } from '../../src/manifest/validate.js'
import type { Resource } from '../../src/manifest/validate.js'

/** The one resource in a YAML text, validated (with Chaos Mesh's defaults); throws with the issues otherwise. */
export function resource(yaml: string): Resource {
  const r = validateText(yaml, 'test.yaml')
  if (r.issues.length > 0 || r.resources.length !== 1) throw new Error(`invalid test resource: ${JSON.stringify(r.issues)}`)
  return r.resources[0]!
}

/** Every resource of a multi-document YAML text, validated; throws with the issues otherwise. */
export function resources(yaml: string): Resource[] {
  const r = validateText(yaml, 'test.yaml')
  if (r.issues.length > 0) throw new Error(`invalid test resources: ${JSON.stringify(r.issues)}`)
  return r.resources
}

export interface MetaOptions {
  annotations?: Record<string, string>
  labels?: Record<string, string>
}

function meta(name: string, opts: MetaOptions): string[] {
  return [
    `  name: ${name}`,
    ...(opts.labels ? ['  labels:', ...Object.entries(opts.labels).map(([k, v]) => `    ${k}: "${v}"`)] : []),
    ...(opts.annotations ? ['  annotations:', ...Object.entries(opts.annotations).map(([k, v]) => `    ${k}: "${v}"`)] : []),
  ]
}

/** A NetworkChaos delay on pods labelled app=`app` (default web), on their ingress sidecars. */
export function delayYaml(name: string, opts: MetaOptions & { app?: string; latency?: string; duration?: string; mode?: string; value?: string } = {}): string {
  return [
    'apiVersion: chaos-mesh.org/v1alpha1',
    'kind: NetworkChaos',
    'metadata:',
    ...meta(name, opts),
    'spec:',
    '  action: delay',
    `  mode: ${opts.mode ?? 'all'}`,
    ...(opts.value ? [`  value: "${opts.value}"`] : []),
    '  selector:',
    `    labelSelectors: {app: ${opts.app ?? 'web'}}`,
    `  delay: {latency: "${opts.latency ?? '300ms'}"}`,
    ...(opts.duration ? [`  duration: "${opts.duration}"`] : []),
    '',
  ].join('\n')
}

/** A PodChaos (pod-kill, pod-failure, container-kill) on pods labelled app=`app` (default db). */
export function podChaosYaml(name: string, action: 'pod-kill' | 'pod-failure' | 'container-kill', opts: MetaOptions & { app?: string; duration?: string; mode?: string } = {}): string {
  return [
    'apiVersion: chaos-mesh.org/v1alpha1',
    'kind: PodChaos',
    'metadata:',
    ...meta(name, opts),
    'spec:',
    `  action: ${action}`,
    `  mode: ${opts.mode ?? 'all'}`,
    `  selector: {labelSelectors: {app: ${opts.app ?? 'db'}}}`,
    ...(opts.duration ? [`  duration: "${opts.duration}"`] : []),
    '',
  ].join('\n')
}

/**
 * A NetworkChaos delay on the edge between two services of the chain demo: pods app=`app` (default middle), towards
 * app=`target` (default back), on the egress sidecars of `app`.
 */
export function edgeDelayYaml(name: string, opts: { latency?: string; duration?: string; app?: string; target?: string } = {}): string {
  return `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: ${name}
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: ${opts.app ?? 'middle'}}
  direction: to
  target:
    mode: all
    selector:
      labelSelectors: {app: ${opts.target ?? 'back'}}
  delay:
    latency: ${opts.latency ?? '300ms'}
${opts.duration ? `  duration: ${opts.duration}\n` : ''}`
}
