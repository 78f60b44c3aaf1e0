/** @module cli/controller: kubectl-like commands against the controller API: apply, get, describe, delete, pause, resume, events. */
import type { Command } from 'commander'
import { stringify } from 'yaml'
import { ChaosError, EXIT, isChaosError } from '../errors.js'
import { ControllerClient, IssuesError, notApplicable, resourceType, resolveKind, validatePaths } from '../index.js'
import type { ChaosEvent, ChaosObject, Issue, Resource } from '../index.js'
import { formatIssue } from '../manifest/issues.js'
import { outputOption, usage } from './main.js'
import type { Io, Run } from './main.js'
import { age, listPods } from './runtime.js'

type Output = 'table' | 'wide' | 'yaml' | 'json'
const PAUSE = 'experiment.chaos-mesh.org/pause'

export function registerController(program: Command, io: Run): void {
  program
    .command('apply')
    .description('create or update Chaos Mesh resources on the controller (all or nothing); prints created, configured or unchanged per object')
    .option('-f, --filename <path...>', 'file, directory (searched recursively for *.yaml, *.yml, *.json) or - for stdin')
    .option('--dry-run', 'validate, and show what would be selected and injected; change nothing')
    .addHelpText('after', `
Every document is validated first; if any is invalid or refused (immutable spec, a kind the local runtime cannot run,
a selector matching no pod), nothing is applied. Exit codes: 0 applied, 1 refused by the controller, 2 invalid input.
Examples:
  chaoscope apply -f examples/chain-partition.yaml
  chaoscope apply -f experiments/ --dry-run`)
    .action(async (opts: { filename?: string[]; dryRun?: boolean }) => {
      if (!opts.filename || opts.filename.length === 0) throw usage('apply needs at least one -f FILE|DIR|-', 'chaoscope apply -f delay.yaml')
      const result = validatePaths(opts.filename, io.stdin ? { stdin: io.stdin } : {})
      const issues = [...result.issues, ...notApplicable(result)]
      if (issues.length === 0 && result.resources.length === 0) throw new ChaosError('SPEC_NO_INPUT', `no resource found in ${opts.filename.join(', ')}`)
      if (issues.length > 0) return printIssues(issues, io)
      const api = ControllerClient.fromState()
      const { text, starts } = toYaml(result.resources)
      let items
      try {
        ;({ items } = await api.apply(text, { ...(opts.dryRun ? { dryRun: true } : {}), file: '<apply>' }))
      } catch (e) {
        if (e instanceof IssuesError) {
        // refused by the controller: exit 2 when every refusal is about the spec, 1 otherwise (a conflict with what exists)
        const issues2 = e.issues.map((i) => atSource(i, starts, result.resources))
        return printIssues(issues2, io, issues2.every((i) => i.code.startsWith('SPEC_')) ? EXIT.USAGE : EXIT.FAILED)
      }
        throw e
      }
      for (const item of items) {
        io.out(`${resourceType(item.object.kind)}/${item.object.metadata.name} ${item.action}${opts.dryRun ? ' (dry run)' : ''}\n`)
        if (opts.dryRun && item.plan !== undefined) io.out(indent(stringify(item.plan), 2))
      }
    })

  program
    .command('get')
    .description('list experiments (or pods): get <kind|all|pods> [NAME]')
    .argument('<type>', 'podchaos, networkchaos, httpchaos, ... (singular, plural or short name), all, or pods')
    .argument('[name]', 'one object by name')
    .option('-n, --namespace <namespace>', 'namespace (default: "default"; for pods: every namespace)')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-l, --selector <selector>', 'label selector, e.g. team=payments,env!=prod')
    .addOption(outputOption(['table', 'wide', 'yaml', 'json'], 'table'))
    .option('-w, --watch', 'after the list, print each change until interrupted')
    .addHelpText('after', `
Examples:
  chaoscope get networkchaos
  chaoscope get all -A -o wide
  chaoscope get nc delay -o yaml
  chaoscope get pods -l app=middle`)
    .action(async (type: string, name: string | undefined, opts: { namespace?: string; allNamespaces?: boolean; selector?: string; output: Output; watch?: boolean }) => {
      if (['pods', 'pod', 'po'].includes(type.toLowerCase())) {
        if (name) throw usage('get pods takes no name; use -l to select pods')
        return listPods({ ...(opts.selector ? { selector: opts.selector } : {}), ...(opts.namespace && !opts.allNamespaces ? { namespace: opts.namespace } : {}), output: opts.output }, io)
      }
      const ns = opts.namespace ?? 'default'
      const kind = type.toLowerCase() === 'all' ? undefined : resolveKind(type)
      if (name && !kind) throw usage('a name needs a resource type: get <kind> NAME', `chaoscope get networkchaos ${name}`)
      const api = ControllerClient.fromState()
      const namespace = opts.allNamespaces ? undefined : ns
      const fetchAll = async (): Promise<ChaosObject[]> => {
        if (name) return [await api.get(kind!, ns, name)]
        return api.list({ ...(kind ? { kind } : {}), ...(namespace ? { namespace } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}) })
      }
      const objects = await fetchAll()
      const wide = opts.output === 'wide'
      if (opts.output === 'json') io.out(`${JSON.stringify(name ? objects[0] : asList(objects), null, 2)}\n`)
      else if (opts.output === 'yaml') io.out(stringify(name ? objects[0] : asList(objects)))
      else if (objects.length === 0) io.err(`No resources found${namespace ? ` in ${namespace} namespace` : ''}.\n`)
      else io.out(objectTables(objects, { wide, allNamespaces: !!opts.allNamespaces, typed: !kind }))
      if (!opts.watch) return
      // --watch: one row (or document) per change, as kubectl prints them
      const abort = new AbortController()
      const stop = () => abort.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const last = new Map(objects.map((o) => [key(o), JSON.stringify(o)]))
      try {
        for await (const _change of api.watch({ ...(kind ? { kind } : {}), ...(namespace ? { namespace } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}) }, abort.signal)) {
          const now = await fetchAll().catch((e: unknown) => (isChaosError(e) && e.code === 'CONTROLLER_NOT_FOUND' ? [] : Promise.reject(e)))
          for (const o of now) {
            const s = JSON.stringify(o)
            if (last.get(key(o)) === s) continue
            last.set(key(o), s)
            if (opts.output === 'json') io.out(`${JSON.stringify(o)}\n`)
            else if (opts.output === 'yaml') io.out(`---\n${stringify(o)}`)
            else io.out(objectTables([o], { wide, allNamespaces: !!opts.allNamespaces, typed: !kind, header: false }))
          }
        }
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    })

  program
    .command('describe')
    .description('show one experiment in detail: spec, conditions, per-target records with their evidence, events')
    .argument('<type>', 'resource type, e.g. networkchaos')
    .argument('<name>', 'its name')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .action(async (type: string, name: string, opts: { namespace: string }) => {
      const kind = resolveKind(type)
      const api = ControllerClient.fromState()
      const obj = await api.get(kind, opts.namespace, name, { refresh: true })
      const events = await api.objectEvents(kind, opts.namespace, name)
      io.out(describe(obj, events))
    })

  program
    .command('delete')
    .description('delete experiments: every target is recovered, then the object goes (delete <kind> <name> | -f FILE)')
    .argument('[type]', 'resource type, e.g. networkchaos')
    .argument('[names...]', 'names')
    .option('-f, --filename <path...>', 'delete the resources these files describe')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option('--no-wait', 'return once deletion started, without waiting for the targets to be recovered')
    .option('--timeout <seconds>', 'how long to wait for recovery', (v) => Number(v), 60)
    .action(async (type: string | undefined, names: string[], opts: { filename?: string[]; namespace: string; wait: boolean; timeout: number }) => {
      const targets: [kind: string, ns: string, name: string][] = []
      if (opts.filename?.length) {
        if (type) throw usage('give either -f FILE or <type> <name>, not both')
        const result = validatePaths(opts.filename, io.stdin ? { stdin: io.stdin } : {})
        if (result.issues.length > 0) return printIssues(result.issues, io)
        for (const r of result.resources) targets.push([resolveKind(r.kind), r.metadata.namespace, r.metadata.name])
      } else {
        if (!type || names.length === 0) throw usage('delete needs <type> <name> or -f FILE', 'chaoscope delete networkchaos delay')
        const kind = resolveKind(type)
        for (const n of names) targets.push([kind, opts.namespace, n])
      }
      const api = ControllerClient.fromState()
      let failed = false
      for (const [kind, ns, name] of targets) {
        try {
          const res = await api.delete(kind, ns, name, { wait: opts.wait, timeoutSeconds: opts.timeout })
          if (opts.wait && !res.gone) await waitGone(api, kind, ns, name, 1)
          io.out(`${resourceType(kind)} "${name}" deleted\n`)
        } catch (e) {
          if (!isChaosError(e) || targets.length === 1) throw e
          failed = true
          io.err(`error: ${e.message}  [${e.code}]\n`)
        }
      }
      if (failed) io.exitCode = EXIT.FAILED
    })

  for (const verb of ['pause', 'resume'] as const) {
    program
      .command(verb)
      .description(verb === 'pause' ? 'pause an experiment: its faults are recovered until it is resumed (annotation experiment.chaos-mesh.org/pause)' : 'resume a paused experiment')
      .argument('<type>', 'resource type, e.g. networkchaos')
      .argument('<name>', 'its name')
      .option('-n, --namespace <namespace>', 'namespace', 'default')
      .action(async (type: string, name: string, opts: { namespace: string }) => {
        const kind = resolveKind(type)
        const api = ControllerClient.fromState()
        await api[verb](kind, opts.namespace, name)
        io.out(`${resourceType(kind)}/${name} ${verb}d\n`)
      })
  }

  program
    .command('events')
    .description('list events: what the controller did, and why')
    .option('--for <kind/name>', 'only the events of one object, e.g. networkchaos/delay')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(outputOption(['table', 'yaml', 'json'], 'table'))
    .option('-w, --watch', 'keep printing new events until interrupted')
    .action(async (opts: { for?: string; namespace: string; allNamespaces?: boolean; output: 'table' | 'yaml' | 'json'; watch?: boolean }) => {
      const api = ControllerClient.fromState()
      const q: { kind?: string; name?: string; namespace?: string; sinceId?: number } = opts.allNamespaces ? {} : { namespace: opts.namespace }
      if (opts.for) {
        const m = /^([^/]+)\/([^/]+)$/.exec(opts.for)
        if (!m) throw usage(`--for expects kind/name, got "${opts.for}"`, 'chaoscope events --for networkchaos/delay')
        q.kind = resolveKind(m[1]!)
        q.name = m[2]!
      }
      let events = await api.events(q)
      if (opts.output === 'json') io.out(`${JSON.stringify({ items: events }, null, 2)}\n`)
      else if (opts.output === 'yaml') io.out(stringify({ items: events }))
      else if (events.length === 0 && !opts.watch) io.err('No events found.\n')
      else if (events.length > 0) io.out(eventTable(events, !!opts.allNamespaces))
      if (!opts.watch) return
      let since = events.at(-1)?.id ?? 0
      let open = true
      const stop = () => (open = false)
      process.once('SIGINT', stop)
      while (open) {
        await new Promise((r) => setTimeout(r, 500))
        events = await api.events({ ...q, sinceId: since })
        if (events.length === 0) continue
        since = events.at(-1)!.id
        io.out(opts.output === 'table' ? eventTable(events, !!opts.allNamespaces, false) : `${events.map((e) => JSON.stringify(e)).join('\n')}\n`)
      }
    })
}

