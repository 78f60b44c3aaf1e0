/**
 * @module dashboard/live: every resource and the recent events, kept current: one list of each, then the watch's
 * changes applied as they come. A page reads it through {@link useLive}; nothing polls.
 *
 *   start ─▶ GET /api/v1/resources (all pages) + GET /api/v1/events (the newest page) ─▶ snapshot
 *         ─▶ GET /api/v1/watch ─▶ ADDED / MODIFIED / DELETED / EVENT ─▶ snapshot' ─▶ subscribers
 *   stream ends (dropped, server restart, network) ─▶ wait 1 s ─▶ list again, watch again
 */
import { useSyncExternalStore } from 'react'
import type { Api } from './api.js'
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

export class Live {
  private state: LiveState = { loaded: false, objects: new Map(), events: [], connected: false }
  private readonly listeners = new Set<() => void>()
  private stop = new AbortController()
  /** Changes that came while a list was read, applied over it once it is in (the last change of each object wins). */
  private pending: ChangeNotice[] | undefined

  constructor(private readonly api: Api) {}

  /** Lists, then watches until {@link close}; lists and watches again whenever the stream ends. */
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
    while (!signal.aborted) {
      try {
        // watch first, list once it is open: a change made between the list and the watch is not lost
        let opened!: () => void
        const open = new Promise<void>((resolve) => (opened = resolve))
        const watching = this.api.watch({}, { onReady: opened, onChange: (c) => this.apply(c), onEnd: opened }, signal)
        watching.catch(opened)
        await open
        await this.list()
        this.set({ connected: true, error: undefined })
        await watching
      } catch (e) {
        this.pending = undefined
        this.set({ error: e instanceof Error ? e.message : String(e) })
      }
      if (signal.aborted) return
      this.set({ connected: false })
      await sleep(1000, signal)
    }
  }

  private async list(): Promise<void> {
    this.pending = []
    const objects = new Map<string, ChaosObject>()
    let cont: string | undefined
    do {
      const page: ListAnswer<ChaosObject> = await this.api.get(`/api/v1/resources?limit=1000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)
      for (const o of page.items) objects.set(keyOf(o), o)
      cont = page.metadata.continue
    } while (cont)
    const events = await this.newestEvents()
    const pending = this.pending ?? []
    this.pending = undefined
    this.set({ loaded: true, objects, events: events.filter((e) => !pending.some((c) => c.type === 'EVENT' && c.event.id === e.id)) })
    for (const c of pending) this.apply(c)
  }

  /** The newest {@link RECENT_EVENTS} events: the list is oldest first, so read pages to the end and keep the tail. */
  private async newestEvents(): Promise<ChaosEvent[]> {
    let kept: ChaosEvent[] = []
    let cont: string | undefined
    do {
      const page: ListAnswer<ChaosEvent> = await this.api.get(`/api/v1/events?limit=1000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)
      kept = [...kept, ...page.items].slice(-RECENT_EVENTS)
      cont = page.metadata.continue
    } while (cont)
    return kept
  }

  private apply(change: ChangeNotice): void {
    if (this.stop.signal.aborted) return
    if (this.pending) {
      this.pending.push(change)
      return
    }
    if (change.type === 'EVENT') {
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
