/** @module app-file: reads an App file (chaoscope.dev/v1alpha1 kind App) for the runtime. */
import { validatePaths } from './manifest/validate.js'
import type { Resource } from './manifest/validate.js'
import type { Issue } from './manifest/issues.js'
import type { AppSpec } from './manifest/kinds/app.js'

/** A validated App: its spec typed (the runtime's AppConfig has the same shape; the compiler checks it where they meet). */
export type AppDocument = Resource & { spec: AppSpec }

/**
 * The one App in `file`, validated and defaulted, or every issue found. A file with no App, or with more than
 * one, is an issue too (positioned at the file, or at the second App).
 */
export function loadApp(file: string): { resource: AppDocument } | { issues: Issue[] } {
  const r = validatePaths([file])
  if (r.issues.length > 0) return { issues: r.issues }
  const apps = r.resources.filter((x) => x.apiVersion === 'chaoscope.dev/v1alpha1' && x.kind === 'App')
  if (apps.length === 1) return { resource: apps[0]! as AppDocument }
  if (apps.length === 0) {
    return { issues: [{ code: 'SPEC_MISSING_KIND', file, line: 1, col: 1, path: '', message: 'no App in this file', hint: 'up takes a file with one object of apiVersion: chaoscope.dev/v1alpha1, kind: App' }] }
  }
  const second = apps[1]!.source
  return { issues: [{ code: 'SPEC_DUPLICATE_NAME', file, line: second.line, col: 1, path: '', message: 'more than one App in this file', hint: 'run one App per runtime: split the file' }] }
}
