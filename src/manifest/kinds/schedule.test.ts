/** Schedule: the public example validates with its defaults; cron, type, embedded spec and ranges are checked. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAOS_MESH_EXAMPLES } from '../../../test/conformance.js'
import { invalidFixture, short } from '../../../test/issues.js'
import { validatePaths, validateText } from '../validate.js'

describe('Schedule', () => {
  it('validates schedule-podchaos.yaml and applies the defaults', () => {
    const r = validatePaths([join(CHAOS_MESH_EXAMPLES, 'schedule-podchaos.yaml')])
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources[0]!.spec).toEqual({
      schedule: '@every 5s', type: 'PodChaos', historyLimit: 5, concurrencyPolicy: 'Forbid',
      podChaos: { action: 'pod-kill', mode: 'one', selector: { labelSelectors: { 'app.kubernetes.io/component': 'tikv' }, namespaces: ['default'] } },
    })
  })

  it('defaults concurrencyPolicy to Forbid, and checks and defaults a scheduled Workflow', () => {
    const r = validateText(`apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "CRON_TZ=Europe/Paris 0 2 * * *"
  type: Workflow
  workflow:
    entry: kill
    templates:
      - name: kill
        templateType: PodChaos
        deadline: 1m
        podChaos: {action: pod-kill, mode: one, selector: {}}
`)
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources[0]!.spec).toMatchObject({
      concurrencyPolicy: 'Forbid',
      workflow: { templates: [{ podChaos: { selector: { namespaces: ['shop'] } } }] },
    })
  })

  const cases: Record<string, string[]> = {
    'schedule-cron-four-fields.yaml': ['6:13 spec.schedule: "*/5 * * *" is not a cron schedule: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 4 [SPEC_INVALID_CRON]'],
    'schedule-cron-hour-out-of-range.yaml': ['6:13 spec.schedule: "0 25 * * *" is not a cron schedule: hour field: 25 is above the maximum 23 in "25" [SPEC_INVALID_CRON]'],
    'schedule-type-unknown.yaml': ['7:9 spec.type: "PodChaoss" is not a kind a Schedule can create [SPEC_ENUM]'],
    'schedule-type-without-its-spec.yaml': [
      '5:1 spec.networkChaos: type NetworkChaos needs the NetworkChaos spec in networkChaos [SPEC_REQUIRED]',
      '8:3 spec.podChaos: type NetworkChaos takes only networkChaos; podChaos would be ignored [SPEC_INVALID_VALUE]',
    ],
    'schedule-history-limit-zero.yaml': ['8:17 spec.historyLimit: must be >= 1, got number 0 [SPEC_OUT_OF_RANGE]'],
    'schedule-starting-deadline-zero.yaml': ['8:28 spec.startingDeadlineSeconds: must be > 0, got number 0 [SPEC_OUT_OF_RANGE]'],
    'schedule-concurrency-policy-unknown.yaml': ['8:22 spec.concurrencyPolicy: expected one of "Forbid", "Allow", got "Replace" [SPEC_ENUM]'],
    'schedule-workflow-entry-unknown.yaml': ['9:12 spec.workflow.entry: entry names template "start", which is not defined [SPEC_UNKNOWN_TEMPLATE]'],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it('hints at the closest kind for an unknown type', () => {
    const r = validateText('apiVersion: chaos-mesh.org/v1alpha1\nkind: Schedule\nmetadata: {name: s}\nspec: {schedule: "@hourly", type: NetworkChaoss, networkChaos: {action: delay, mode: one, selector: {}, delay: {latency: 10ms}}}\n')
    expect(r.issues.map((i) => i.hint)).toEqual(['did you mean "NetworkChaos"?'])
  })
})
