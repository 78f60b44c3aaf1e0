/**
 * The watch over real sockets (port 0): a watcher that does not read is dropped with a reason while one that
 * reads gets every change in order; 1 000 watchers cost one serialisation per change; watchers are removed when
 * their connection goes; the CLI's client reports a dropped watch as an error.
 */
import { EventEmitter } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { apiApp } from './app.js'
import { ControllerClient } from './client.js'
import type { ChangeNotice, ControllerApi } from './types.js'
import { WatchHub } from './watch.js'
import type { DroppedNotice, WatchOptions } from './watch.js'

const teardown: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of teardown.splice(0).reverse()) await f()
})

/** Serves `fetch` on 127.0.0.1:0 until the test ends. */
async function listen(fetch: (req: Request, env: unknown) => Response | Promise<Response>): Promise<{ port: number; server: http.Server }> {
  const server = await new Promise<http.Server>((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as http.Server)) as http.Server
  })
  teardown.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  )
  return { port: (server.address() as AddressInfo).port, server }
}

/** A hub on an EventEmitter source, served at /watch (every change matches). */
async function hubServer(opts: WatchOptions) {
  const source = new EventEmitter()
  const hub = new WatchHub(source, opts)
  const app = new Hono()
  app.get('/watch', (c) => hub.open(() => true, { request: c.req.raw, env: c.env }))
  const { port, server } = await listen((req, env) => app.fetch(req, env))
  teardown.push(() => hub.closeAll())
  return { source, hub, port, server }
}

interface Seen {
  ids: number[]
  events: { event: string; data: string }[]
}

/** Parses SSE text (already de-chunked) into `seen`; returns what is left of an unfinished frame. */
function parseFrames(text: string, seen: Seen): string {
  let end: number
  while ((end = text.indexOf('\n\n')) >= 0) {
    const block = text.slice(0, end)
    text = text.slice(end + 2)
    let event = ''
    let data = ''
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data = line.slice(6)
      else if (line.startsWith('id: ')) seen.ids.push(Number(line.slice(4)))
    }
    if (event) seen.events.push({ event, data })
  }
  return text
}

/** A watcher that reads everything as it comes (node:http, as the CLI's client does). */
function readingWatcher(port: number, path = '/watch'): Seen & { res?: http.IncomingMessage; req: http.ClientRequest } {
  const seen: Seen & { res?: http.IncomingMessage; req: http.ClientRequest } = { ids: [], events: [], req: undefined as unknown as http.ClientRequest }
  let rest = ''
  seen.req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
    seen.res = res
    res.setEncoding('utf8')
    res.on('data', (d: string) => (rest = parseFrames(rest + d, seen)))
  })
  seen.req.on('error', () => {})
  teardown.push(() => void seen.req.destroy())
  return seen
}

/** A raw socket that sends the request and then reads nothing. */
async function stuckWatcher(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.pause()
  await new Promise<void>((r) => socket.once('connect', () => r()))
  socket.write('GET /watch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
  teardown.push(() => void socket.destroy())
  return socket
}

const wait = (pred: () => boolean, timeout = 10_000) => vi.waitFor(() => expect(pred()).toBe(true), { timeout, interval: 2 })
const bigChange = (i: number, pad: string): ChangeNotice => ({ type: 'EVENT', event: { id: i, note: pad } as unknown as Extract<ChangeNotice, { type: 'EVENT' }>['event'] })

/** Emits big changes in step with `reader` until the hub drops someone; returns how many were emitted. */
async function emitUntilDropped(hub: WatchHub, source: EventEmitter, reader: Seen): Promise<number> {
  const pad = 'x'.repeat(64 * 1024)
  let i = 0
  while (hub.stats().dropped === 0 && i < 500) {
    source.emit('change', bigChange(++i, pad))
    await wait(() => reader.ids.at(-1) === i)
  }
  return i
}

describe('a watcher that does not read', () => {
  it('is sent `dropped` with a reason after its queue fills, while a reading watcher gets every change in order', async () => {
    const { source, hub, port } = await hubServer({ maxQueuedBytes: 256 * 1024, maxQueuedEvents: 10_000 })
    const fast = readingWatcher(port)
    const stuck = await stuckWatcher(port)
    await wait(() => hub.stats().watchers === 2 && fast.events[0]?.event === 'ready')

    const n = await emitUntilDropped(hub, source, fast)
    expect(hub.stats()).toMatchObject({ dropped: 1, watchers: 1 })
    for (let k = 0; k < 3; k++) source.emit('change', bigChange(n + k + 1, 'after'))
    await wait(() => fast.ids.at(-1) === n + 3)
    expect(fast.ids).toEqual(Array.from({ length: n + 3 }, (_, k) => k + 1))

    // now it reads: a prefix of the changes in order, then the reason, then the end of the response
    let raw = ''
    stuck.setEncoding('latin1')
    stuck.on('data', (d: string) => (raw += d))
    stuck.resume()
    await wait(() => raw.endsWith('\r\n0\r\n\r\n'))
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/(^|\r\n)[0-9a-f]+\r\n/g, '')
    const seen: Seen = { ids: [], events: [] }
    parseFrames(body, seen)
    const last = seen.events.at(-1)!
    expect(last.event).toBe('dropped')
    const notice = JSON.parse(last.data) as DroppedNotice
    expect(notice).toMatchObject({ reason: 'TooSlow', lastId: seen.ids.at(-1) ?? 0, limits: { bytes: 256 * 1024 } })
    expect(notice.message).toMatch(/fell behind/)
    expect(seen.ids).toEqual(Array.from({ length: seen.ids.length }, (_, k) => k + 1))
    expect(seen.ids.length).toBeLessThan(n)
  })

  it('has its connection closed when it still does not read after the grace', async () => {
    const { source, hub, port, server } = await hubServer({ maxQueuedBytes: 128 * 1024, dropGraceMs: 50 })
    const fast = readingWatcher(port)
    await stuckWatcher(port)
    await wait(() => hub.stats().watchers === 2)
    await emitUntilDropped(hub, source, fast)
    const connections = () => new Promise<number>((r) => server.getConnections((_e, c) => r(c)))
    let count = 2
    await vi.waitFor(async () => expect((count = await connections())).toBe(1), { timeout: 5000, interval: 5 })
    expect(count).toBe(1)
  })
})

