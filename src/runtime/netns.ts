/**
 * @module runtime/netns: a network namespace per pod, as a container has one: the runtime creates it with a veth
 * pair (one end in the namespace as `eth0`, the other on the host) and a link-local /30 of its own, and removes it
 * with the pod. Inside, the pod has its own loopback and every port free, so a program that listens on a port from
 * its own config (`listen 8080;`) runs unchanged, several replicas side by side; from outside, its only address is
 * the veth's, which only the runtime's sidecars are told. Needs root and iproute2 (`ip`); nsenter (util-linux)
 * starts the pod's process inside. Which namespaces a runtime made is kept in a directory of its own, so that the
 * next runtime on the same home removes what a killed one left.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomInt } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { findOnPath } from './process/launch.js'

const run = promisify(execFile)

/** A pod's network: its namespace (by name and by path, for nsenter) and the two ends of its link. */
export interface PodNetwork {
  readonly name: string
  /** `/run/netns/<name>`, what `nsenter --net=` takes. */
  readonly path: string
  /** The host end of the veth pair. */
  readonly hostLink: string
  /** The host end's address: where the pod reaches its egress sidecars. */
  readonly hostAddress: string
  /** The pod's address ($POD_IP): where its ingress sidecar reaches it. */
  readonly podAddress: string
}

export type NetnsSupport = { usable: true; ip: string; nsenter: string } | { usable: false; reason: string }

let probed: Promise<NetnsSupport> | undefined

/**
 * Whether pods can have namespaces here: root, `ip` and `nsenter` found, and a namespace can really be made (a
 * container without CAP_SYS_ADMIN cannot). Asked once per process.
 */
export function netnsSupport(): Promise<NetnsSupport> {
  probed ??= (async (): Promise<NetnsSupport> => {
    if (process.platform !== 'linux') return { usable: false, reason: 'network namespaces are Linux only' }
    if (process.getuid?.() !== 0) return { usable: false, reason: 'the runtime does not run as root' }
    const ip = findOnPath('ip')
    if (!ip) return { usable: false, reason: 'iproute2 (`ip`) is not installed' }
    const nsenter = findOnPath('nsenter')
    if (!nsenter) return { usable: false, reason: 'util-linux nsenter is not installed' }
    const name = `chaoscope-probe-${process.pid}`
    try {
      await run(ip, ['netns', 'add', name])
    } catch (e) {
      return { usable: false, reason: `cannot create a network namespace: ${firstLine(e)}` }
    }
    await run(ip, ['netns', 'del', name]).catch(() => undefined)
    return { usable: true, ip, nsenter }
  })()
  return probed
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string }
  return (err.stderr || err.message || String(e)).trim().split('\n')[0]!
}

/** `169.254.B.C`: block `n` of 4 addresses, offset `k` in it. Blocks 64..16319 skip 169.254.0.x, .169.x and .255.x. */
function blockAddress(n: number, k: number): string {
  const v = n * 4 + k
  return `169.254.${v >> 8}.${v & 255}`
}
const FIRST_BLOCK = 64
const LAST_BLOCK = 16_319
const RESERVED_THIRD_OCTET = 169 // 169.254.169.254 is where clouds answer metadata queries: never on a pod

/** The /30 blocks already on this host's interfaces (another runtime's pods, or anything else link-local). */
async function blocksInUse(ip: string): Promise<Set<number>> {
  const { stdout } = await run(ip, ['-o', '-4', 'addr', 'show'])
  const used = new Set<number>()
  for (const m of stdout.matchAll(/inet 169\.254\.(\d+)\.(\d+)\//g)) used.add((Number(m[1]) * 256 + Number(m[2])) >> 2)
  return used
}

export interface PodNetworksOptions {
  /** Where this runtime records the namespaces it made (one file each, holding its pid). */
  recordDir: string
  /** From {@link netnsSupport}, when usable. */
  support: Extract<NetnsSupport, { usable: true }>
}

/** The namespaces of one runtime's pods. */
export class PodNetworks {
  private readonly taken = new Set<number>()
  private readonly blocks = new Map<string, number>() // namespace → its /30

  constructor(private readonly opts: PodNetworksOptions) {
    mkdirSync(opts.recordDir, { recursive: true, mode: 0o700 })
  }

  /** Makes the namespace of a pod (by its uid): namespace, veth pair, addresses, links up. Nothing is left when it fails. */
  async create(uid: string): Promise<PodNetwork> {
    const { ip } = this.opts.support
    const short = uid.replace(/-/g, '').slice(0, 8)
    const name = `chaoscope-${short}`
    const hostLink = `cs-${short}`
    const used = await blocksInUse(ip)
    let block = -1
    for (let i = 0; i < 100 && block < 0; i++) {
      const n = randomInt(FIRST_BLOCK, LAST_BLOCK + 1)
      if (!used.has(n) && !this.taken.has(n) && (n * 4) >> 8 !== RESERVED_THIRD_OCTET) block = n
    }
    if (block < 0) throw new Error('no free link-local /30 for a new pod network (169.254.0.0/16 is crowded)')
    this.taken.add(block)
    this.blocks.set(name, block)
    const net: PodNetwork = { name, path: `/run/netns/${name}`, hostLink, hostAddress: blockAddress(block, 1), podAddress: blockAddress(block, 2) }
    writeFileSync(join(this.opts.recordDir, name), `${process.pid}\n`, { mode: 0o600 })
    try {
      await run(ip, ['netns', 'add', name])
      await batch(ip, [], [
        `link add ${hostLink} type veth peer name eth0 netns ${name}`,
        `addr add ${net.hostAddress}/30 dev ${hostLink}`,
        `link set ${hostLink} up`,
      ])
      await batch(ip, ['-n', name], [`addr add ${net.podAddress}/30 dev eth0`, 'link set eth0 up', 'link set lo up'])
    } catch (e) {
      await this.remove(net)
      throw new Error(`cannot set up the pod's network namespace ${name}: ${firstLine(e)}`)
    }
    return net
  }

  /** Removes a pod's namespace (its veth pair goes with it once no process is left inside). Never throws. */
  async remove(net: Pick<PodNetwork, 'name' | 'hostLink'>): Promise<void> {
    const { ip } = this.opts.support
    await run(ip, ['netns', 'del', net.name]).catch(() => undefined)
    // the host end goes with the namespace; a pod's process still dying inside keeps it a moment: delete it now
    await run(ip, ['link', 'del', net.hostLink]).catch(() => undefined)
    rmSync(join(this.opts.recordDir, net.name), { force: true })
    const block = this.blocks.get(net.name)
    if (block !== undefined) this.taken.delete(block)
    this.blocks.delete(net.name)
  }

  /** Removes the namespaces recorded by runtimes that are gone (killed before they could); returns their names. */
  async removeLeftovers(): Promise<string[]> {
    const removed: string[] = []
    for (const name of readdirSync(this.opts.recordDir)) {
      const pid = Number(readFileSync(join(this.opts.recordDir, name), 'utf8').trim())
      if (pid === process.pid || alive(pid)) continue
      await this.remove({ name, hostLink: `cs-${name.slice('chaoscope-'.length)}` })
      removed.push(name)
    }
    return removed
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Runs `ip [args] -batch -` with the commands on its stdin: one process for several changes. */
function batch(ip: string, args: string[], lines: string[]): Promise<unknown> {
  return new Promise((resolveBatch, reject) => {
    const child = execFile(ip, [...args, '-batch', '-'], (err, _out, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolveBatch(undefined)))
    child.stdin!.end(`${lines.join('\n')}\n`)
  })
}
