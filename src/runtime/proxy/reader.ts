/** @module runtime/proxy/reader: socket reads into one shared scratch buffer, without Node's readable-stream layer. */

import net from 'node:net'
import type { Socket } from 'node:net'

/**
 * Every proxied socket of this thread reads into this one buffer (Node's `onread` option); the callback copies
 * the bytes out at once, so no two sockets can ever see each other's data and every chunk handed on owns its
 * memory. Compared with `'data'` events this skips, per read, a 64 KiB allocation, the readable-stream
 * machinery and an event emit: the copy of the few bytes actually read is cheaper than all of them.
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024)

export type OnChunk = (chunk: Buffer) => void

/** The `onread` option for a socket that hands each read on as an owned Buffer. */
export function onread(onChunk: OnChunk): { buffer: Buffer; callback: (n: number) => boolean } {
  return {
    buffer: SCRATCH,
    // Returning false would stop reading; pausing is done with socket.pause() instead.
    callback: (n: number): boolean => {
      const b = Buffer.allocUnsafe(n)
      SCRATCH.copy(b, 0, 0, n)
      onChunk(b)
      return true
    },
  }
}

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
