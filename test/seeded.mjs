// mulberry32: a small seeded random generator, so that fuzz cases, kill points and benchmark loads are the same on
// every run. Shared by tests (TypeScript, through seeded.d.mts) and by the .mjs fuzz worker and benchmarks.

/** @param {number} seed @returns {() => number} a generator of numbers in [0, 1) */
export function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
