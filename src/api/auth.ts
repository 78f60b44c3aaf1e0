/**
 * @module api/auth: who a request comes from and what it may do, for the controller's API.
 *
 *   Authorization: Bearer chs_… ─▶ sha256 ─▶ the store's token of that hash ─▶ revoked? expired? ─▶ Principal
 *        none / unknown / revoked / expired: 401 (and a failure counted against the address: 10 a minute, then 429)
 *   route ─▶ allow(principal, permission, namespace) ─▶ 403 AUTH_FORBIDDEN | AUTH_NAMESPACE_FORBIDDEN
 *
 * Roles are Chaos Mesh's dashboard roles: a viewer reads; an operator also creates, pauses, resumes and deletes;
 * an admin also manages tokens and reads the audit log. A token limited to namespaces acts only there, and, as a
 * namespaced Role in Kubernetes, cannot list across every namespace. Tokens are 32 random bytes; only their
 * SHA-256 is stored (a token is not a password: nothing short to guess, so a slow hash buys nothing).
 */
import { ChaosError } from '../errors.js'
import { ANONYMOUS, bearer, hashToken, lockedOut } from '../http-auth.js'
import type { Authenticates, Principal } from '../http-auth.js'
import type { FailedAuthLimiter } from '../http-security.js'
import type { AuditRow, Role, TokenRow } from '../store/store.js'

export type { Role }
export type { Principal }
export { ANONYMOUS, hashToken, newToken, noteAudit, principalOf, authMiddleware } from '../http-auth.js'

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin']

/** What a call needs: read anything; write (create, pause, resume, delete); manage tokens; read the audit log. */
export type Permission = 'read' | 'write' | 'tokens' | 'audit'

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  operator: ['read', 'write'],
  admin: ['read', 'write', 'tokens', 'audit'],
}

/** What each permission lets a caller do, for the 403 messages. */
const MEANS: Record<Permission, string> = {
  read: 'read resources, events and pods',
  write: 'create, pause, resume and delete resources',
  tokens: 'create, list and revoke tokens',
  audit: 'read the audit log',
}


/** The part of the store tokens and the audit log live in (src/store/store.ts). */
export interface AuthStore {
  tokenByHash(hash: string): TokenRow | undefined
  touchToken(name: string, at: string): void
  addAudit(e: Omit<AuditRow, 'id'>): AuditRow
}

/** The state of a token row at `now`. */
export function tokenState(t: Pick<TokenRow, 'revokedAt' | 'expiresAt'>, now: number): 'active' | 'expired' | 'revoked' {
  if (t.revokedAt) return 'revoked'
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return 'expired'
  return 'active'
}

/** Last-used times are written at most this often per token (a write per request would cost more than the request). */
const TOUCH_EVERY_MS = 60_000

export interface AuthOptions {
  /** 'none': every caller is {@link ANONYMOUS}. */
  mode: 'token' | 'none'
  store?: AuthStore
  limiter?: FailedAuthLimiter
  now?: () => number
}

/** Finds the principal of a request; throws the 401 (or 429) a bad token earns. */
export class Authenticator implements Authenticates {
  private readonly touched = new Map<string, number>()
  private readonly now: () => number

  constructor(readonly opts: AuthOptions) {
    if (opts.mode === 'token' && !opts.store) throw new Error('token auth needs a store')
    this.now = opts.now ?? Date.now
  }

  authenticate(header: string | undefined, client: string): Principal {
    if (this.opts.mode === 'none') return ANONYMOUS
    return lockedOut(this.opts.limiter, client, () => this.lookup(header))
  }

  private lookup(header: string | undefined): Principal {
    const token = bearer(header)
    if (token === undefined) {
      throw new ChaosError('AUTH_REQUIRED', 'this API needs a token: the request has no Authorization header', { hint: 'send `Authorization: Bearer <token>`; the CLI sends $CHAOSCOPE_TOKEN, else the local admin token in $CHAOSCOPE_HOME/token' })
    }
    const row = this.opts.store!.tokenByHash(hashToken(token))
    if (!row) throw new ChaosError('AUTH_INVALID_TOKEN', 'the token is not one this server issued', { hint: 'use a token printed by `chaoscope token create`, or the local admin token in $CHAOSCOPE_HOME/token' })
    const now = this.now()
    const state = tokenState(row, now)
    if (state === 'revoked') throw new ChaosError('AUTH_TOKEN_REVOKED', `token "${row.name}" was revoked at ${row.revokedAt}`, { hint: 'ask an admin for a new one' })
    if (state === 'expired') throw new ChaosError('AUTH_TOKEN_EXPIRED', `token "${row.name}" expired at ${row.expiresAt}`, { hint: `ask an admin for a new one: \`chaoscope token create ${row.name} --role ${row.role} --expires 30d\`` })
    if (now - (this.touched.get(row.name) ?? -Infinity) >= TOUCH_EVERY_MS) {
      this.touched.set(row.name, now)
      this.opts.store!.touchToken(row.name, new Date(now).toISOString())
    }
    return { name: row.name, role: row.role, namespaces: row.namespaces }
  }
}

/** Throws AUTH_FORBIDDEN unless the role grants `perm`, AUTH_NAMESPACE_FORBIDDEN unless the token reaches `namespace` (undefined: every namespace). */
export function allow(p: Principal, perm: Permission, namespace?: string | readonly string[]): void {
  if (!GRANTS[p.role].includes(perm)) {
    const roles = ROLES.filter((r) => GRANTS[r].includes(perm))
    throw new ChaosError('AUTH_FORBIDDEN', `token "${p.name}" (role ${p.role}) lacks the permission "${perm}" (${MEANS[perm]})`, { hint: `it takes a token of role ${roles.join(' or ')}` })
  }
  if (p.namespaces.length === 0) return
  if (namespace === undefined) {
    throw new ChaosError('AUTH_NAMESPACE_FORBIDDEN', `token "${p.name}" is limited to the namespace${p.namespaces.length > 1 ? 's' : ''} ${p.namespaces.join(', ')}: it cannot act across every namespace`, { hint: `name one of them (-n ${p.namespaces[0]})` })
  }
  for (const ns of typeof namespace === 'string' ? [namespace] : namespace) {
    if (!p.namespaces.includes(ns)) {
      throw new ChaosError('AUTH_NAMESPACE_FORBIDDEN', `token "${p.name}" is limited to the namespace${p.namespaces.length > 1 ? 's' : ''} ${p.namespaces.join(', ')}, not ${ns}`, { hint: `act in ${p.namespaces.join(' or ')}, or use a token for ${ns}` })
    }
  }
}