describe('1 000 idle watchers', () => {
  it('cost one JSON serialisation per change, and each gets it', async () => {
    const source = new EventEmitter()
    source.setMaxListeners(0)
    const app = apiApp({ controller: source as unknown as ControllerApi })
    const abort = new AbortController()
    teardown.push(() => abort.abort())
    const readers = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const res = await app.request('/api/v1/watch', { signal: abort.signal })
        return { reader: res.body!.getReader(), text: '' }
      }),
    )
    const decoder = new TextDecoder()
    const readUntil = async (r: (typeof readers)[number], s: string) => {
      while (!r.text.includes(s)) {
        const { value, done } = await r.reader.read()
        if (done) throw new Error(`stream ended before ${s}`)
        r.text += decoder.decode(value)
      }
    }
    await Promise.all(readers.map((r) => readUntil(r, 'event: ready')))
    const change: ChangeNotice = { type: 'MODIFIED', object: { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'd', namespace: 'default' }, spec: {} } as unknown as Extract<ChangeNotice, { object: unknown }>['object'] }
    const stringify = vi.spyOn(JSON, 'stringify')
    try {
      source.emit('change', change)
      await Promise.all(readers.map((r) => readUntil(r, '"name":"d"')))
      expect(stringify.mock.calls.filter(([v]) => v === change)).toHaveLength(1)
    } finally {
      stringify.mockRestore()
    }
    await Promise.all(readers.map((r) => r.reader.cancel()))
    expect(source.listenerCount('change')).toBe(0)
  })
})

describe('watchers whose connection goes', () => {
  it('are removed at once, and the hub stops listening when the last goes', async () => {
    const { source, hub, port } = await hubServer({})
    const watchers = Array.from({ length: 20 }, () => readingWatcher(port))
    await wait(() => hub.stats().watchers === 20 && watchers.every((w) => w.events[0]?.event === 'ready'))
    expect(source.listenerCount('change')).toBe(1)
    for (const w of watchers.slice(1)) w.req.destroy()
    await wait(() => hub.stats().watchers === 1)
    source.emit('change', bigChange(1, 'still here'))
    await wait(() => watchers[0]!.ids.at(-1) === 1)
    watchers[0]!.req.destroy()
    await wait(() => hub.stats().watchers === 0)
    expect(source.listenerCount('change')).toBe(0)
  })
})

describe('the CLI client', () => {
  it('yields the changes, then reports a dropped watch as API_WATCH_DROPPED', async () => {
    const notice: DroppedNotice = { reason: 'TooSlow', message: 'this watcher fell behind', lastId: 1, limits: { events: 1, bytes: 1 } }
    const { port } = await listen(
      () =>
        new Response(`event: ready\ndata: {}\n\nevent: change\ndata: {"type":"EVENT","event":{"id":7}}\nid: 1\n\n: keep-alive\n\nevent: dropped\ndata: ${JSON.stringify(notice)}\n\n`, {
          headers: { 'content-type': 'text/event-stream' },
        }),
    )
    const got: unknown[] = []
    const run = async () => {
      for await (const c of new ControllerClient(`http://127.0.0.1:${port}`).watch()) got.push(c)
    }
    await expect(run()).rejects.toMatchObject({ code: 'API_WATCH_DROPPED', message: expect.stringContaining('this watcher fell behind') })
    expect(got).toEqual([{ type: 'EVENT', event: { id: 7 } }])
  })
})
