/**
 * @module api/reports: runs and reports over the API. `chaoscope run` posts each journal to POST /api/v1/runs;
 * GET /api/v1/runs lists them; GET /api/v1/report builds the report of a range (or of one run) from what the
 * store recorded, as JSON, self-contained HTML or Markdown. All of it spans namespaces (signals are per edge, not
 * per namespace), so a token limited to namespaces reads none of it, as with lists across all namespaces.
 */
import type { Hono } from 'hono'
import { ChaosError } from '../errors.js'
import { checkNesting, MAX_BODY_BYTES, readBody } from '../http-guard.js'
import { requireContentType } from '../http-security.js'
import { MAX_RANGE_MS, parseRange } from '../report/range.js'
import { REPORT_FORMATS } from '../report/formats.js'
import type { ReportFormat } from '../report/formats.js'
import { isoOf } from '../report/score.js'
import { reportFromStore } from '../report/source.js'
import type { ReportReader } from '../report/source.js'
import type { ReportData } from '../report/types.js'
import type { RunRow, Store } from '../store/store.js'
import { allow, noteAudit, principalOf } from './auth.js'

export type ReportStore = ReportReader & Pick<Store, 'addRun'>

/** How long after a run's end its own report reaches: the recovery's first seconds. `chaoscope run --report` waits for them. */
export const RUN_TAIL_MS = 3_000

/** Bounded as every body is (the guard refuses a larger declared one before any route): `chaoscope run` cuts long outputs. */
const MAX_JOURNAL_BYTES = MAX_BODY_BYTES

const invalid = (why: string) =>
  new ChaosError('REPORT_INVALID_JOURNAL', `the body is not a Chaos Toolkit journal: ${why}`, { hint: 'post the journal.json that `chaoscope run` or `chaos run` wrote' })

/**
 * The times a journal holds: ISO 8601, as Chaos Toolkit (UTC without a zone, to the microsecond) and chaoscope
 * write them; within the years 0000 to 9999, which RFC 3339 can write. NaN for any other.
 */
