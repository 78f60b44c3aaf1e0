/** @module runtime/proxy/toxics/reset: connections end with a TCP reset instead of a clean close. */

import type { Socket } from 'node:net'

/**
 * Resets the given sockets (RST, not FIN): the peer's next read or write fails with ECONNRESET, as when a
 * middlebox or a crashed host kills the connection. Sockets already closed are skipped.
 */
export function resetSockets(...sockets: (Socket | undefined)[]): void {
  for (const s of sockets) {
    if (!s || s.destroyed) continue
    // After our FIN (shutdown) libuv cannot reset (EINVAL, and the socket would never emit 'close'): just close.
    if (s.writableEnded) {
      s.destroy()
      continue
    }
    try {
      s.resetAndDestroy()
    } catch {
      s.destroy()
    }
  }
}
