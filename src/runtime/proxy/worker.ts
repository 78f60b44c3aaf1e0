/** @module runtime/proxy/worker: the data plane thread; owns every proxy and socket, obeys DataPlane commands. */

import { parentPort } from 'node:worker_threads'
import { ChaosError, isChaosError } from '../../errors.js'
import { Proxy } from './proxy.js'
import type { ProxyContext } from './proxy.js'
import type { Command, ReplyMessage, RequestMessage } from './protocol.js'
import { tracingSettings } from '../../observe/tracing.js'
import type { Tracing } from '../../observe/tracing.js'

const proxies = new Map<string, Proxy>()

/** How a hostPort proxy finds the ingress sidecar it hands a connection to (a scan: sidecars are tens, not thousands). */
const context: ProxyContext = {
  sidecarAt(host, port) {
    for (const p of proxies.values()) if (p.port === port && p.host === host) return p
    return undefined
  },
}

/** Commands after which a partition may start or end for some proxy (a hostPort one follows its sidecars). */
const CHANGES: ReadonlySet<Command['op']> = new Set(['createProxy', 'removeProxy', 'setListening', 'setUpstreams', 'addFault', 'removeFault'])

/** Closes or opens again the port of every proxy whose partition started or ended (Proxy.syncPartition). */
async function syncPartitions(): Promise<void> {
  for (const p of proxies.values()) await p.syncPartition()
}

/**
 * Sidecar spans, when this process's OTEL_* env (the runtime's) turns tracing on. The SDK loads only then;
 * commands wait for it, so every proxy traces from its first request.
 */
const tracing: Promise<Tracing | undefined> = tracingSettings(process.env, 'chaoscope-sidecar').enabled
  ? import('./hop-tracing.js')
      .then((m) => m.startHopTracing(process.env))
      .catch((e: unknown) => {
        process.stderr.write(`chaoscope data plane: tracing could not start: ${e instanceof Error ? e.message : String(e)}\n`)
        return undefined
      })
  : Promise.resolve(undefined)

function get(name: string): Proxy {
  const p = proxies.get(name)
  if (!p) throw new ChaosError('PROXY_NOT_FOUND', `no proxy named ${name}`)
  return p
}

/** Names being created, so that two concurrent creates of one name cannot both bind. */
const starting = new Set<string>()

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'createProxy': {
      const name = cmd.opts.name
      if (proxies.has(name) || starting.has(name)) throw new ChaosError('PROXY_EXISTS', `a proxy named ${name} exists`)
      starting.add(name)
      try {
        const p = await Proxy.start(cmd.opts, context)
        proxies.set(name, p)
        return { name, host: p.host, port: p.port }
      } finally {
        starting.delete(name)
      }
    }
    case 'removeProxy': {
      const p = proxies.get(cmd.name)
      if (!p) return false
      proxies.delete(cmd.name)
      await p.close(cmd.how)
      return true
    }
    case 'setListening': {
      const p = get(cmd.name)
      if (cmd.listening) await p.listen(cmd.listen)
      else await p.stopListening()
      return { host: p.host, port: p.port }
    }
    case 'setUpstreams':
      get(cmd.name).setUpstreams(cmd.upstreams)
      return null
    case 'addFault':
      get(cmd.name).addFault(cmd.fault)
      return null
    case 'removeFault':
      return get(cmd.name).removeFault(cmd.id)
    case 'listFaults':
      return get(cmd.name).listFaults()
    case 'stats':
      return [...proxies.values()].map((p) => p.stats(cmd.since === undefined ? {} : { since: cmd.since }))
    case 'faultStats':
      return [...proxies.values()].filter((p) => p.hasFaults()).map((p) => ({ name: p.name, faults: p.faultStats() }))
    case 'shutdownTracing':
      await (await tracing)?.shutdown(3000)
      return null
  }
}

const port = parentPort
if (!port) throw new Error('runtime/proxy/worker must run in a worker thread')
port.on('message', (m: RequestMessage) => {
  tracing
    .then(() => handle(m.cmd))
    .then(async (value) => {
      if (CHANGES.has(m.cmd.op)) await syncPartitions()
      return value
    })
    .then(
      (value) => port.postMessage({ id: m.id, ok: true, value } satisfies ReplyMessage),
      (e: unknown) => {
        const error = isChaosError(e)
          ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }
          : { code: 'INTERNAL', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }
        port.postMessage({ id: m.id, ok: false, error } satisfies ReplyMessage)
      },
    )
})
