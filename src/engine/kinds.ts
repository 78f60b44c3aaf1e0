/**
 * @module engine/kinds: the kind modules the controller runs besides experiments (engine/family.ts): one place
 * that lists them, so that the controller does not import each.
 */
import type { KindModule } from './family.js'
import { scheduleModule } from './schedule.js'
import { statusCheckModule } from './status-check.js'
import { evaluate, parseExpression } from './expression.js'
import { runTask } from './task.js'
import { workflowModule, workflowNodeModule } from './workflow.js'
import type { WorkflowTools } from './workflow.js'

export interface KindOptions {
  /** Workflow Tasks may run their container's command as a local process (`chaoscope server --allow-exec`). */
  allowExec: boolean
}

/** What Workflow Tasks run with: engine/task.ts runs the container, engine/expression.ts evaluates the branches. */
export const workflowTools: WorkflowTools = { runTask, parseExpression, evaluate: evaluate as WorkflowTools['evaluate'] }

/** Every kind module, for a controller started with `opts`. */
export function kindModules(opts: KindOptions): KindModule[] {
  return [scheduleModule, statusCheckModule, workflowModule(workflowTools), workflowNodeModule({ allowExec: opts.allowExec, tools: workflowTools })]
}
