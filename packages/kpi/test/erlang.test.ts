import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentsRequired, agentsScheduled, erlangC, erlangServiceLevel } from '../src/erlang';

/** The textbook Erlang C with powers and factorials: fine for small n, the check of the recurrence. */
function erlangCTextbook(n: number, a: number): number {
  let fact = 1;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0) fact *= k;
    sum += a ** k / fact;
  }
  const top = (a ** n / (fact * n)) * (n / (n - a));
  return top / (sum + top);
}

describe('Erlang C', () => {
  it('gives the reference case: 100 contacts in 30 min, 180 s handle time, 80 % in 20 s, occupancy ≤ 0.85 → 14 agents (SL 88.8 %); 30 % shrinkage → 20', () => {
    const r = agentsRequired({ offered: 100, intervalMs: 30 * 60_000, handleMs: 180_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 })!;
    expect(r.load).toBeCloseTo(10, 12);
    expect(r.agents).toBe(14);
    expect(r.serviceLevel).toBeCloseTo(0.888, 3);
    expect(erlangServiceLevel(13, 10, 20, 180)).toBeLessThan(0.8); // 13 would miss it
    expect(agentsScheduled(r.agents, 0.3)).toBe(20);
  });

  it('equals the textbook formula wherever that can be computed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.01, max: 0.999, noNaN: true }), (n, u) => {
      const a = n * u; // a load the n agents can carry
      expect(erlangC(n, a)).toBeCloseTo(erlangCTextbook(n, a), 10);
    }), { numRuns: 300, seed: 42 });
  });

  it('stays finite and sensible for thousands of agents, where factorials overflow', () => {
    expect(erlangCTextbook(200, 190)).toBeNaN(); // 200! is Infinity: the naive formula gives up
    const c = erlangC(5000, 4900);
    expect(Number.isFinite(c) && c > 0 && c < 1).toBe(true);
    const big = agentsRequired({ offered: 100_000, intervalMs: 15 * 60_000, handleMs: 300_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.95 })!;
    expect(big.load).toBeCloseTo(33_333.33, 1);
    expect(big.agents).toBe(Math.ceil(big.load / 0.95)); // at this size the occupancy cap binds
    expect(erlangServiceLevel(big.agents, big.load, 20, 300)).toBeGreaterThanOrEqual(0.8);
  });

  it('is the smallest agent count meeting both the target and the occupancy cap', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 10, max: 1200 }), fc.constantFrom(10, 20, 30, 60), fc.constantFrom(0.7, 0.8, 0.9), fc.constantFrom(0.8, 0.85, 0.9),
      (offered, handleS, t, target, occ) => {
        const r = agentsRequired({ offered, intervalMs: 15 * 60_000, handleMs: handleS * 1000, slThresholdS: t, slTarget: target, maxOccupancy: occ })!;
        expect(r.serviceLevel).toBeGreaterThanOrEqual(target);
        expect(r.occupancy).toBeLessThanOrEqual(occ + 1e-12);
        const fewer = r.agents - 1;
        const fewerOk = fewer > r.load && r.load / fewer <= occ + 1e-12 && erlangServiceLevel(fewer, r.load, t, handleS) >= target;
        expect(fewerOk).toBe(false);
      },
    ), { numRuns: 200, seed: 7 });
  });

  it('needs no one without contacts, and cannot say without a handle time', () => {
    expect(agentsRequired({ offered: 0, intervalMs: 900_000, handleMs: 0, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 })).toMatchObject({ agents: 0, load: 0 });
    expect(agentsRequired({ offered: 5, intervalMs: 900_000, handleMs: 0, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 })).toBeNull();
    expect(agentsScheduled(0, 0.3)).toBe(0);
    expect(agentsScheduled(14, 0)).toBe(14);
  });
});
