/**
 * @module dashboard/live: every resource and the recent events, kept current: one list of each, then the watch's
 * changes applied as they come. A page reads it through {@link useLive}; nothing polls.
 *
 *   start ─▶ GET /api/v1/resources (all pages) + GET /api/v1/events (the newest page) ─▶ snapshot
 *         ─▶ GET /api/v1/watch ─▶ ADDED / MODIFIED / DELETED / EVENT ─▶ snapshot' ─▶ subscribers
 *   a stream ends (dropped, server restart, network) ─▶ wait 1 s, doubling to 30 s while it fails ─▶ list again, watch again
 *   refused (403: the token may not read that) ─▶ the error shown, no retry
 *   a token limited to namespaces: one list and one watch per namespace
 */
import { useSyncExternalStore } from 'react'
import { ApiError } from './api.js'
import type { Api } from './api.js'
import { namespaceScopes } from './session.js'
import type { ChaosEvent, ChaosObject, ChangeNotice } from './types.js'

/** How many recent events are kept in memory (the newest). */
export const RECENT_EVENTS = 500

export interface LiveState {
  /** False until the first list arrived. */
  loaded: boolean
  /** Every resource, by {@link keyOf}. */
  objects: ReadonlyMap<string, ChaosObject>
  /** The newest events, oldest first. */
  events: readonly ChaosEvent[]
  /** Whether the watch stream is open (the page says "live" or "reconnecting"). */
  connected: boolean
  /** The last failure to list or watch, shown until the next success. */
  error?: string
}

/** `Kind/namespace/name`: the key of a resource in {@link LiveState.objects} and in the page's URLs. */
export function keyOf(o: { kind: string; metadata: { namespace: string; name: string } }): string {
  return `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`
}

interface ListAnswer<T> {
  items: T[]
  metadata: { continue?: string }
}

/** Waits between attempts to list and watch again: doubled after each failure up to the cap, reset once live. */
const RETRY_FIRST_MS = 1000
const RETRY_CAP_MS = 30_000

export class Live {
  private state: LiveState = { loaded: false, objects: new Map(), events: [], connected: false }
  private readonly listeners = new Set<() => void>()
  private stop = new AbortController()
  /** Changes that came while a list was read, applied over it once it is in (the last change of each object wins). */
  private pending: ChangeNotice[] | undefined

  /**
   * `namespaces`: those of a token limited to them (the API refuses such a token a list across every namespace),
   * each listed and watched on its own; empty: every namespace at once.
   */
  constructor(
    private readonly api: Api,
    private readonly namespaces: readonly string[] = [],
  ) {}

  /** Lists, then watches until {@link close}; lists and watches again whenever a stream ends. */
  start(): void {
    this.stop.abort()
    this.stop = new AbortController()
    void this.loop(this.stop.signal)
  }

  close(): void {
    this.stop.abort()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  snapshot = (): LiveState => this.state

  private async loop(signal: AbortSignal): Promise<void> {
    let wait = RETRY_FIRST_MS
    while (!signal.aborted) {
      // one pass: its streams end together (a list that fails leaves no stream behind to deliver changes twice)
      const pass = new AbortController()
      const abortPass = () => pass.abort()
      signal.addEventListener('abort', abortPass, { once: true })
      try {
        // watch first, list once every stream is open: a change made between the list and the watch is not lost
        const streams = namespaceScopes(this.namespaces).map((query) => {
          let opened!: () => void
          const open = new Promise<void>((resolve) => (opened = resolve))
          const done = this.api.watch(query, { onReady: opened, onChange: (c) => this.apply(c), onEnd: opened }, pass.signal).finally(opened)
          return { open, done }
        })
        await Promise.all(streams.map((w) => w.open))
        if (pass.signal.aborted) return
        await this.list()
        this.set({ connected: true, error: undefined })
        wait = RETRY_FIRST_MS
        await Promise.race(streams.map((w) => w.done))
      } catch (e) {
        this.pending = undefined
        this.set({ error: e instanceof Error ? e.message : String(e) })
        // refused for good (a role or namespace the token lacks, a bad query): asking again changes nothing
        if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429) {
          this.set({ connected: false })
          return
        }
        wait = Math.min(wait * 2, RETRY_CAP_MS)
      } finally {
        pass.abort()
        signal.removeEventListener('abort', abortPass)
      }
      if (signal.aborted) return
      this.set({ connected: false })
      await sleep(wait * (0.8 + Math.random() * 0.4), signal)
    }
  }

  private async list(): Promise<void> {
    this.pending = []
    const objects = new Map<string, ChaosObject>()
    let events: ChaosEvent[] = []
    for (const scope of namespaceScopes(this.namespaces)) {
      for (const o of await this.all<ChaosObject>('/api/v1/resources', scope)) objects.set(keyOf(o), o)
      events = [...events, ...(await this.newestEvents(scope))]
    }
    events = events.sort((a, b) => a.id - b.id).slice(-RECENT_EVENTS)
    const pending = this.pending ?? []
    this.pending = undefined
    this.set({ loaded: true, objects, events })
    for (const c of pending) this.apply(c)
  }

  /** Every item of a list, page after page. */
  private async all<T>(path: string, scope: Record<string, string>): Promise<T[]> {
    const items: T[] = []
    for await (const page of this.pages<T>(path, scope)) items.push(...page)
    return items
  }

  /** The newest {@link RECENT_EVENTS} events: the list is oldest first, so read pages to the end and keep the tail. */
  private async newestEvents(scope: Record<string, string>): Promise<ChaosEvent[]> {
    let kept: ChaosEvent[] = []
    for await (const page of this.pages<ChaosEvent>('/api/v1/events', scope)) kept = [...kept, ...page].slice(-RECENT_EVENTS)
    return kept
  }

  /** The pages of a list (1000 items each), following `metadata.continue` to the end. */
  private async *pages<T>(path: string, scope: Record<string, string>): AsyncGenerator<T[]> {
    let cont: string | undefined
    do {
      const q = new URLSearchParams({ ...scope, limit: '1000', ...(cont ? { continue: cont } : {}) })
      const page: ListAnswer<T> = await this.api.get(`${path}?${q}`)
      yield page.items
      cont = page.metadata.continue
    } while (cont)
  }

  private apply(change: ChangeNotice): void {
    if (this.stop.signal.aborted) return
    if (this.pending) {
      this.pending.push(change)
      return
    }
    if (change.type === 'EVENT') {
      // an event the list already brought (it came while the list was read) is not shown twice
      if (this.state.events.some((e) => e.id === change.event.id)) return
      const events = [...this.state.events, change.event].slice(-RECENT_EVENTS)
      this.set({ events })
      return
    }
    const objects = new Map(this.state.objects)
    if (change.type === 'DELETED') objects.delete(keyOf(change.object))
    else objects.set(keyOf(change.object), change.object)
    this.set({ objects })
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch }
    for (const l of [...this.listeners]) l()
  }
}

/** The live state, re-rendering the component on every change. */
export function useLive(live: Live): LiveState {
  return useSyncExternalStore(live.subscribe, live.snapshot)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}
