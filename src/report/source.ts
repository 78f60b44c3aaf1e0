/**
 * @module report/source: a report's inputs read from the store: the recorded signals and exemplar spans of the
 * range, the fault windows of the experiments that acted in it (live ones and archived ones), and the runs.
 *
 * A fault window is one episode of an experiment: from the first target's injection to the last target's
 * recovery, targets whose windows overlap counted as one (a one-shot fault, such as pod-kill, is a window of
 * one instant). Windows come from the records' history (the last ten operations of each target), as Chaos Mesh's.
 */
import type { ArchiveRow, RecordRow, ResourceRow, RunRow, Store } from '../store/store.js'
import type { Journal } from '../verdict/types.js'
import { ReportBuilder } from './build.js'
import type { FaultWindow, ReportData } from './types.js'

export type ReportReader = Pick<Store, 'signals' | 'exemplars' | 'listResources' | 'records' | 'listArchived' | 'runs' | 'getRun' | 'hasEvent'>

interface Interval {
  start: number
  end: number | null
  pod: string
  service: string
}

/**
 * Each target's injected intervals, from its record's history. An injection with no recovery after it lasts until
 * the experiment was archived (`endedAt`), or is still going on (null); but in an experiment that finished without
 * recovering it, the fault was one-shot (a pod-kill): it is an instant.
 */
function intervals(r: RecordRow, endedAt: number | undefined, finished: boolean): Interval[] {
  const pod = (r.target.pod as { name?: string; service?: string } | undefined) ?? {}
  const service = pod.service ?? ''
  const out: Interval[] = []
  let open: number | undefined
  for (const h of [...r.history].sort((a, b) => a.timestamp.localeCompare(b.timestamp))) {
    if (h.type !== 'Succeeded') continue
    const t = Date.parse(h.timestamp)
    if (h.operation === 'Apply') open ??= t
    else if (open !== undefined) {
      out.push({ start: open, end: t, pod: r.pod, service })
      open = undefined
    }
  }
  if (open !== undefined) {
    // injected and never recovered: one-shot if the experiment finished so, still on if not; a fault that is no
    // longer injected without a recovery (the runtime lost it) ended when its record last changed
    const end = r.phase.startsWith('Injected') ? (finished ? open : (endedAt ?? null)) : Math.max(open, Date.parse(r.updatedAt))
    out.push({ start: open, end, pod: r.pod, service })
  }
  return out
}

function episodes(uid: string, kind: string, namespace: string, name: string, spec: Record<string, unknown>, recs: RecordRow[], from: number, to: number, finished: boolean, endedAt?: number): FaultWindow[] {
  const all = recs.flatMap((r) => intervals(r, endedAt, finished)).sort((a, b) => a.start - b.start)
  const groups: Interval[][] = []
  for (const iv of all) {
    const g = groups[groups.length - 1]
    const gEnd = g ? Math.max(...g.map((x) => x.end ?? Infinity)) : -Infinity
    if (g && iv.start <= gEnd) g.push(iv)
    else groups.push([iv])
  }
  const action = typeof spec.action === 'string' ? spec.action : null
  return groups
    .map((g, i) => {
      const start = Math.min(...g.map((x) => x.start))
      const end = g.some((x) => x.end === null) ? null : Math.max(...g.map((x) => x.end!))
      return {
        id: `${kind}/${namespace}/${name}#${i + 1}`,
        experiment: { kind, namespace, name, uid },
        action,
        targets: [...new Set(g.map((x) => x.pod))].sort(),
        services: [...new Set(g.map((x) => x.service).filter(Boolean))].sort(),
        start: new Date(start).toISOString(),
        end: end === null ? null : new Date(end).toISOString(),
      }
    })
    .filter((w) => Date.parse(w.start) < to && (w.end === null || Date.parse(w.end) >= from))
}

/** The fault windows of every experiment, live or archived, that overlap `[from, to)`. */
export function faultWindows(store: ReportReader, from: number, to: number): FaultWindow[] {
  const out: FaultWindow[] = []
  for (const row of store.listResources() as ResourceRow[]) {
    const recs = store.records(row.uid)
    if (recs.length > 0) out.push(...episodes(row.uid, row.kind, row.namespace, row.name, row.spec, recs, from, to, store.hasEvent(row.uid, 'Finished')))
  }
  for (const a of store.listArchived({ finishedSince: new Date(from).toISOString() }) as ArchiveRow[]) {
    const spec = ((a.object as { spec?: Record<string, unknown> }).spec ?? {}) as Record<string, unknown>
    out.push(...episodes(a.uid, a.kind, a.namespace, a.name, spec, a.records, from, to, a.events.some((e) => e.reason === 'Finished'), Date.parse(a.finishedAt)))
  }
  out.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id))
  // numbered per name in start order, across the objects that had it (the same file applied again, deleted, ...)
  const n = new Map<string, number>()
  for (const w of out) {
    const key = `${w.experiment.kind}/${w.experiment.namespace}/${w.experiment.name}`
    const i = (n.get(key) ?? 0) + 1
    n.set(key, i)
    w.id = `${key}#${i}`
  }
  return out
}

const asInput = (r: RunRow) => ({ experiment: r.experiment, journal: r.journal as unknown as Journal })

/** Rows are read this many ms of the range at a time, the event loop served between two reads. */
const CHUNK_MS = 10 * 60_000
/** At most this many runs of a range are shown (the newest), and exemplar spans read. */
export const MAX_RUNS = 100
export const MAX_EXEMPLARS = 5000

/**
 * The report of `[from, to)` from what the store holds: every run that ended in it (or only `run`), the history of
 * their experiments (the last 50 runs of each), the signals read in chunks of ten minutes.
 */
export async function reportFromStore(store: ReportReader, q: { from: number; to: number; run?: number; title?: string; now?: number }): Promise<ReportData> {
  const runs = q.run !== undefined ? [store.getRun(q.run)].filter((r): r is RunRow => r !== undefined) : store.runs({ since: new Date(q.from).toISOString(), until: new Date(q.to).toISOString(), limit: MAX_RUNS })
  const notes: string[] = []
  if (q.run === undefined && runs.length === MAX_RUNS) notes.push(`more than ${MAX_RUNS} runs ended in this range: the newest ${MAX_RUNS} are shown`)
  const history = [...new Set(runs.map((r) => r.experiment))].flatMap((experiment) => store.runs({ experiment, limit: 50 }))
  const builder = new ReportBuilder({ from: q.from, to: q.to, faults: faultWindows(store, q.from, q.to) })
  for (let t = q.from; t < q.to; t += CHUNK_MS) {
    builder.add(store.signals(t, Math.min(q.to, t + CHUNK_MS)))
    await new Promise((r) => setImmediate(r))
  }
  const exemplars = store.exemplars({ from: q.from, to: q.to, limit: MAX_EXEMPLARS })
  return builder.finish({
    exemplars,
    runs: runs.map(asInput),
    history: history.map(asInput),
    notes,
    ...(q.title ? { title: q.title } : {}),
    ...(q.now !== undefined ? { now: q.now } : {}),
  })
}
