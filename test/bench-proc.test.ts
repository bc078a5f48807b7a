import { describe, expect, it } from 'vitest';
import { histogramQuantile } from '../bench/proc';

// `npm run bench` prints the write time's p50 and p99 from the node's histogram between two
// scrapes (docs/benchmarks.md): a quantile read from the wrong side of a bucket, or from the
// totals since start instead of the run's, would misstate what freshness is made of.
const scrape = (counts: Record<string, number>) =>
  new Map(Object.entries(counts).map(([le, n]) => [`w_bucket{le="${le}"}`, n] as [string, number]));

describe('histogramQuantile', () => {
  it("takes the bucket the run's observations reach the quantile in", () => {
    const before = scrape({ '0.1': 5, '0.5': 5, '1': 5, '+Inf': 5 });
    // the run: 10 writes ≤ 0.1 s, 80 in (0.1, 0.5], 9 in (0.5, 1], 1 beyond
    const after = scrape({ '0.1': 15, '0.5': 95, '1': 104, '+Inf': 105 });
    expect(histogramQuantile(before, after, 'w', 0.5)).toBe(0.5);
    expect(histogramQuantile(before, after, 'w', 0.1)).toBe(0.1);
    expect(histogramQuantile(before, after, 'w', 0.99)).toBe(1);
    expect(histogramQuantile(before, after, 'w', 1)).toBe(Infinity);
  });

  it("counts only the run's observations, not those before it", () => {
    const before = scrape({ '0.1': 50, '0.5': 50, '1': 50, '+Inf': 50 });
    const after = scrape({ '0.1': 50, '0.5': 50, '1': 60, '+Inf': 60 });
    expect(histogramQuantile(before, after, 'w', 0.5)).toBe(1);
  });

  it('is NaN when the run observed nothing, and reads buckets in order of their bound', () => {
    const same = scrape({ '0.1': 3, '+Inf': 3 });
    expect(histogramQuantile(same, same, 'w', 0.5)).toBeNaN();
    const shuffled = new Map([['w_bucket{le="+Inf"}', 4], ['w_bucket{le="2.5"}', 4], ['w_bucket{le="0.25"}', 1]]);
    expect(histogramQuantile(new Map(), shuffled, 'w', 0.5)).toBe(2.5);
  });
});
