/** @module runtime/proxy/toxics/slicer: each chunk cut into small pieces written apart (Toxiproxy's slicer). */

import type { SlicerFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/**
 * The piece boundaries for `size` bytes, as Toxiproxy's slicer draws them: a run longer than
 * `average + variation` is split at its middle moved by a uniform whole number in [−variation, variation),
 * and each half is split the same way. Every piece is 1 to `average + variation` bytes; the split point is
 * kept inside the run, so a variation as large as the average cannot make an empty piece. Returns the ends.
 */
export function sliceEnds(size: number, average: number, variation: number, rnd: () => number = Math.random): number[] {
  const ends: number[] = []
  const cut = (start: number, end: number): void => {
    if (end - start - average <= variation) {
      ends.push(end)
      return
    }
    let mid = start + Math.floor((end - start) / 2)
    if (variation > 0) mid += Math.floor(rnd() * variation * 2) - variation
    mid = Math.min(end - 1, Math.max(start + 1, mid))
    cut(start, mid)
    cut(mid, end)
  }
  if (size > 0) cut(0, size)
  return ends
}

/**
 * Pieces leave `delayUs` apart: a piece is due when it arrives or `delayUs` after the piece before it left,
 * whichever is later (Toxiproxy waits the delay after each piece, the last one too). Pieces are written one by
 * one, never gathered into one write, so the peer can see them as separate segments.
 */
export class SlicerStage extends Stage {
  private nextFree = 0
  private readonly gapMs: number

  constructor(private readonly f: SlicerFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
    this.gapMs = (f.delayUs ?? 0) / 1000
    this.batchRelease = false
  }

  override write(chunk: Chunk): void {
    if (this.draining || chunk.end || chunk.data.length <= this.f.averageSize + (this.f.sizeVariation ?? 0)) {
      return super.write(chunk)
    }
    const ends = sliceEnds(chunk.data.length, this.f.averageSize, this.f.sizeVariation ?? 0)
    let start = 0
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!
      const last = i === ends.length - 1
      super.write({ ...chunk, data: chunk.data.subarray(start, end), done: last ? chunk.done : undefined })
      start = end
    }
  }

  protected dueFor(chunk: Chunk, t: number, lastDue: number): number {
    if (!this.selects(chunk)) return lastDue
    const due = Math.max(t, this.nextFree, lastDue)
    this.nextFree = due + this.gapMs
    return due
  }
}
