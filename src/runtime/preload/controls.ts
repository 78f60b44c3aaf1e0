/**
 * @module runtime/preload/controls: a pod's fault-library control directory (see native/faults/control.h for the
 * library's side):
 *
 *   gen          4096 bytes; uint32 little-endian slots [0] io, [1] dns, [2] clock: the generation of that
 *                kind's rules, 0 when there are none (the library passes every call straight through);
 *                slots [8] [9] [10]: the last generation each kind used, so that a generation is never reused
 *                (a process that parsed generation 3 and saw 0 since must not take a new set for its old one)
 *   <slot>.rules the rules of one kind, one per line, in the format of the kind's own C file
 *   hosts        the pod's dependencies by name (Kubernetes service names) → their loopback address
 *   dns.hits     counters the library adds to (one uint64 per DNS rule slot; src/runtime/effects/dns-fault.ts)
 *
 * Rules are replaced whole: written to a temporary file, renamed over the old ones, and only then is the slot's
 * generation moved, so a process reading them sees the old set or the new one, never a mix.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export type Slot = 'io' | 'dns' | 'clock'
const SLOTS: Record<Slot, number> = { io: 0, dns: 1, clock: 2 }
const GEN_BYTES = 4096

/** Creates a pod's control directory: no rules in any slot, and its hosts table. */
export function preparePodDir(dir: string, hosts: ReadonlyArray<{ address: string; names: readonly string[] }>): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  writeFileSync(join(dir, 'gen'), Buffer.alloc(GEN_BYTES))
  writeFileSync(join(dir, 'hosts'), hosts.map((h) => `${h.address} ${h.names.join(' ')}\n`).join(''))
  for (const slot of Object.keys(SLOTS)) rmSync(join(dir, `${slot}.rules`), { force: true })
}

/** Removes a pod's control directory (the pod is gone). */
export function removePodDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

const LAST = 8

function readSlot(fd: number, index: number): number {
  const b = Buffer.alloc(4)
  readSync(fd, b, 0, 4, index * 4)
  return b.readUInt32LE(0)
}

function writeSlot(fd: number, index: number, value: number): void {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(value, 0)
  writeSync(fd, b, 0, 4, index * 4) // one aligned 4-byte store: readers see the old value or the new
}

/**
 * Replaces the pod's rules of one kind (text, one rule per line; '' = none) and moves the slot's generation, so
 * that the pod's processes reload them at their next call. Throws when the directory is gone (the pod is).
 */
export function writeRules(dir: string, slot: Slot, text: string): void {
  const file = join(dir, `${slot}.rules`)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
  const fd = openSync(join(dir, 'gen'), 'r+')
  try {
    if (text === '') {
      writeSlot(fd, SLOTS[slot], 0)
    } else {
      const next = (readSlot(fd, LAST + SLOTS[slot]) % 0xffff_fffe) + 1
      writeSlot(fd, LAST + SLOTS[slot], next)
      writeSlot(fd, SLOTS[slot], next)
    }
  } finally {
    closeSync(fd)
  }
}

/** The pod's rules of one kind now ('' when none). */
export function readRules(dir: string, slot: Slot): string {
  try {
    return readFileSync(join(dir, `${slot}.rules`), 'utf8')
  } catch {
    return ''
  }
}

/** The generation the slot holds now (0: no rules). */
export function rulesGeneration(dir: string, slot: Slot): number {
  const fd = openSync(join(dir, 'gen'), 'r')
  try {
    return readSlot(fd, SLOTS[slot])
  } finally {
    closeSync(fd)
  }
}