function printIssues(issues: Issue[], io: Io & { exitCode: number }, exitCode: number = EXIT.USAGE): void {
  for (const i of issues) io.err(`${formatIssue(i)}\n`)
  io.err(`refused: ${issues.length} problem(s); nothing was applied\n`)
  io.exitCode = exitCode
}

/** The resources as one multi-document YAML text, and the line each document starts on. */
function toYaml(resources: Resource[]): { text: string; starts: number[] } {
  const starts: number[] = []
  let line = 1
  const docs = resources.map((r) => {
    const doc = stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec })
    starts.push(line)
    line += doc.split('\n').length // the document's lines, plus the --- separator
    return doc
  })
  return { text: docs.join('---\n'), starts }
}

/** An issue the server found in the text we sent, pointed back at the user's file. */
function atSource(issue: Issue, starts: number[], resources: Resource[]): Issue {
  let i = starts.length - 1
  while (i > 0 && starts[i]! > issue.line) i--
  const src = resources[i]?.source
  return src ? { ...issue, file: src.file, line: src.line, col: 1 } : issue
}

async function waitGone(api: ControllerClient, kind: string, ns: string, name: string, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000
  for (;;) {
    try {
      await api.get(kind, ns, name)
    } catch (e) {
      if (isChaosError(e) && e.code.endsWith('NOT_FOUND')) return
      throw e
    }
    if (Date.now() > deadline) throw new ChaosError('CONTROLLER_DELETING', `${kind} ${ns}/${name} is still being deleted after ${timeoutS} s`, { hint: 'see why with `chaoscope describe`' })
    await new Promise((r) => setTimeout(r, 100))
  }
}