export const JOURNAL_TIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?([zZ]|[+-][0-9]{2}:?[0-9]{2})?$'
const JOURNAL_TIME_RE = new RegExp(JOURNAL_TIME)
const FIRST_MS = Date.parse('0000-01-01T00:00:00Z')
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z')
function timeOf(t: unknown): number {
  if (typeof t !== 'string' || !JOURNAL_TIME_RE.test(t)) return NaN
  const ms = Date.parse(isoOf(t))
  return ms >= FIRST_MS && ms <= LAST_MS ? ms : NaN
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A steady state as the report reads it (src/report/score.ts): its probes' runs, each naming its activity. */
function checkSteadyState(v: unknown, at: string): void {
  if (!isObject(v) || !Array.isArray(v.probes)) throw invalid(`${at} is not a steady state (an object with probes)`)
  if (v.steady_state_met != null && typeof v.steady_state_met !== 'boolean') throw invalid(`${at}.steady_state_met is not true, false or null`)
  v.probes.forEach((r: unknown, i) => {
    const where = `${at}.probes[${i}]`
    if (!isObject(r) || !isObject(r.activity)) throw invalid(`${where} is not a probe's run (an object with activity)`)
    if (r.start !== undefined && typeof r.start !== 'string') throw invalid(`${where}.start is not a string`)
    if (r.chaoscope !== undefined) {
      if (!isObject(r.chaoscope)) throw invalid(`${where}.chaoscope is not an object`)
      for (const k of ['observed', 'expected'] as const) if (r.chaoscope[k] != null && typeof r.chaoscope[k] !== 'string') throw invalid(`${where}.chaoscope.${k} is not a string`)
    }
  })
}

/**
 * The fields a report reads of a journal, checked before it is kept: a journal the report could not read would
 * break the report of every range it falls in, long after it was posted.
 */
export function checkJournal(v: unknown): Omit<RunRow, 'id' | 'createdBy'> {
  if (!isObject(v)) throw invalid('it is not a JSON object')
  const j = v
  const exp = j.experiment
  if (!isObject(exp) || typeof exp.title !== 'string') throw invalid('experiment.title is missing')
  const hypothesis = exp['steady-state-hypothesis']
  if (hypothesis != null && (!isObject(hypothesis) || (hypothesis.probes != null && (!Array.isArray(hypothesis.probes) || !hypothesis.probes.every(isObject))))) {
    throw invalid('experiment.steady-state-hypothesis is not an object whose probes are a list of objects')
  }
  const start = timeOf(j.start)
  if (Number.isNaN(start)) throw invalid(`start is not an ISO time (${JSON.stringify(j.start)}; Chaos Toolkit writes 2026-12-04T21:15:42.123456)`)
  if (j.end != null && Number.isNaN(timeOf(j.end))) throw invalid(`end is not an ISO time (${JSON.stringify(j.end)})`)
  if (j.status !== null && typeof j.status !== 'string') throw invalid('status is not a string')
  if (j.deviated !== undefined && typeof j.deviated !== 'boolean') throw invalid('deviated is not true or false')
  const ss = j.steady_states
  if (!isObject(ss) || !Array.isArray(ss.during)) throw invalid('steady_states (before, during, after) is missing')
  for (const k of ['before', 'after'] as const) if (ss[k] != null) checkSteadyState(ss[k], `steady_states.${k}`)
  ss.during.forEach((d: unknown, i) => checkSteadyState(d, `steady_states.during[${i}]`))
  const end = j.end != null ? timeOf(j.end) : start
  const ext = Array.isArray(exp.extensions) ? (exp.extensions as unknown[]).find((e): e is Record<string, unknown> => isObject(e) && e.name === 'chaoscope') : undefined
  return {
    experiment: typeof ext?.experiment === 'string' && ext.experiment ? ext.experiment : exp.title,
    title: exp.title,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
    status: (j.status as string | null) ?? 'interrupted',
    deviated: j.deviated === true,
    journal: withoutSecrets(j),
  }
}

/** A flag of the query: true or 1, false or 0 (empty or absent: false); anything else is 400, as the API's other flags. */
function flag(v: string | undefined, name: string): boolean {
  if (v === undefined || v === '' || v === 'false' || v === '0') return false
  if (v === 'true' || v === '1') return true
  throw new ChaosError('API_INVALID_QUERY', `${name} must be true or false, got ${JSON.stringify(v)}`)
}

/** A report's range, within the years a time can be written in (RFC 3339). */
function rangeOf(q: Parameters<typeof parseRange>[0], now: number): { from: number; to: number } {
  const r = parseRange(q, now)
  if (!(r.from >= FIRST_MS && r.to <= LAST_MS)) throw new ChaosError('REPORT_INVALID_RANGE', 'the range reaches outside the years 0000 to 9999', { hint: 'give --since 15m, or --from and --to as ISO times (2026-12-04T10:00:00Z)' })
  return r
}

/**
 * The journal as it is kept: the values of the experiment's `secrets` replaced (any reader of runs may see a
 * journal's checks; none needs the secrets, and `chaos run` journals carry them as written).
 */
function withoutSecrets(j: Record<string, unknown>): Record<string, unknown> {
  const exp = j.experiment as Record<string, unknown>
  if (!isObject(exp.secrets)) return j
  const hidden: Record<string, unknown> = {}
  for (const [scope, values] of Object.entries(exp.secrets)) hidden[scope] = isObject(values) ? Object.fromEntries(Object.keys(values).map((k) => [k, '(not kept)'])) : '(not kept)'
  return { ...j, experiment: { ...exp, secrets: hidden } }
}

export function reportRoutes(app: Hono, store: ReportStore, now: () => number = Date.now): void {
  let building: Promise<unknown> = Promise.resolve()
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
    const withJournal = flag(c.req.query('journal'), 'journal')
    // a journal holds what the run's probes and actions returned: for those who may run experiments, not any reader
    if (withJournal) allow(principalOf(c), 'write')
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
      if (c.req.query('since') || c.req.query('from')) range = rangeOf({ since: c.req.query('since'), from: c.req.query('from'), to: c.req.query('to') }, now())
      else {
        // a run posted from a clock ahead of this one ends after now: its window then ends with it; and, as any
        // range, it is read at most 7 days back (a run that long reports its last 7 days)
        const end = Date.parse(r.endedAt) + RUN_TAIL_MS
        const to = Math.max(Math.min(now(), end), Date.parse(r.startedAt) + 1_000)
        range = { from: Math.max(Date.parse(r.startedAt) - 60_000, to - MAX_RANGE_MS), to }
      }
    } else range = rangeOf({ since: c.req.query('since'), from: c.req.query('from'), to: c.req.query('to') }, now())
    // whole seconds, as the recorder writes them; and it writes a second once it is over: the one going on, and the
    // one being written, are not yet whole
    range = { from: Math.floor(range.from / 1000) * 1000, to: Math.ceil(range.to / 1000) * 1000 }
    const complete = Math.floor(now() / 1000) * 1000 - 1000
    if (range.to > complete && complete > range.from) range = { from: range.from, to: complete }
    const title = c.req.query('title')
    // one report at a time: each reads its range in chunks, between which the controller serves everything else
    const mine = building.catch(() => undefined).then(() => reportFromStore(store, { ...range, ...(run !== undefined ? { run } : {}), ...(title ? { title } : {}), now: now() }))
    building = mine
    const data: ReportData = await mine
    // the renderers (and their charting library) load with the first report, not with the API
    const { renderReport } = await import('../report/render.js')
    const { body, contentType } = renderReport(data, format)
    return c.body(body, 200, { 'content-type': contentType })
  })
}
