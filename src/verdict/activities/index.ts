/**
 * @module verdict/activities: the Python activities chaoscope runs itself, by `module.func` as an experiment's
 * python provider names them: chaosk8s' (k8s.ts), chaosprometheus' (prometheus.ts) and chaoscope's own
 * (chaoscope.ts, with the golden signals of signals.ts).
 *
 * @example
 * const run = PYTHON_ACTIVITIES['chaosk8s.pod.actions.terminate_pods']
 * const killed = await run({ label_selector: 'app=middle' }, ctx)   // ['middle-x7k2p']
 */
import type { PythonActivity } from '../types.js'
import { CHAOSCOPE_ACTIVITIES } from './chaoscope.js'
import { K8S_ACTIVITIES } from './k8s.js'
import { PROMETHEUS_ACTIVITIES } from './prometheus.js'

export { stopSampler } from './chaoscope.js'

export const PYTHON_ACTIVITIES: Record<string, PythonActivity> = {
  ...K8S_ACTIVITIES,
  ...PROMETHEUS_ACTIVITIES,
  ...CHAOSCOPE_ACTIVITIES,
}

/** The Python modules chaoscope implements (an activity of another module needs the Python bridge). */
export const PYTHON_MODULES: ReadonlySet<string> = new Set(Object.keys(PYTHON_ACTIVITIES).map((k) => k.slice(0, k.lastIndexOf('.'))))
