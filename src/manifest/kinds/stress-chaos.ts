/** @module manifest/kinds/stress-chaos: StressChaos (CPU and memory stressors run inside the target's cgroup). */
import { defineKind } from '../kind.js'
import { arr, int, obj, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'
import { checkByteSize } from './field-rules.js'

const memoryStressor = obj({
  workers: int({ maximum: 8192 }),
  size: opt(str()),
  oomScoreAdj: opt(int({ default: 0, minimum: -1000, maximum: 1000 })),
  options: opt(arr(str())),
})

const cpuStressor = obj({
  workers: int({ maximum: 8192 }),
  load: opt(int({ minimum: 0, maximum: 100 })),
  options: opt(arr(str())),
})

export const stressChaosSpec = obj({
  ...containerSelectorFields,
  stressors: opt(obj({ memory: opt(memoryStressor), cpu: opt(cpuStressor) })),
  stressngStressors: opt(str()),
  ...durationField,
  ...remoteClusterField,
})
export type StressChaosSpec = Static<typeof stressChaosSpec>

export const stressChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'StressChaos',
  embedKey: 'stressChaos',
  spec: stressChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    const s = spec.stressors
    if (!s && !spec.stressngStressors) {
      ctx.issue(['stressors'], 'SPEC_REQUIRED', 'missing stressors: give stressors (cpu or memory) or stressngStressors', 'add e.g. stressors: { cpu: { workers: 1, load: 50 } }')
    } else if (s && !s.cpu && !s.memory) {
      ctx.issue(['stressors'], 'SPEC_REQUIRED', 'stressors needs cpu or memory', 'add e.g. cpu: { workers: 1, load: 50 }')
    }
    // A stressor with no workers is skipped when Chaos Mesh builds the stress-ng command line.
    for (const k of ['cpu', 'memory'] as const) {
      const w = s?.[k]?.workers
      if (w !== undefined && w <= 0) ctx.issue(['stressors', k, 'workers'], 'SPEC_OUT_OF_RANGE', `workers must be at least 1, got ${w}`)
    }
    checkByteSize(ctx, ['stressors', 'memory', 'size'], s?.memory?.size)
  },
})
