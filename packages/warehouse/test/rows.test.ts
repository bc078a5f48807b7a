import { describe, expect, it } from 'vitest';
import { ContactEventCodec, makeEvent, type ContactEventInit } from '@switchboard/events';
import { aggregateMinuteRows, toInsertRow } from '../src';

const T = Date.parse('2026-11-22T10:00:30Z');
let n = 0;
const ev = (type: ContactEventInit['type'], extra: Partial<ContactEventInit> = {}) =>
  makeEvent({ event_id: `e${n++}`, tenant_id: 't', contact_id: 'c', type, occurred_at: T, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q', ...extra });

describe('aggregateMinuteRows', () => {
  it('folds events into one row per tenant, minute and dimensions', () => {
    const rows = aggregateMinuteRows([
      ev('queued'), ev('queued'), ev('answered', { wait_ms: 1500, agent_id: 'a1' }),
      ev('queued', { occurred_at: T + 60_000 }), ev('queued', { queue_id: 'other' }), ev('queued', { tenant_id: 'u' }),
    ]);
    expect(rows).toHaveLength(5);
    const main = rows.find((r) => r.tenant_id === 't' && r.dims.queue_id === 'q' && r.dims.agent_id === '' && r.bucket === Date.parse('2026-11-22T10:00:00Z'))!;
    expect(main.measures.queued).toBe(2);
    const answered = rows.find((r) => r.dims.agent_id === 'a1')!;
    expect(answered.measures.answered).toBe(1);
    expect([...answered.measures.answered_wait_ceil_s]).toEqual([[2, 1]]);
  });

  it('writes the insert shape of kpi_agg_1m', () => {
    const [row] = aggregateMinuteRows([ev('abandoned', { wait_ms: 4200 })]);
    const r = toInsertRow(row!);
    expect(r).toMatchObject({ tenant_id: 't', bucket: Date.parse('2026-11-22T10:00:00Z') / 1000, queue_id: 'q', team_id: '', abandoned_all: 1, abandoned_wait_ceil_s: { 5: 1 }, abandoned_wait_floor_s: { 4: 1 } });
  });
});
