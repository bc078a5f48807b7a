import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentsRequired, agentsRequiredErlangA, agentsScheduled, erlangAServiceLevel, erlangB, erlangC, erlangServiceLevel } from '../src/erlang';

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

/**
 * M/M/n+M simulated, first come first served: the share of arrivals answered within T (a
 * customer whose wait would exceed their patience hangs up and takes no agent). Seeded, so
 * the same every run; the check of Erlang A's closed form by an independent route.
 */
function simulateErlangA(n: number, a: number, thresholdS: number, handleS: number, patienceS: number, customers: number): number {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const exp = (mean: number) => -Math.log(1 - rnd()) * mean;
  const free = new Array<number>(n).fill(0);
  let t = 0;
  let within = 0;
  for (let i = 0; i < customers; i++) {
    t += exp(handleS / a);
    const patience = exp(patienceS);
    let k = 0;
    for (let j = 1; j < n; j++) if (free[j]! < free[k]!) k = j;
    const start = Math.max(t, free[k]!);
    if (start - t > patience) continue;
    if (start - t <= thresholdS) within++;
    free[k] = start + exp(handleS);
  }
  return within / customers;
}

describe('Erlang A', () => {
  it('tends to Erlang C as patience grows without bound', () => {
    for (const [n, a] of [[14, 10], [3, 2], [120, 110], [5000, 4900]] as const) {
      const c = erlangServiceLevel(n, a, 20, 180);
      let gap = Infinity;
      for (const patienceS of [1e3, 1e5, 1e7, 1e9]) {
        const d = Math.abs(erlangAServiceLevel(n, a, 20, 180, patienceS) - c);
        expect(d, `n=${n} a=${a} patience ${patienceS}s`).toBeLessThanOrEqual(gap + 1e-12);
        gap = d;
      }
      expect(gap).toBeLessThan(1e-6);
      expect(erlangAServiceLevel(n, a, 20, 180, Infinity)).toBe(c);
    }
    // the requirement too: the reference case with nobody hanging up is Erlang C's 14
    const i = { offered: 100, intervalMs: 30 * 60_000, handleMs: 180_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 };
    expect(agentsRequiredErlangA({ ...i, patienceMs: 1e12 })!.agents).toBe(14);
    expect(agentsRequiredErlangA(i)).toEqual(agentsRequired(i));
  });

  it('equals a simulation of the queue with impatient customers', () => {
    for (const [n, a, t, h, p] of [[3, 2, 10, 20, 40], [14, 10, 20, 180, 60], [5, 4.5, 5, 25, 12]] as const) {
      expect(erlangAServiceLevel(n, a, t, h, p)).toBeCloseTo(simulateErlangA(n, a, t, h, p, 1_000_000), 2);
    }
  });

  it('needs fewer agents when customers hang up (they take no agent time), and stays finite for thousands of agents', () => {
    const i = { offered: 100, intervalMs: 30 * 60_000, handleMs: 180_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 };
    // patience of a minute: 12 agents answer 86.0 % within 20 s (Erlang C needs 14); 12 is also the occupancy floor (10 ÷ 11 > 0.85)
    const r = agentsRequiredErlangA({ ...i, patienceMs: 60_000 })!;
    expect(r.agents).toBe(12);
    expect(r.serviceLevel).toBeCloseTo(0.860, 3);
    const big = agentsRequiredErlangA({ offered: 100_000, intervalMs: 15 * 60_000, handleMs: 300_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.99, patienceMs: 90_000 })!;
    expect(Number.isFinite(big.serviceLevel) && big.serviceLevel >= 0.8 && big.serviceLevel <= 1).toBe(true);
    expect(big.agents).toBeGreaterThan(big.load);
    expect(big.agents).toBeLessThanOrEqual(agentsRequired({ offered: 100_000, intervalMs: 15 * 60_000, handleMs: 300_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.99 })!.agents);
    expect(agentsRequiredErlangA({ ...i, offered: 0, patienceMs: 60_000 })).toMatchObject({ agents: 0 });
    expect(agentsRequiredErlangA({ ...i, handleMs: 0, patienceMs: 60_000 })).toBeNull();
  });
});

describe('Erlang C against closed forms and the worked example', () => {
  it('one agent waits with probability a, two with a² ÷ (2 + a)', () => {
    for (const a of [0.1, 0.5, 0.9]) expect(erlangC(1, a)).toBeCloseTo(a, 14);
    for (const a of [0.5, 1, 1.9]) expect(erlangC(2, a)).toBeCloseTo((a * a) / (2 + a), 14);
  });

  it('gives the service levels of the worked example in docs/staffing.md for 12, 13 and 14 agents at 10 Erlangs', () => {
    // 100 contacts in 30 minutes at 180 s: the figures WFM calculators print for this case
    expect(erlangServiceLevel(12, 10, 20, 180)).toBeCloseTo(0.640, 3);
    expect(erlangServiceLevel(13, 10, 20, 180)).toBeCloseTo(0.796, 3);
    expect(erlangServiceLevel(14, 10, 20, 180)).toBeCloseTo(0.888, 3);
  });
});

describe('against a published table', () => {
  // The Erlang B table at a 1 % grade of service, as teletraffic handbooks print it (offered
  // traffic in Erlangs that n circuits carry with 1 % of calls blocked, to two decimals): the
  // recurrence Erlang C is computed from must land on 1 % at each tabulated load.
  const ONE_PERCENT: [number, number][] = [[5, 1.36], [10, 4.46], [18, 10.44], [20, 12.03], [30, 20.34], [50, 37.9], [100, 84.06]];
  it.each(ONE_PERCENT)('Erlang B: %i circuits carry the tabulated load at 1 % blocking', (n, a) => {
    expect(erlangB(n, a)).toBeGreaterThan(0.0099);
    expect(erlangB(n, a)).toBeLessThan(0.0101);
  });
  it('Erlang C follows from Erlang B: C = n·B ÷ (n − A·(1 − B)) at the tabulated loads', () => {
    for (const [n, a] of ONE_PERCENT) {
      const b = erlangB(n, a);
      expect(erlangC(n, a)).toBeCloseTo((n * b) / (n - a * (1 - b)), 12);
    }
  });
});
