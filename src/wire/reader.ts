/** @module wire/reader: socket reads into one shared scratch buffer per thread, without Node's readable-stream layer. */

/**
 * Every socket of this thread that reads through `onread` reads into this one buffer (Node's `onread` option); the callback copies
 * the bytes out at once, so no two sockets can ever see each other's data and every chunk handed on owns its
 * memory. Compared with `'data'` events this skips, per read, a 64 KiB allocation, the readable-stream
 * machinery and an event emit: the copy of the few bytes actually read is cheaper than all of them.
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024)

/** Reads up to this size are copied through a view of SCRATCH made once per size (Node's pool takes them too). */
const SMALL = 4096
/** `VIEWS[n]`: SCRATCH's first n bytes, made the first time a read of n bytes arrives. */
const VIEWS: (Buffer | undefined)[] = new Array<Buffer | undefined>(SMALL + 1)

export type OnChunk = (chunk: Buffer) => void

/** The `onread` option for a socket that hands each read on as an owned Buffer. */
export function onread(onChunk: OnChunk): { buffer: Buffer; callback: (n: number) => boolean } {
  return {
    buffer: SCRATCH,
    // Returning false would stop reading; pausing is done with socket.pause() instead.
    callback: (n: number): boolean => {
      const b = Buffer.allocUnsafe(n)
      // `copy` would make a view of the source on every call; a small read reuses its size's view
      if (n <= SMALL) b.set((VIEWS[n] ??= SCRATCH.subarray(0, n)))
      else SCRATCH.copy(b, 0, 0, n)
      onChunk(b)
      return true
    },
  }
}
