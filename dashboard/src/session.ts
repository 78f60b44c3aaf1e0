/**
 * @module dashboard/session: who is logged in. The token is kept in this tab's sessionStorage (gone when the tab
 * closes; never in a cookie, so no other site's request carries it, and never in a URL) and checked against
 * GET /api/v1/whoami before the page trusts it.
 */
import { createContext, useContext } from 'react'
import { Api, canWrite } from './api.js'
import type { Live } from './live.js'
import type { Pod, Who } from './types.js'

const KEY = 'chaoscope.token'

export interface Session {
  api: Api
  live: Live
  who: Who
  /** Whether this token may apply, pause, resume and delete (operator and admin). */
  canWrite: boolean
  logout: () => void
}

export const SessionContext = createContext<Session | undefined>(undefined)

/** The session of the page; only used below the login gate. */
export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside a session')
  return s
}

export function savedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token)
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY)
}

/** Checks a token: who it is, or the API's error (a wrong token is 401 AUTH_INVALID_TOKEN). */
export async function whoIs(token: string): Promise<Who> {
  return new Api(token).get<Who>('/api/v1/whoami')
}

export { canWrite }

/**
 * The pods this token may read: GET /api/v1/pods once, or once per namespace of a token limited to them (the API
 * refuses such a token a list across every namespace).
 */
export async function podsFor(s: Pick<Session, 'api' | 'who'>): Promise<Pod[]> {
  const lists = await Promise.all(namespaceScopes(s.who.namespaces).map((q) => s.api.get<{ items: Pod[] }>(`/api/v1/pods?${new URLSearchParams(q)}`)))
  return lists.flatMap((l) => l.items)
}

/**
 * The queries a list needs for a token: `{namespace}` for each namespace of a token limited to them (the API refuses
 * such a token a list across every namespace), else one query for every namespace.
 */
export function namespaceScopes(namespaces: readonly string[]): Record<string, string>[] {
  return namespaces.length ? namespaces.map((namespace) => ({ namespace })) : [{}]
}
