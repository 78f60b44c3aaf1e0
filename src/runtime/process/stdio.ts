/**
 * @module runtime/process/stdio: a pod's stdout and stderr as real pipes (FIFOs), as containerd gives containers.
 * Node's `stdio: 'pipe'` hands a child Unix socketpairs, and a program that opens `/dev/stderr` (nginx's
 * `error_log /dev/stderr`, the usual container habit) then fails with ENXIO: a socket cannot be reopened by path, a
 * FIFO can. Each FIFO is unlinked as soon as both its ends are open, so nothing is left on disk; it is writable by
 * any user because a pod may run as another one (only processes holding it can reach it once unlinked).
 */
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PodStdio {
  /** What the pod writes to its stdout and stderr, to read. */
  readonly stdout: Socket
  readonly stderr: Socket
  /** The write ends, for the child's stdio[1] and stdio[2]. */
  readonly childFds: readonly [number, number]
  /** Closes the parent's copies of the write ends (after the spawn): the readers end when the pod's processes do. */
  closeChildEnds(): void
  /** Closes everything (the spawn failed). */
  destroy(): void
}

/** Makes the two FIFOs and opens them. Throws when mkfifo or open fails (the pod cannot start). */
export function openPodStdio(): PodStdio {
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-stdio-'))
  const fds: number[] = []
  try {
    const paths = [join(dir, 'stdout'), join(dir, 'stderr')]
    execFileSync('mkfifo', ['-m', '0622', ...paths], { stdio: 'ignore' })
    // the read end first, non-blocking (a blocking open would wait for a writer), then the write end
    const ends = paths.map((p) => {
      const r = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK)
      fds.push(r)
      const w = openSync(p, constants.O_WRONLY)
      fds.push(w)
      return { r, w }
    })
    const [out, err] = ends as [{ r: number; w: number }, { r: number; w: number }]
    let childOpen = true
    const closeChildEnds = (): void => {
      if (!childOpen) return
      childOpen = false
      closeSync(out.w)
      closeSync(err.w)
    }
    const stdout = new Socket({ fd: out.r, readable: true, writable: false })
    const stderr = new Socket({ fd: err.r, readable: true, writable: false })
    return {
      stdout,
      stderr,
      childFds: [out.w, err.w],
      closeChildEnds,
      destroy() {
        closeChildEnds()
        stdout.destroy()
        stderr.destroy()
      },
    }
  } catch (e) {
    for (const fd of fds) closeSync(fd)
    throw e
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
