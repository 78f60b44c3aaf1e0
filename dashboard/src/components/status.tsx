/**
 * @module dashboard/components/status: how an experiment's phase and a record's phase look, the same words the CLI
 * prints (`chaoscope get`: Injecting, Running, Paused, Finished...).
 */
import type { ChaosObject } from '../types.js'

/** `status.chaoscope.phase` as a word; objects of kinds without one (Schedule, Workflow) say what their status says. */
export function phaseOf(o: ChaosObject): string {
  const phase = o.status?.chaoscope?.phase
  if (phase) return phase.charAt(0).toUpperCase() + phase.slice(1)
  return 'Unknown'
}

export function Badge({ text }: { text: string }) {
  return <span className={`badge ${text.toLowerCase().replace(/\s+/g, '-')}`}>{text}</span>
}

/** Injected targets over all targets, as `chaoscope get`'s INJECTED column. */
export function injectedOf(o: ChaosObject): string {
  const records = o.status?.experiment?.containerRecords ?? []
  return `${records.filter((r) => r.phase === 'Injected').length}/${records.length}`
}
