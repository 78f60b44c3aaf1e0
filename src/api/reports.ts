/**
 * @module api/reports: runs and reports over the API. `chaoscope run` posts each journal to POST /api/v1/runs;
 * GET /api/v1/runs lists them; GET /api/v1/report builds the report of a range (or of one run) from what the
 * store recorded, as JSON, self-contained HTML or Markdown. All of it spans namespaces (signals are per edge, not
 * per namespace), so a token limited to namespaces reads none of it, as with lists across all namespaces.
 */
import type { Hono } from 'hono'
import { ChaosError } from '../errors.js'
import { checkNesting, readBody } from '../http-guard.js'
import { requireContentType } from '../http-security.js'
import { buildReport } from '../report/build.js'
import { parseRange } from '../report/range.js'
import { REPORT_FORMATS } from '../report/formats.js'
import type { ReportFormat } from '../report/formats.js'
import { reportInputs } from '../report/source.js'
import type { ReportReader } from '../report/source.js'
import type { RunRow, Store } from '../store/store.js'
import { allow, noteAudit, principalOf } from './auth.js'

export type ReportStore = ReportReader & Pick<Store, 'addRun'>

/** A journal is large (every probe's output): bounded like a resource file. */
const MAX_JOURNAL_BYTES = 4 * 1024 * 1024

const invalid = (why: string) =>
  new ChaosError('REPORT_INVALID_JOURNAL', `the body is not a Chaos Toolkit journal: ${why}`, { hint: 'post the journal.json that `chaoscope run` or `chaos run` wrote' })

/** The fields a report reads of a journal, checked before it is kept. */
export function checkJournal(v: unknown): Omit<RunRow, 'id' | 'createdBy'> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid('it is not a JSON object')
  const j = v as Record<string, unknown>
  const exp = j.experiment as Record<string, unknown> | undefined
  if (!exp || typeof exp !== 'object' || typeof exp.title !== 'string') throw invalid('experiment.title is missing')
  if (typeof j.start !== 'string' || Number.isNaN(Date.parse(j.start.endsWith('Z') ? j.start : `${j.start}Z`))) throw invalid('start is not a time')
  if (j.status !== null && typeof j.status !== 'string') throw invalid('status is not a string')
  const ss = j.steady_states as Record<string, unknown> | undefined
  if (!ss || typeof ss !== 'object' || !Array.isArray(ss.during)) throw invalid('steady_states (before, during, after) is missing')
  const zoned = (t: string) => new Date(Date.parse(/([zZ]|[+-]\d\d:?\d\d)$/.test(t) ? t : `${t}Z`)).toISOString()
  const end = typeof j.end === 'string' && !Number.isNaN(Date.parse(j.end.endsWith('Z') ? j.end : `${j.end}Z`)) ? zoned(j.end) : zoned(j.start)
  const ext = (exp.extensions as { name?: unknown; experiment?: unknown }[] | undefined)?.find?.((e) => e && e.name === 'chaoscope')
  return {
    experiment: typeof ext?.experiment === 'string' && ext.experiment ? ext.experiment : exp.title,
    title: exp.title,
    startedAt: zoned(j.start),
    endedAt: end,
    status: (j.status as string | null) ?? 'interrupted',
    deviated: j.deviated === true,
    journal: j,
  }
}

export function reportRoutes(app: Hono, store: ReportStore, now: () => number = Date.now): void {
  const json = requireContentType(['application/json'])
  app.post('/api/v1/runs', json, async (c) => {
    const who = principalOf(c)
    noteAudit(c, { action: 'run record', target: 'runs' })
    allow(who, 'write')
    const text = await readBody(c.req.raw, MAX_JOURNAL_BYTES)
    checkNesting(text)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (e) {
      throw invalid(`it is not JSON (${(e as Error).message})`)
    }
    const row = store.addRun({ ...checkJournal(body), ...(who.name && who.name !== '-' ? { createdBy: who.name } : {}) })
    return c.json({ id: row.id, experiment: row.experiment, title: row.title, startedAt: row.startedAt, endedAt: row.endedAt, status: row.status, deviated: row.deviated }, 201)
  })
  app.get('/api/v1/runs', (c) => {
    allow(principalOf(c), 'read')
    const q: Parameters<ReportStore['runs']>[0] = {}
    const experiment = c.req.query('experiment')
    if (experiment) q.experiment = experiment
    for (const k of ['since', 'until'] as const) {
      const v = c.req.query(k)
      if (!v) continue
      if (Number.isNaN(Date.parse(v))) throw new ChaosError('API_INVALID_QUERY', `${k}: expected an ISO time like 2026-12-04T10:00:00Z, got ${JSON.stringify(v)}`)
      q[k] = new Date(v).toISOString()
    }
    const limit = c.req.query('limit')
    if (limit) {
      if (!/^\d{1,6}$/.test(limit)) throw new ChaosError('API_INVALID_QUERY', `limit must be a whole number, got ${JSON.stringify(limit)}`)
      q.limit = Number(limit)
    }
    const withJournal = c.req.query('journal') === 'true'
    return c.json({ items: store.runs(q).map((r) => (withJournal ? r : { ...r, journal: undefined })) })
  })
  app.get('/api/v1/report', async (c) => {
    allow(principalOf(c), 'read')
    const format = (c.req.query('format') || 'json') as ReportFormat
    if (!REPORT_FORMATS.includes(format)) throw new ChaosError('API_INVALID_QUERY', `format must be one of ${REPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`)
    const runQ = c.req.query('run')
    let run: number | undefined
    let range: { from: number; to: number }
    if (runQ) {
      if (!/^\d{1,12}$/.test(runQ)) throw new ChaosError('API_INVALID_QUERY', `run must be a run id (a whole number), got ${JSON.stringify(runQ)}`)
      run = Number(runQ)
      const r = store.getRun(run)
      if (!r) throw new ChaosError('REPORT_RUN_NOT_FOUND', `no run ${run} is kept`, { hint: 'list the runs with GET /api/v1/runs' })
      // the run's own window, with the minute before it (the baseline) and a little after (the recovery)
      range = c.req.query('since') || c.req.query('from') ? parseRange({ since: c.req.query('since'), from: c.req.query('from'), to: c.req.query('to') }, now()) : { from: Date.parse(r.startedAt) - 60_000, to: Math.min(now(), Date.parse(r.endedAt) + 5_000) }
    } else range = parseRange({ since: c.req.query('since'), from: c.req.query('from'), to: c.req.query('to') }, now())
    const data = buildReport({ ...reportInputs(store, { ...range, ...(run !== undefined ? { run } : {}), ...(c.req.query('title') ? { title: c.req.query('title')! } : {}) }), now: now() })
    // the renderers (and their charting library) load with the first report, not with the API
    const { renderReport } = await import('../report/render.js')
    const { body, contentType } = renderReport(data, format)
    return c.body(body, 200, { 'content-type': contentType })
  })
}