const key = (o: ChaosObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`
const asList = (items: ChaosObject[]) => ({ apiVersion: 'v1', kind: 'List', items })

/** The phase a user reads in `get`: from the conditions and desired phase, as Chaos Mesh's dashboard derives it. */
export function phaseOf(o: ChaosObject): string {
  if (o.status?.phase) return o.status.phase.charAt(0).toUpperCase() + o.status.phase.slice(1)
  const cond = (t: string) => o.status?.conditions?.find((c) => c.type === t)?.status === 'True'
  if (o.metadata.deletionTimestamp) return 'Deleting'
  if (cond('Paused') || o.metadata.annotations?.[PAUSE] === 'true') return 'Paused'
  const desired = o.status?.experiment?.desiredPhase
  if (desired === 'Stop') return cond('AllRecovered') ? 'Finished' : 'Stopping'
  if (cond('AllInjected')) return 'Running'
  return cond('Selected') ? 'Injecting' : 'Pending'
}

function injected(o: ChaosObject): string {
  const records = o.status?.experiment?.records ?? []
  return `${records.filter((r) => r.phase === 'Injected').length}/${records.length}`
}

function selectorText(o: ChaosObject): string {
  const sel = (o.spec.selector ?? {}) as Record<string, unknown>
  const parts: string[] = []
  for (const [k, v] of Object.entries(sel)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) parts.push(Object.entries(v).map(([a, b]) => `${a}=${typeof b === 'string' ? b : JSON.stringify(b)}`).join(','))
    else parts.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
  }
  return parts.join(' ') || '<all>'
}

function table(rows: string[][], header = true): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return (header ? rows : rows.slice(1)).map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n') + '\n'
}

/** kubectl-like tables; with several kinds (get all), one table per kind, names prefixed by their type. */
export function objectTables(objects: ChaosObject[], opts: { wide: boolean; allNamespaces: boolean; typed: boolean; header?: boolean }): string {
  const byKind = new Map<string, ChaosObject[]>()
  for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o])
  const out: string[] = []
  for (const [kind, list] of byKind) {
    const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'ACTION', 'DURATION', 'PHASE', 'INJECTED', 'AGE', ...(opts.wide ? ['SELECTOR', 'UID'] : [])]
    const rows = list.map((o) => [
      ...(opts.allNamespaces ? [o.metadata.namespace] : []),
      opts.typed ? `${resourceType(kind)}/${o.metadata.name}` : o.metadata.name,
      String(o.spec.action ?? '<none>'),
      String(o.spec.duration ?? '<none>'),
      phaseOf(o),
      injected(o),
      o.metadata.creationTimestamp ? age(o.metadata.creationTimestamp) : '<unknown>',
      ...(opts.wide ? [selectorText(o), o.metadata.uid ?? ''] : []),
    ])
    out.push(table([head, ...rows], opts.header ?? true))
  }
  return out.join('\n')
}

function eventTable(events: ChaosEvent[], allNamespaces: boolean, header = true): string {
  const head = [...(allNamespaces ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']
  const rows = events.map((e) => [...(allNamespaces ? [e.namespace] : []), age(e.time), e.type, e.reason, `${e.kind.toLowerCase()}/${e.name}`, e.message])
  return table([head, ...rows], header)
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text.split('\n').map((l) => (l ? pad + l : l)).join('\n').replace(/\n*$/, '\n')
}

function kv(obj: Record<string, unknown> | undefined): string {
  const entries = Object.entries(obj ?? {})
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${String(v)}`).join('\n              ')
}

