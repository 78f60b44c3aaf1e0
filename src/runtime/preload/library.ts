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
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
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
 * control directory, and libuv told not to use io_uring (Node's file calls then go through libc, where IOChaos acts).
 */
export function preloadEnv(library: string, dir: string, podEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const own = (podEnv.LD_PRELOAD ?? '').split(/[: ]+/).filter((p) => p !== '' && p !== library)
  return { LD_PRELOAD: [library, ...own].join(':'), [FAULT_DIR_ENV]: dir, UV_USE_IO_URING: podEnv.UV_USE_IO_URING ?? '0' }
}

/** Whether the library is mapped in process `pid` now; undefined when the process is gone or cannot be read. */
export function loadedIn(pid: number, library: string): boolean | undefined {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').includes(library)
  } catch {
    return undefined
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
