/** @module manifest/kinds/time-chaos: TimeChaos (shift the clocks a process reads). */
import { defineKind } from '../kind.js'
import { arr, duration, obj, oneOf, opt } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'

/** The clocks TimeChaos can shift (Linux clock ids, by name). */
export const CLOCK_IDS = [
  'CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW',
  'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME', 'CLOCK_REALTIME_ALARM', 'CLOCK_BOOTTIME_ALARM',
] as const

export const timeChaosSpec = obj({
  ...containerSelectorFields,
  timeOffset: duration(),
  clockIds: opt(arr(oneOf(CLOCK_IDS))),
  ...durationField,
  ...remoteClusterField,
})
export type TimeChaosSpec = Static<typeof timeChaosSpec>

export const timeChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'TimeChaos',
  embedKey: 'timeChaos',
  spec: timeChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
    if (!spec.clockIds || spec.clockIds.length === 0) spec.clockIds = ['CLOCK_REALTIME']
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    if (spec.timeOffset === '') {
      ctx.issue(['timeOffset'], 'SPEC_INVALID_DURATION', 'expected a duration like "-10m" or "1h", got ""', 'timeOffset is how far to move the clock; it may be negative')
    }
  },
})
