/**
 * @module engine/kinds: the kind modules the controller runs besides experiments (engine/family.ts): one place
 * that lists them, so that the controller does not import each.
 */
import type { KindModule } from './family.js'
import { scheduleModule } from './schedule.js'
import { statusCheckModule } from './status-check.js'
import { workflowModule, workflowNodeModule } from './workflow.js'

export interface KindOptions {
  /** Workflow Tasks may run their container's command as a local process (`chaoscope server --allow-exec`). */
  allowExec: boolean
}

/** Every kind module, for a controller started with `opts`. */
export function kindModules(opts: KindOptions): KindModule[] {
  return [scheduleModule, statusCheckModule, workflowModule(), workflowNodeModule({ allowExec: opts.allowExec })]
}