/** `kubectl describe`-like text. */
export function describe(o: ChaosObject, events: ChaosEvent[]): string {
  const lines: string[] = []
  const row = (k: string, v: string) => lines.push(`${`${k}:`.padEnd(14)}${v}`)
  row('Name', o.metadata.name)
  row('Namespace', o.metadata.namespace)
  row('Kind', o.kind)
  row('API Version', o.apiVersion)
  row('UID', o.metadata.uid ?? '<none>')
  row('Labels', kv(o.metadata.labels))
  row('Annotations', kv(o.metadata.annotations))
  row('Created', `${o.metadata.creationTimestamp ?? '<unknown>'}${o.metadata.creationTimestamp ? ` (${age(o.metadata.creationTimestamp)} ago)` : ''}`)
  if (o.metadata.deletionTimestamp) row('Deleting', o.metadata.deletionTimestamp)
  row('Phase', phaseOf(o))
  lines.push('Spec:', indent(stringify(o.spec), 2).trimEnd())
  lines.push('Status:')
  lines.push(`  Desired Phase:  ${o.status?.experiment?.desiredPhase ?? '<none>'}`)
  const conds = o.status?.conditions ?? []
  lines.push('  Conditions:')
  if (conds.length === 0) lines.push('    <none>')
  else lines.push(indent(table([['Type', 'Status', 'Reason'], ...conds.map((c) => [c.type, c.status, c.reason ?? ''])]), 4).trimEnd())
  const records = [...(o.status?.experiment?.records ?? []), ...(o.status?.experiment?.containerRecords ?? [])]
  lines.push('Records:')
  if (records.length === 0) lines.push('  <none>')
  for (const r of records) {
    lines.push(`  ${r.id}:`)
    lines.push(`    Phase:           ${r.phase}`)
    lines.push(`    Injected Count:  ${r.injectedCount ?? 0}`)
    lines.push(`    Recovered Count: ${r.recoveredCount ?? 0}`)
    if (r.lastError) lines.push(`    Last Error:      ${r.lastError}`)
    const ev = r.evidence
    if (ev && Object.keys(ev).length > 0) lines.push('    Evidence:', indent(stringify(ev), 6).trimEnd())
    else lines.push('    Evidence:        <none yet>')
  }
  lines.push('Events:')
  if (events.length === 0) lines.push('  <none>')
  else lines.push(indent(table([['Type', 'Reason', 'Age', 'Message'], ...events.map((e) => [e.type, e.reason, age(e.time), e.message])]), 2).trimEnd())
  return `${lines.join('\n')}\n`
}
