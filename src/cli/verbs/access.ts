/** @module cli/verbs/access: `chaoscope token create|list|revoke|whoami` and `chaoscope audit`, through the controller's API. */
import { ChaosError, controllerClient, parseDuration } from '../../index.js'
import type { AuditFlags, TokenCreateFlags } from '../commands.js'
import type { Run } from '../main.js'
import { table } from '../format.js'

export async function tokenCreate(name: string, opts: TokenCreateFlags, run: Run): Promise<void> {
  const t = await (await controllerClient()).createToken({ name, role: opts.role, ...(opts.namespace ? { namespaces: opts.namespace } : {}), ...(opts.expires ? { expires: opts.expires } : {}) })
  if (opts.output === 'json') {
    run.out(`${JSON.stringify(t, null, 2)}\n`)
    return
  }
  const scope = t.namespaces.length ? `namespaces ${t.namespaces.join(', ')}` : 'every namespace'
  run.out(`token ${t.name} created: role ${t.role}, ${scope}, ${t.expiresAt ? `expires ${t.expiresAt}` : 'never expires'}\n`)
  run.out('it is shown only this once; its user sets CHAOSCOPE_TOKEN to it:\n')
  run.out(`${t.token}\n`)
}

export async function tokenList(opts: { output: 'table' | 'json' }, run: Run): Promise<void> {
  const items = await (await controllerClient()).tokens()
  if (opts.output === 'json') {
    run.out(`${JSON.stringify({ items }, null, 2)}\n`)
    return
  }
  run.out(table([['NAME', 'ROLE', 'NAMESPACES', 'STATE', 'EXPIRES', 'LAST USED', 'CREATED'], ...items.map((t) => [t.name, t.role, t.namespaces.join(',') || '*', t.state, t.expiresAt ?? '-', t.lastUsedAt ?? '-', t.createdAt])]))
}

export async function tokenRevoke(name: string, run: Run): Promise<void> {
  const r = await (await controllerClient()).revokeToken(name)
  run.out(r.revoked ? `token ${name} revoked\n` : `token ${name} was already ${r.state}\n`)
}

export async function whoami(run: Run): Promise<void> {
  const w = await (await controllerClient()).whoami()
  run.out(`${w.name}: role ${w.role}, ${w.namespaces.length ? `namespaces ${w.namespaces.join(', ')}` : 'every namespace'}\n`)
}

/** `--since`: a duration back from now (15m, 2h) or an ISO time. */
function sinceOf(v: string): string {
  const ms = parseDuration(v.trim())
  if (ms !== undefined && ms > 0) return new Date(Date.now() - ms).toISOString()
  if (!Number.isNaN(Date.parse(v))) return new Date(v).toISOString()
  throw new ChaosError('CLI_USAGE', `--since expects a duration like 15m or 2h, or an ISO time, got "${v}"`, { hint: 'chaoscope audit --since 1h' })
}

/** A cell as the terminal may show it: control characters (a newline, ESC) written as \\xNN, so no row can forge another. */
function printable(s: string): string {
  return s.replace(/\p{Cc}/gu, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

export async function audit(opts: AuditFlags, run: Run): Promise<void> {
  if (opts.until !== undefined && Number.isNaN(Date.parse(opts.until))) throw new ChaosError('CLI_USAGE', `--until expects an ISO time, got "${opts.until}"`, { hint: 'chaoscope audit --until 2026-12-04T12:00:00Z' })
  const rows = await (await controllerClient()).audit({ ...(opts.since ? { since: sinceOf(opts.since) } : {}), ...(opts.until ? { until: new Date(opts.until).toISOString() } : {}), ...(opts.actor ? { actor: opts.actor } : {}) })
  if (opts.output === 'json') run.out(`${JSON.stringify({ items: rows }, null, 2)}\n`)
  else if (opts.output === 'jsonl') run.out(rows.map((r) => `${JSON.stringify(r)}\n`).join(''))
  else run.out(table([['TIME', 'ACTOR', 'FROM', 'ACTION', 'TARGET', 'RESULT'], ...rows.map((r) => [r.time, r.actor, r.remote, r.action, r.target || '-', `${r.status}${r.code ? ` ${r.code}` : ''}`].map(printable))]))
}
