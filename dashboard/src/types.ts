/**
 * @module dashboard/types: what the dashboard reads from the API. The controller's own types (src/api/types.ts,
 * src/report/types.ts) are imported as types only, so that the page and the server cannot drift apart.
 */
export type { ChaosEvent, ChaosObject, ChangeNotice, Condition, ChaoscopeRecord } from '../../src/api/types.js'
export type { ReportData, EdgeSeries, SeriesPoint, FaultWindow, ServiceImpact, RunSummary } from '../../src/report/types.js'

/** Roles of a token (GET /api/v1/whoami), weakest first. */
export type Role = 'viewer' | 'operator' | 'admin'

export interface Who {
  name: string
  role: Role
  /** Empty: every namespace. */
  namespaces: string[]
}

/** A pod of the local runtime as GET /api/v1/pods lists it. */
export type { Pod } from '../../src/runtime/process/types.js'

/** One positioned problem with a document, as the API's answers carry them. */
export type { Issue } from '../../src/manifest/issues.js'
