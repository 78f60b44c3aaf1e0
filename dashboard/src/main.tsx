/**
 * @module dashboard/main: the page. A login gate (a token, checked with whoami), then a header with the places and
 * the page of the current hash route. Every page reads the live state (live.ts) and calls the API (api.ts).
 */
import { Component, lazy, StrictMode, Suspense, useEffect, useMemo, useState } from 'react'
import type { FormEvent, ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { Api, errorText } from './api.js'
import { Live, useLive } from './live.js'
import { href, useRoute } from './router.js'
import { canWrite, forgetToken, saveToken, savedToken, SessionContext, useSession, whoIs } from './session.js'
import type { Session } from './session.js'
import type { Who } from './types.js'
import { OverviewPage } from './pages/overview.js'
import { ExperimentsPage } from './pages/experiments.js'
import { ExperimentPage } from './pages/experiment.js'
import { WorkflowsPage } from './pages/workflows.js'
import { SchedulesPage } from './pages/schedules.js'
import { ArchivePage } from './pages/archive.js'
import { ReportsPage } from './pages/reports.js'
import { PodsPage } from './pages/pods.js'
import './styles.css'

// the editor (CodeMirror) is a third of the code and only writers open it: loaded when the page is
const CreatePage = lazy(() => import('./pages/create.js').then((m) => ({ default: m.CreatePage })))

/** The places in the header, in order; `write`: shown only to a token that may write. */
const PLACES: { path: string; label: string; write?: boolean }[] = [
  { path: '', label: 'Overview' },
  { path: 'experiments', label: 'Experiments' },
  { path: 'workflows', label: 'Workflows' },
  { path: 'schedules', label: 'Schedules' },
  { path: 'archive', label: 'Archive' },
  { path: 'reports', label: 'Reports' },
  { path: 'pods', label: 'Pods' },
  { path: 'new', label: 'New experiment', write: true },
]

function App() {
  const [session, setSession] = useState<{ token: string; who: Who } | undefined>()
  const [checking, setChecking] = useState(savedToken() !== undefined)
  const [expired, setExpired] = useState<string | undefined>()

  // a token kept from before a reload is checked again: it may have been revoked meanwhile
  useEffect(() => {
    const token = savedToken()
    if (!token) return
    whoIs(token)
      .then((who) => setSession({ token, who }))
      .catch(() => forgetToken())
      .finally(() => setChecking(false))
  }, [])

  if (checking) return <p className="loading">Checking the saved token…</p>
  if (!session) {
    return <Login notice={expired} onLogin={(token, who) => { saveToken(token); setExpired(undefined); setSession({ token, who }) }} />
  }
  const logout = (why?: string) => {
    forgetToken()
    setExpired(why)
    setSession(undefined)
  }
  return <Dashboard key={session.token} token={session.token} who={session.who} logout={logout} />
}

function Login({ onLogin, notice }: { onLogin: (token: string, who: Who) => void; notice: string | undefined }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      onLogin(token.trim(), await whoIs(token.trim()))
    } catch (err) {
      setError(errorText(err, { hint: false }))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">chaoscope</h1>
        {notice ? <p role="status" className="notice">{notice}</p> : null}
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" autoFocus value={token} onChange={(e) => setToken(e.target.value)} required />
        <p className="help">The local admin token is in <code>~/.chaoscope/token</code>; others come from <code>chaoscope token create</code>. It is kept in this tab only.</p>
        {error ? <p role="alert" className="error">{error}</p> : null}
        <button type="submit" disabled={busy || token.trim() === ''}>{busy ? 'Checking…' : 'Log in'}</button>
      </form>
    </main>
  )
}

function Dashboard({ token, who, logout }: { token: string; who: Who; logout: (why?: string) => void }) {
  const session = useMemo<Session>(() => {
    const api = new Api(token, () => logout('The token was refused (revoked or expired): log in again.'))
    return { api, live: new Live(api, who.namespaces), who, canWrite: canWrite(who.role), logout: () => logout() }
  }, [token])
  useEffect(() => {
    session.live.start()
    return () => session.live.close()
  }, [session])
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  )
}

function Shell() {
  const { parts } = useRoute()
  const session = useSession()
  const live = useLive(session.live)
  const place = parts[0] ?? ''
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus() }}>Skip to content</a>
      <header className="top">
        <span className="brand">chaoscope</span>
        <nav aria-label="Places">
          <ul>
            {PLACES.filter((p) => !p.write || session.canWrite).map((p) => (
              <li key={p.path}>
                <a href={p.path ? href(p.path) : '#/'} aria-current={place === p.path ? 'page' : undefined}>{p.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span className={`conn ${live.connected ? 'on' : 'off'}`} role="status" aria-live="polite">{live.connected ? 'live' : live.loaded ? 'reconnecting…' : 'connecting…'}</span>
        <span className="who" title={session.who.namespaces.length ? `namespaces: ${session.who.namespaces.join(', ')}` : 'every namespace'}>{session.who.name} · {session.who.role}</span>
        <button type="button" className="link" onClick={session.logout}>Log out</button>
      </header>
      <main id="main" tabIndex={-1} data-live={live.loaded && live.connected ? 'ready' : 'loading'}>
        {live.error && !live.connected ? <p role="alert" className="error">Cannot reach the API: {live.error}</p> : null}
        <PageBoundary key={parts.join('/')}>{page(parts, session.canWrite)}</PageBoundary>
      </main>
    </>
  )
}

/**
 * A page that fails to render (or whose code fails to load: a tab left open across a rebuild asks for files that
 * are gone) says so in its place; the header and the other pages stay usable. Keyed by route: another page starts afresh.
 */
class PageBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {}

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  override render() {
    if (!this.state.error) return this.props.children
    return (
      <div role="alert" className="error">
        <p>This page failed: {this.state.error.message}</p>
        <p>If chaoscope was rebuilt or upgraded since this tab opened, <button type="button" onClick={() => location.reload()}>reload the page</button>.</p>
      </div>
    )
  }
}

/** The page of a route; an unknown one says so. */
function page(parts: string[], writer: boolean): ReactNode {
  const [place, ...rest] = parts
  switch (place ?? '') {
    case '': return <OverviewPage />
    case 'experiments': return rest.length >= 3 ? <ExperimentPage kind={rest[0]!} namespace={rest[1]!} name={rest[2]!} /> : <ExperimentsPage />
    case 'workflows': return <WorkflowsPage namespace={rest[0]} name={rest[1]} />
    case 'schedules': return <SchedulesPage namespace={rest[0]} name={rest[1]} />
    case 'archive': return <ArchivePage uid={rest[0]} />
    case 'reports': return <ReportsPage run={rest[0]} />
    case 'pods': return <PodsPage name={rest[0]} />
    case 'new': return writer ? <Suspense fallback={<p className="loading">Loading the editor…</p>}><CreatePage /></Suspense> : <p>This token may not create experiments (it is a viewer's).</p>
    default: return <p>No such page: <code>{parts.join('/')}</code>. <a href="#/">Back to the overview</a>.</p>
  }
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>)
