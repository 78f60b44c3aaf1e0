import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tryConnect } from '../../test/sockets.js'
import { netnsSupport, PodNetworks } from './netns.js'

const support = await netnsSupport()
/** The port both pods listen on: an uncommon one, so that nothing else on the host has it (8080 often is taken). */
const PORT = 28371
/** A pod uid of our own: another run of these tests beside this one must not make the same namespace names. */
const uid = (tag: string) => `${randomBytes(4).toString('hex')}-${tag}`
const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })

describe.skipIf(!support.usable)(`pod network namespaces${support.usable ? '' : ` (skipped: ${support.reason})`}`, () => {
  const nets = () => new PodNetworks({ recordDir: mkdtempSync(join(tmpdir(), 'chaoscope-netns-')), support: support as Extract<typeof support, { usable: true }> })

  it('gives each pod its own ports on an address of its own, reachable from the host, and leaves nothing once removed', async () => {
    const pn = nets()
    const [a, b] = await Promise.all([pn.create(uid('aaaa')), pn.create(uid('bbbb'))])
    expect(a.podAddress).not.toBe(b.podAddress)
    expect(a.podAddress).toMatch(/^169\.254\.\d+\.\d+$/)
    // the same port in both, bound on every address, as two containers would
    const server = (net: typeof a) => spawn('nsenter', [`--net=${net.path}`, '--', process.execPath, '-e', `require("node:net").createServer((s) => s.end(process.argv[1])).listen(${PORT}, "0.0.0.0", () => console.log("up"))`, net.name], { stdio: ['ignore', 'pipe', 'inherit'] })
    const procs = [server(a), server(b)]
    try {
      await Promise.all(procs.map((p) => new Promise((r) => p.stdout!.once('data', r))))
      const said = (host: string) => new Promise<string>((r) => {
        let got = ''
        connect({ host, port: PORT }).on('data', (d) => (got += d)).on('close', () => r(got))
      })
      expect(await said(a.podAddress)).toBe(a.name)
      expect(await said(b.podAddress)).toBe(b.name)
      // nothing listens on the host's PORT: the pods' ports are their own
      expect(await tryConnect('127.0.0.1', PORT)).toBe('ECONNREFUSED')
    } finally {
      for (const p of procs) p.kill('SIGKILL')
    }
    await Promise.all([pn.remove(a), pn.remove(b)])
    expect(existsSync(a.path)).toBe(false)
    expect(links()).not.toContain(a.hostLink)
    expect(links()).not.toContain(b.hostLink)
  })

  it('removes what a runtime that is gone left behind, and keeps its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-netns-'))
    const s = support as Extract<typeof support, { usable: true }>
    const first = new PodNetworks({ recordDir: dir, support: s })
    const left = await first.create(uid('cccc'))
    const mine = await first.create(uid('dddd'))
    // as if a killed runtime (a pid that no longer exists) had made `left`
    writeFileSync(join(dir, left.name), '999999999\n')
    const removed = await new PodNetworks({ recordDir: dir, support: s }).removeLeftovers()
    expect(removed).toEqual([left.name])
    expect(existsSync(left.path)).toBe(false)
    expect(existsSync(mine.path)).toBe(true)
    expect(readdirSync(dir)).toEqual([mine.name])
    await first.remove(mine)
  })
})
