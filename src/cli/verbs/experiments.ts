/** @module cli/verbs/experiments: apply, get, describe, delete, pause, resume, events against the controller API or a cluster (--target kubernetes). */
import { ChaosError, EXIT, experimentApi, formatIssue, isChaosError, kindNames, notApplicable, validatePaths } from '../../index.js'
import type { ChaosObject, ExperimentApi, Issue, Resource } from '../../index.js'
import type { DeleteFlags, EventsFlags, GetFlags, TargetFlags } from '../commands.js'
import { targetChoice, usage } from '../flags.js'
import type { Run } from '../main.js'
import { describeText, eventTable, indent, json, list, objectTables, yaml } from '../print.js'
import { SignalLatch } from '../signals.js'

/** Issues the controller listed when it refused the input (an IssuesError, told apart without loading its module). */
function refusedIssues(e: unknown): Issue[] | undefined {
  return isChaosError(e) && Array.isArray((e as { issues?: unknown }).issues) ? (e as unknown as { issues: Issue[] }).issues : undefined
}

function printIssues(issues: Issue[], run: Run, exitCode: number): void {
  for (const i of issues) run.err(`${formatIssue(i)}\n`)
  run.err(`refused: ${issues.length} problem(s); nothing was applied\n`)
  run.exitCode = exitCode
}

export async function apply(opts: { filename?: string[]; dryRun?: boolean; maxFileSize?: number } & TargetFlags, run: Run): Promise<void> {
  const where = targetChoice(opts)
  if (!opts.filename || opts.filename.length === 0) throw usage('apply needs at least one -f FILE|DIR|-', 'chaoscope apply -f delay.yaml')
  const result = await validatePaths(opts.filename, { ...(run.stdin ? { stdin: run.stdin } : {}), ...(opts.maxFileSize ? { maxFileSize: opts.maxFileSize } : {}) })
  const issues = [...result.issues, ...(await notApplicable(result))]
  if (issues.length === 0 && result.resources.length === 0) throw new ChaosError('SPEC_NO_INPUT', `no resource found in ${opts.filename.join(', ')}`)
  if (issues.length > 0) return printIssues(issues, run, EXIT.USAGE)
  const api = await experimentApi(where)
  const { text, starts } = await toYaml(result.resources)
  let items
  try {
    ;({ items } = await api.apply(text, { ...(opts.dryRun ? { dryRun: true } : {}), file: '<apply>' }))
  } catch (e) {
    const refused = refusedIssues(e)
    // the input was valid here: what the controller refuses (immutable spec, no targets...) is a refusal, exit 1
    if (refused) return printIssues(refused.map((i) => atSource(i, starts, result.resources)), run, EXIT.FAILED)
    throw e
  }
  const { resourceType } = await kindNames()
  for (const item of items) {
    run.out(`${resourceType(item.object.kind)}/${item.object.metadata.name} ${item.action}${opts.dryRun ? ' (dry run)' : ''}\n`)
    if (opts.dryRun && item.plan !== undefined) run.out(indent(await yaml(item.plan), 2))
  }
}

/** The resources as one multi-document YAML text, and the line each document starts on. */
async function toYaml(resources: Resource[]): Promise<{ text: string; starts: number[] }> {
  const starts: number[] = []
  let line = 1
  const docs: string[] = []
  for (const r of resources) {
    const doc = await yaml({ apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec })
    starts.push(line)
    line += doc.split('\n').length // the document's lines, plus the --- separator
    docs.push(doc)
  }
  return { text: docs.join('---\n'), starts }
}

/** An issue the server found in the text we sent, pointed back at the user's file. */
function atSource(issue: Issue, starts: number[], resources: Resource[]): Issue {
  let i = starts.length - 1
  while (i > 0 && starts[i]! > issue.line) i--
  const src = resources[i]?.source
  return src ? { ...issue, file: src.file, line: src.line, col: 1 } : issue
}

