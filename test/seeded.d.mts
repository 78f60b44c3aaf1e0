/** A seeded generator of numbers in [0, 1) (mulberry32). */
export declare function seeded(seed: number): () => number
