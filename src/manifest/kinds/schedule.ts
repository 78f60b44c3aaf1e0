/** @module manifest/kinds/schedule: Schedule (creates a chaos, or a Workflow, on a cron schedule). */
import { defineKind } from '../kind.js'
import { int, obj, oneOf, opt, str } from '../schema-kit.js'
import { CONCURRENCY_POLICIES, checkScheduleItem, defaultEmbedded, embeddedChaosFields } from './embed.js'
import { checkWorkflowSpec, defaultWorkflowSpec, workflowSpec } from './workflow.js'
import type { WorkflowSpec } from './workflow.js'

export const scheduleSpec = obj({
  schedule: str(),
  /** Must be greater than 0 (the CRD says exclusiveMinimum); the rule below reports 0. */
  startingDeadlineSeconds: opt(int({ minimum: 0 })),
  concurrencyPolicy: opt(oneOf(CONCURRENCY_POLICIES, { default: 'Forbid' })),
  historyLimit: opt(int({ minimum: 1 })),
  type: str(),
  ...embeddedChaosFields,
  workflow: opt(workflowSpec),
})

export const schedule = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'Schedule',
  spec: scheduleSpec,
  check(spec, ctx) {
    checkScheduleItem(spec, ctx, { check: (wf, c) => checkWorkflowSpec(wf as WorkflowSpec, c) })
    if (spec.startingDeadlineSeconds === 0) {
      ctx.issue(['startingDeadlineSeconds'], 'SPEC_OUT_OF_RANGE', 'must be > 0, got number 0', 'leave it out to have no deadline, or give the seconds a missed run may still start in')
    }
  },
  defaults(spec, metadata) {
    spec.concurrencyPolicy ??= 'Forbid'
    defaultEmbedded(spec, metadata)
    if (spec.workflow) defaultWorkflowSpec(spec.workflow, metadata)
  },
})