const key = (o: ChaosObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`

export async function get(type: string, name: string | undefined, opts: GetFlags, run: Run): Promise<void> {
  const { resolveKind, resourceType } = await kindNames()
  const ns = opts.namespace ?? 'default'
  const kind = type.toLowerCase() === 'all' ? undefined : resolveKind(type)
  if (name && !kind) throw usage('a name needs a resource type: get <kind> NAME', `chaoscope get networkchaos ${name}`)
  const api = await experimentApi(targetChoice(opts))
  const namespace = opts.allNamespaces ? undefined : ns
  const query = { ...(kind ? { kind } : {}), ...(namespace ? { namespace } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}) }
  const fetchAll = async (): Promise<ChaosObject[]> => (name ? [await api.get(kind!, ns, name)] : api.list(query))
  const tables = (objects: ChaosObject[], header = true) =>
    objectTables(objects, { wide: opts.output === 'wide', allNamespaces: !!opts.allNamespaces, typed: !kind, typeName: resourceType, header })
  const objects = await fetchAll()
  if (opts.output === 'json') run.out(json(name ? objects[0] : list(objects)))
  else if (opts.output === 'yaml') run.out(await yaml(name ? objects[0] : list(objects)))
  else if (objects.length === 0) run.err(`No resources found${namespace ? ` in ${namespace} namespace` : ''}.\n`)
  else run.out(tables(objects))
  if (!opts.watch) return
  // --watch: one row (or document) per change, as kubectl prints them
  const abort = new AbortController()
  const latch = new SignalLatch()
  void latch.stopped.then(() => abort.abort())
  const last = new Map(objects.map((o) => [key(o), JSON.stringify(o)]))
  try {
    for await (const _change of api.watch(query, abort.signal)) {
      const now = await fetchAll().catch((e: unknown) => (isChaosError(e) && e.code === 'CONTROLLER_NOT_FOUND' ? [] : Promise.reject(e)))
      for (const o of now) {
        const s = JSON.stringify(o)
        if (last.get(key(o)) === s) continue
        last.set(key(o), s)
        if (opts.output === 'json') run.out(`${JSON.stringify(o)}\n`)
        else if (opts.output === 'yaml') run.out(`---\n${await yaml(o)}`)
        else run.out(tables([o], false))
      }
    }
  } finally {
    latch.dispose()
  }
}

export async function describe(type: string, name: string, opts: { namespace: string } & TargetFlags, run: Run): Promise<void> {
  const where = targetChoice(opts)
  const kind = (await kindNames()).resolveKind(type)
  const api = await experimentApi(where)
  const obj = await api.get(kind, opts.namespace, name, { refresh: true })
  const events = await api.objectEvents(kind, opts.namespace, name)
  run.out(await describeText(obj, events))
}

const notFound = (e: unknown) => isChaosError(e) && e.code.endsWith('NOT_FOUND')

export async function remove(type: string | undefined, names: string[], opts: DeleteFlags, run: Run): Promise<void> {
  const where = targetChoice(opts)
  if (opts.force && where.target !== 'kubernetes') throw usage('--force is for --target kubernetes (Chaos Mesh\'s finalizer); the local controller always recovers before it deletes')
  const { resolveKind, resourceType } = await kindNames()
  const targets: [kind: string, ns: string, name: string][] = []
  if (opts.filename?.length) {
    if (type) throw usage('give either -f FILE or <type> <name>, not both')
    const result = await validatePaths(opts.filename, run.stdin ? { stdin: run.stdin } : {})
    if (result.issues.length > 0) return printIssues(result.issues, run, EXIT.USAGE)
    for (const r of result.resources) targets.push([resolveKind(r.kind), r.metadata.namespace, r.metadata.name])
  } else {
    if (!type || names.length === 0) throw usage('delete needs <type> <name> or -f FILE', 'chaoscope delete networkchaos delay')
    const kind = resolveKind(type)
    for (const n of names) targets.push([kind, opts.namespace, n])
  }
  const api = await experimentApi(where)
  let failed = false
  for (const [kind, ns, name] of targets) {
    try {
      const res = await api.delete(kind, ns, name, { wait: opts.wait, timeoutSeconds: opts.timeout, ...(opts.force ? { force: true } : {}) })
      if (opts.wait && !res.gone) await waitGone(api, kind, ns, name, 1)
      run.out(`${resourceType(kind)} "${name}" deleted\n`)
    } catch (e) {
      if (opts.ignoreNotFound && notFound(e)) continue
      if (!isChaosError(e) || targets.length === 1) throw e
      failed = true
      run.err(`error: ${e.message}  [${e.code}]\n`)
    }
  }
  if (failed) run.exitCode = EXIT.FAILED
}

async function waitGone(api: ExperimentApi, kind: string, ns: string, name: string, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000
  for (;;) {
    try {
      await api.get(kind, ns, name)
    } catch (e) {
      if (notFound(e)) return
      throw e
    }
    if (Date.now() > deadline) throw new ChaosError('CONTROLLER_DELETING', `${kind} ${ns}/${name} is still being deleted after ${timeoutS} s`, { hint: 'see why with `chaoscope describe`' })
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function pauseOrResume(verb: 'pause' | 'resume', type: string, name: string, opts: { namespace: string } & TargetFlags, run: Run): Promise<void> {
  const where = targetChoice(opts)
  const { resolveKind, resourceType } = await kindNames()
  const kind = resolveKind(type)
  const api = await experimentApi(where)
  await api[verb](kind, opts.namespace, name)
  run.out(`${resourceType(kind)}/${name} ${verb}d\n`)
}

export async function events(opts: EventsFlags, run: Run): Promise<void> {
  const api = await experimentApi(targetChoice(opts))
  const q: { kind?: string; name?: string; namespace?: string; sinceId?: number } = opts.allNamespaces ? {} : { namespace: opts.namespace }
  if (opts.for) {
    const m = /^([^/]+)\/([^/]+)$/.exec(opts.for)
    if (!m) throw usage(`--for expects kind/name, got "${opts.for}"`, 'chaoscope events --for networkchaos/delay')
    q.kind = (await kindNames()).resolveKind(m[1]!)
    q.name = m[2]!
  }
  let items = await api.events(q)
  const allNamespaces = !!opts.allNamespaces
  if (opts.output === 'json') run.out(json(list(items)))
  else if (opts.output === 'yaml') run.out(await yaml(list(items)))
  else if (items.length === 0 && !opts.watch) run.err(`No events found${opts.allNamespaces ? '' : ` in ${opts.namespace} namespace`}.\n`)
  else if (items.length > 0) run.out(eventTable(items, { allNamespaces }))
  if (!opts.watch) return
  let since = items.at(-1)?.id ?? 0
  const latch = new SignalLatch()
  try {
    while (!latch.reason) {
      await Promise.race([latch.stopped, new Promise((r) => setTimeout(r, 500))])
      if (latch.reason) break
      items = await api.events({ ...q, sinceId: since })
      if (items.length === 0) continue
      since = items.at(-1)!.id
      run.out(opts.output === 'table' ? eventTable(items, { allNamespaces, header: false }) : `${items.map((e) => JSON.stringify(e)).join('\n')}\n`)
    }
  } finally {
    latch.dispose()
  }
}
