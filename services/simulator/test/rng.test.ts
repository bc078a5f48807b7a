import { describe, expect, it } from 'vitest';
import { Rng, WeightedTable, logGamma, weightedChoice } from '../src/rng';

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const draws = (n: number, f: () => number) => Array.from({ length: n }, f);

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = draws(100, () => a.next());
    expect(draws(100, () => b.next())).toEqual(sa);
    expect(draws(100, () => c.next())).not.toEqual(sa);
    expect(new Rng('x').next()).toBe(new Rng('x').next());
  });

  it('draws uniform in [0, 1)', () => {
    const r = new Rng(1);
    const xs = draws(100_000, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    const r2 = new Rng(2);
    const ints = draws(10_000, () => r2.int(7));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });

  it('forks streams that depend on the seed and label only', () => {
    const a = new Rng(7);
    const f1 = a.fork('q1').next();
    a.next();
    a.next();
    expect(a.fork('q1').next()).toBe(f1);
    expect(a.fork('q2').next()).not.toBe(f1);
  });

  it('has the right moments for its distributions', () => {
    const r = new Rng(3);
    expect(mean(draws(100_000, () => r.exponential(30)))).toBeCloseTo(30, 0);
    const ns = draws(100_000, () => r.normal(5, 2));
    const m = mean(ns);
    expect(m).toBeCloseTo(5, 1);
    expect(Math.sqrt(mean(ns.map((x) => (x - m) ** 2)))).toBeCloseTo(2, 1);
    const ln = draws(50_001, () => r.lognormal(100, 0.6)).sort((x, y) => x - y);
    expect(ln[25_000]).toBeGreaterThan(97);
    expect(ln[25_000]).toBeLessThan(103);
    for (const lambda of [0.5, 4, 29, 30, 250, 10_000]) {
      const ps = draws(40_000, () => r.poisson(lambda));
      expect(ps.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
      expect(Math.abs(mean(ps) - lambda)).toBeLessThan(4 * Math.sqrt(lambda / 40_000) + 1e-9);
      const v = mean(ps.map((k) => (k - lambda) ** 2));
      expect(v / lambda).toBeGreaterThan(0.93);
      expect(v / lambda).toBeLessThan(1.07);
    }
    expect(r.poisson(0)).toBe(0);
  });

  it('computes log-gamma', () => {
    expect(logGamma(1)).toBeCloseTo(0, 10);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
  });

  it('picks by weight', () => {
    const r = new Rng(9);
    const t = new WeightedTable(['a', 'b', 'c'], [1, 0, 3]);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 40_000; i++) counts[t.pick(r) as 'a' | 'b' | 'c']++;
    expect(counts.b).toBe(0);
    expect(counts.c / counts.a).toBeGreaterThan(2.8);
    expect(counts.c / counts.a).toBeLessThan(3.2);
    expect(['x', 'y']).toContain(weightedChoice(r, ['x', 'y'], [1, 1]));
    expect(() => new WeightedTable(['a'], [0])).toThrow();
  });
});
