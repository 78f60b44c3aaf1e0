/**
 * @module runtime/preload/library: chaoscope's fault library, the LD_PRELOAD shim (native/faults/*.c, built to
 * dist/native/libchaoscope-faults.so by `npm run build`) that TimeChaos, IOChaos and DNSChaos act through. The runtime
 * starts every pod it runs with the library preloaded and a control directory of its own
 * (`$CHAOSCOPE_FAULT_DIR`); faults are rules the runtime writes there while the pod runs (./controls.ts).
 *
 * Whether a running container really loaded the library is read from its memory map (/proc/<pid>/maps), not
 * assumed: a statically linked program, or one that clears LD_PRELOAD, never loads it, and faults on it are
 * refused with that reason rather than reported as done.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readlinkSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../version.js'

export const FAULT_DIR_ENV = 'CHAOSCOPE_FAULT_DIR'
export const LIBRARY_FILE = join(PACKAGE_ROOT, 'dist', 'native', 'libchaoscope-faults.so')

export type LibraryState = { path: string } | { missing: string }

/** The built library, or why there is none (checked at each call: a build may land while the runtime runs). */
export function faultLibrary(file: string = LIBRARY_FILE): LibraryState {
  if (existsSync(file)) return { path: realpathSync(file) }
  return { missing: `the fault library ${file} is not built (it needs a C compiler: run \`bash scripts/setup.sh && npm run build\`)` }
}

/**
 * The pod environment that preloads the library: LD_PRELOAD (ours first, then any the pod's own env gives), the
 * control directory, libuv told not to use io_uring (Node's file calls then go through libc, where IOChaos acts),
 * and Go told to resolve names through libc when it can (GODEBUG netdns=cgo, unless the pod sets netdns itself).
 */
export function preloadEnv(library: string, dir: string, podEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const own = (podEnv.LD_PRELOAD ?? '').split(/[: ]+/).filter((p) => p !== '' && p !== library)
  // Go programs built with cgo resolve names through libc (where DNSChaos acts) only when told: netdns=cgo
  const godebug = podEnv.GODEBUG ?? ''
  const withCgo = /(^|,)netdns=/.test(godebug) ? godebug : godebug === '' ? 'netdns=cgo' : `${godebug},netdns=cgo`
  return { LD_PRELOAD: [library, ...own].join(':'), [FAULT_DIR_ENV]: dir, UV_USE_IO_URING: podEnv.UV_USE_IO_URING ?? '0', GODEBUG: withCgo }
}

/**
 * Whether the library is mapped in process `pid`: true; false when it never will be (a program without a dynamic
 * loader, or one whose libc is mapped without our library: it cleared LD_PRELOAD); undefined when that cannot be
 * told yet (the loader has not mapped its libraries: the program is still starting) or the process is gone.
 */
export function loadedIn(pid: number, library: string): boolean | undefined {
  let maps: string
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8')
  } catch {
    return undefined
  }
  if (maps.includes(library)) return true
  if (/\/libc[.-][^/\n]*\.so/.test(maps)) return false
  return dynamicallyLinked(`/proc/${pid}/exe`) === false ? false : undefined
}

/** Whether an ELF program asks for a dynamic loader (has a PT_INTERP header); undefined when it cannot be read. */
export function dynamicallyLinked(file: string): boolean | undefined {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const head = Buffer.alloc(64)
    if (readSync(fd, head, 0, 64, 0) < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return undefined // ELF64 only
    const le = head[5] === 1
    const phoff = Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32))
    const phentsize = le ? head.readUInt16LE(54) : head.readUInt16BE(54)
    const phnum = le ? head.readUInt16LE(56) : head.readUInt16BE(56)
    const table = Buffer.alloc(phentsize * phnum)
    if (readSync(fd, table, 0, table.length, phoff) < table.length) return undefined
    for (let i = 0; i < phnum; i++) {
      const type = le ? table.readUInt32LE(i * phentsize) : table.readUInt32BE(i * phentsize)
      if (type === 3) return true // PT_INTERP
    }
    return false
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** The executable process `pid` runs now (its /proc/<pid>/exe), or undefined. */
export function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`)
  } catch {
    return undefined
  }
}
