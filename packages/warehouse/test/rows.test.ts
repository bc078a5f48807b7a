import { describe, expect, it } from 'vitest';
import { ContactEventCodec, makeEvent, type ContactEventInit } from '@switchboard/events';
import { emptyMeasures } from '@switchboard/kpi';
import { aggregateMinuteRows, toInsertRow, wideMeasures } from '../src';

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
    expect(wideMeasures(main).queued).toBe(2);
    const answered = wideMeasures(rows.find((r) => r.dims.agent_id === 'a1')!);
    expect(answered.answered).toBe(1);
    expect([...answered.answered_wait_ceil_s]).toEqual([[2, 1]]);
  });

  it('writes the insert shape of kpi_agg_1m', () => {
    const [row] = aggregateMinuteRows([ev('abandoned', { wait_ms: 4200 })]);
    const r = toInsertRow(row!);
    expect(r).toMatchObject({ tenant_id: 't', bucket: Date.parse('2026-11-22T10:00:00Z') / 1000, queue_id: 'q', team_id: '', abandoned_all: 1, abandoned_wait_ceil_s: { 5: 1 }, abandoned_wait_floor_s: { 4: 1 } });
  });

  it('keeps a row of agent state time alone narrow, and widens it when another event lands in it', () => {
    const state = (at: number, agent: string) => ev('agent_state_changed', { occurred_at: at, agent_id: agent, team_id: 'blue', agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 90_000 });
    const rows = aggregateMinuteRows([state(T, 'a1'), ev('answered', { agent_id: 'a1', team_id: 'blue', wait_ms: 1000, occurred_at: T - 60_000 }), state(T, 'a2')]);
    // a1: 10:00 (own minute, 30 s) and 09:59 (60 s), then the answer lands in 09:59; a2: the same two minutes
    expect(rows.map((r) => [r.dims.agent_id, new Date(r.bucket).toISOString().slice(11, 16), r.stateOnly])).toEqual([
      ['a1', '10:00', true], ['a1', '09:59', false], ['a2', '10:00', true], ['a2', '09:59', true],
    ]);
    // a narrow row holds the four state measures and nothing else; its staffed time is its team's
    expect(Object.keys(rows[0]!.measures).sort()).toEqual(['state_acw_ms', 'state_available_ms', 'state_away_ms', 'state_busy_ms']);
    expect([...wideMeasures(rows[0]!).staffed_ms_by_team]).toEqual([['blue', 30_000]]);
    expect(rows[0]!.measures.state_available_ms).toBe(30_000);
    // the widened row kept the state time booked before the answer, and took the answer
    const widened = wideMeasures(rows[1]!);
    expect({ available: widened.state_available_ms, staffed: [...widened.staffed_ms_by_team], answered: widened.answered }).toEqual({ available: 60_000, staffed: [['blue', 60_000]], answered: 1 });
    // widening a narrow row gives every measure, the others empty
    expect({ ...wideMeasures(rows[2]!), state_available_ms: 0, staffed_ms_by_team: new Map() }).toEqual(emptyMeasures());
    expect([...wideMeasures(rows[2]!).staffed_ms_by_team]).toEqual([['blue', 30_000]]);
  });
});
