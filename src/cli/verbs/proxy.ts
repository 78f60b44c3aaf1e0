/** @module cli/verbs/proxy: `chaoscope proxy`: Toxiproxy's API over a local runtime of proxies (proxy mode). */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { EXIT, formatIssue, loadApp, startRuntimeServer, startToxiproxyApi, startUpController, VERSION } from '../../index.js'
import type { RuntimeServer } from '../../index.js'
import type { ProxyFlags } from '../commands.js'
import { usage } from '../flags.js'
import type { Run } from '../main.js'
import { SignalLatch } from '../signals.js'
import { controllerLog, retentionOf } from './server.js'

/** Reads `--config`: Toxiproxy's own file, a JSON list of {name, listen, upstream, enabled}. */
function readConfig(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw usage(`--config ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw usage(`--config ${file}: not JSON: ${(e as Error).message}`, 'Toxiproxy\'s config is a JSON list: [{"name": "redis", "listen": "127.0.0.1:26379", "upstream": "127.0.0.1:6379"}]')
  }
}

/**
 * Runs in the foreground until Ctrl-C or SIGTERM: a runtime whose pods are the proxies (those of `-f`'s App file,
 * of `--config`, and those made through the API), the controller beside it (so `chaoscope apply` acts on them),
 * and Toxiproxy's API. Bad input (an invalid App file or config) stops it before it listens.
 */
export async function proxy(opts: ProxyFlags, run: Run): Promise<void> {
  const latch = new SignalLatch()
  let server: RuntimeServer | undefined
  let api: Awaited<ReturnType<typeof startToxiproxyApi>> | undefined
  const stop = async (why: string) => {
    run.out(`stopping (${why})...\n`)
    await api?.close()
    await server?.close()
    run.out('stopped\n')
  }
  try {
    const config = opts.config !== undefined ? readConfig(opts.config) : undefined
    let app: Parameters<typeof startRuntimeServer>[0] = { metadata: { name: 'proxy' }, spec: { services: [], proxies: [] } }
    let appFile = resolve('chaoscope-proxy')
    if (opts.filename !== undefined) {
      const loaded = await loadApp(opts.filename)
      if ('issues' in loaded) {
        for (const i of loaded.issues) run.err(`${formatIssue(i)}\n`)
        run.exitCode = EXIT.USAGE
        return
      }
      app = loaded.resource
      appFile = resolve(opts.filename)
    }
    server = await startRuntimeServer(app, appFile, { controlPort: opts.controlPort, log: (line) => run.out(`${line}\n`) })
    server.onShutdownRequest(() => latch.stop('chaoscope down'))
    if (latch.reason) return await stop(latch.reason)
    api = await startToxiproxyApi(server.runtime, { host: opts.host, port: opts.port, ...(opts.allowRemote ? { allowRemote: true } : {}), version: VERSION })
    if (config !== undefined) {
      const r = await api.populate(config)
      if (r.status !== 201) {
        run.err(`error: --config ${opts.config}: ${r.body.error ?? 'refused'} (stopped: no proxy of it is left listening)\n`)
        run.exitCode = EXIT.USAGE
        return await stop('invalid --config')
      }
    }
    run.out(`Toxiproxy API on ${api.url} (pid ${process.pid})\n`)
    run.out(`runtime ${server.state.app}: control API ${server.state.url}\n`)
    try {
      const ctl = await startUpController(server, { ...(opts.db ? { db: opts.db } : {}), log: controllerLog(run), retention: retentionOf(opts) })
      run.out(`controller: API ${ctl.state.url}/api/v1, db ${ctl.state.db}\n`)
    } catch (e) {
      await stop('the controller did not start')
      throw e
    }
    for (const p of server.runtime.proxies()) run.out(`proxy ${p.name}: ${p.enabled ? `listening on ${p.listen}` : 'disabled'} → ${p.upstream}\n`)
    await stop(await latch.stopped)
  } catch (e) {
    if (server && !api) await server.close()
    throw e
  } finally {
    latch.dispose()
  }
}
