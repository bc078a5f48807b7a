// Seeded randomness for the simulator. Everything random in a run flows from one seed
// through these streams, so a run is reproducible bit for bit; Math.random is never used.

/** Mixes a 32-bit value (murmur3 finalizer); used to derive well-spread seeds. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the string, then mixed: a stable 32-bit hash for seeds and labels. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export function seedToUint32(seed: number | string): number {
  if (typeof seed === 'string') return hashString(seed);
  // Non-integer or huge numbers would otherwise collapse to the same 32 bits.
  return Number.isSafeInteger(seed) ? fmix32((seed >>> 0) ^ fmix32(Math.floor(seed / 4294967296) >>> 0)) : hashString(String(seed));
}

const INV_2_32 = 1 / 4294967296;

/**
 * mulberry32: tiny, fast and good enough for simulation (passes gjrand/PractRand to
 * a few GB); not for cryptography.
 */
export class Rng {
  private state: number;
  private readonly origin: number;
  /** the second Box–Muller variate, kept for the next normal() call */
  private spare = NaN;

  constructor(seed: number | string) {
    this.state = this.origin = seedToUint32(seed);
  }

  /**
   * An independent stream named by label. Derived from the seed, not the current state,
   * so a stream doesn't shift when some other stream draws more or less.
   */
  fork(label: string | number): Rng {
    return new Rng(fmix32(this.origin ^ hashString(String(label))) ^ 0x9e3779b9);
  }

  /** uniform in [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) * INV_2_32;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.next());
  }

  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return mean + sd * z;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** lognormal given its median (= e^mu) and sigma of the underlying normal */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 30) {
      // Knuth: fine while e^-lambda is far from underflow and the loop is short.
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      return k;
    }
    return this.poissonPtrs(lambda);
  }

  /** Hörmann's PTRS transformed rejection: O(1) expected draws for large lambda. */
  private poissonPtrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.next() - 0.5;
      const v = this.next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logGamma(k + 1)) return k;
    }
  }
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let s = LANCZOS[0] as number;
  for (let i = 1; i < 9; i++) s += (LANCZOS[i] as number) / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Cumulative weights for repeated weighted picks (binary search instead of a linear scan). */
export class WeightedTable<T> {
  readonly items: readonly T[];
  private readonly cum: Float64Array;
  private readonly total: number;

  constructor(items: readonly T[], weights: readonly number[]) {
    if (items.length === 0 || items.length !== weights.length) throw new RangeError('weighted table needs one weight per item');
    this.items = items;
    this.cum = new Float64Array(items.length);
    let acc = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] as number;
      if (!(w >= 0)) throw new RangeError(`weight ${i} must be ≥ 0`);
      acc += w;
      this.cum[i] = acc;
    }
    if (!(acc > 0)) throw new RangeError('weights sum to 0');
    this.total = acc;
  }

  pickIndex(rng: Rng): number {
    return this.indexAt(rng.next());
  }

  /** the index a uniform draw u ∈ [0, 1) selects */
  indexAt(u: number): number {
    const x = u * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cum[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  pick(rng: Rng): T {
    return this.items[this.pickIndex(rng)] as T;
  }
}

export function weightedChoice<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  return new WeightedTable(items, weights).pick(rng);
}
