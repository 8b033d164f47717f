// A seeded pseudo-random source (mulberry32): the sample history, the tests
// and the end-to-end specs make the same bytes on every run from one seed,
// so a failure reproduces. Not for anything secret.

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
