/** @module runtime/proxy/reader: accepted sockets re-wrapped to read through `onread` (wire/reader). */

import net from 'node:net'
import type { Socket } from 'node:net'
import { onread } from '../../wire/reader.js'
import type { OnChunk } from '../../wire/reader.js'

interface HandleOwner {
  _handle: { useUserBuffer?: unknown } | null
}

/**
 * Re-wraps a socket accepted by a `pauseOnConnect` server so that its reads use `onread` (which a server
 * cannot set for the sockets it accepts). The accepted socket gives up its handle and is destroyed (the
 * server's connection count goes down with it), and a new Socket owns the same handle: same fd, same
 * options, nothing read yet. If this Node's sockets do not look as expected, the accepted socket is kept
 * and read through `'data'` events instead: slower, same behaviour.
 */
export function adopt(accepted: Socket, onChunk: OnChunk): Socket {
  const owner = accepted as unknown as HandleOwner
  const handle = owner._handle
  if (!handle || typeof handle.useUserBuffer !== 'function' || accepted.destroyed) {
    accepted.on('data', onChunk)
    accepted.resume()
    return accepted
  }
  owner._handle = null
  accepted.destroy()
  // `handle` and `onread` are constructor options the typings leave out (Node itself wraps accepted handles so).
  const opts = { handle, allowHalfOpen: true, onread: onread(onChunk) }
  return new net.Socket(opts as unknown as net.SocketConstructorOpts)
}
