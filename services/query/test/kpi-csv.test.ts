import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { kpiCsv } from '../src/kpi-csv';

describe('format=csv', () => {
  const series = [
    { group: { queue_id: 'billing', channel: null }, points: [
      { ts: '2026-11-22T00:00:00.000Z', offered: 12, service_level: 0.75, top_topics: [{ topic: 'refund', created: 3, share: 0.5, previous: 1, change: 2 }] },
      { ts: '2026-11-22T00:15:00.000Z', offered: 0, service_level: null, top_topics: [] },
    ] },
    { group: { queue_id: '=HYPERLINK("http://evil","x")', channel: 'chat, web' }, points: [
      { ts: '2026-11-22T00:00:00.000Z', offered: -1, service_level: 1, top_topics: [] },
    ] },
  ];
  const text = kpiCsv(series, ['offered', 'service_level', 'top_topics'], ['queue_id', 'channel']);

  it('writes a header and one row per group and window, CRLF, read back by an independent CSV parser', () => {
    expect(text.split('\r\n')[0]).toBe('window_start,queue_id,channel,offered,service_level,top_topics');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ window_start: '2026-11-22T00:00:00.000Z', queue_id: 'billing', channel: '', offered: '12', service_level: '0.75' });
    expect(JSON.parse(rows[0]!.top_topics!)).toEqual(series[0]!.points[0]!.top_topics);
    // null (no value, or no dimension) is an empty cell
    expect(rows[1]).toMatchObject({ offered: '0', service_level: '' });
    expect(rows[2]!.channel).toBe('chat, web');
  });

  it('keeps text a spreadsheet would run as a formula as text, and numbers as numbers', () => {
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows[2]!.queue_id).toBe('\'=HYPERLINK("http://evil","x")');
    expect(rows[2]!.offered).toBe('-1');
  });
});
