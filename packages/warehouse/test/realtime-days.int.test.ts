import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ContactEvent } from '@switchboard/events';
import { generateEvents } from '@switchboard/simulator';
import { DEFAULT_LOOKBACK_H, RealtimeReader, migrate, openStore, type Store, StateWriter, readRealtime, type RealtimeDimension, type RealtimeGroup, type RealtimeQuery } from '../src';

/** The query GET /v1/realtime would make of these parameters (the query service parses them; these are all valid). */
function parseRealtimeQuery(raw: Record<string, unknown>, at: number): RealtimeQuery {
  const filters: RealtimeQuery['filters'] = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith('filter.')) filters[k.slice(7) as RealtimeDimension] = String(v).split(',').map((x) => (x === 'null' ? '' : x));
  }
  const gb = raw.group_by === undefined ? 'queue_id' : String(raw.group_by);
  return { at, lookbackH: raw.lookback_h === undefined ? DEFAULT_LOOKBACK_H : Number(raw.lookback_h), groupBy: gb.split(',').filter(Boolean) as RealtimeDimension[], filters };
}

// RealtimeReader reads only today's (UTC) rows per request and keeps what the earlier days of
// the lookback contribute in memory while their parts are unchanged. Here the state spans
// nine days, written out of order, with hand-made keys whose newest row is days old, replaced
// today, or moved to another queue today; every answer must equal the one-scan reader
// (itself checked against an independent replay in realtime.test.ts), before and after a late
// event lands in an earlier day and after the earlier days are merged.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const tenant = 'days';
const at = Date.parse('2026-11-20T15:00:00Z');

let dir: string;
let store: Store;
let writer: StateWriter;
let queries = 0;
let client: ClickHouseClient;

function hand(template: ContactEvent, o: Partial<ContactEvent> & Pick<ContactEvent, 'contact_id' | 'type' | 'occurred_at'>): ContactEvent {
  return { ...template, agent_id: null, agent_state: null, team_id: 'team-hand', queue_id: 'q-hand', ...o, tenant_id: tenant, event_id: `hand:${o.contact_id}:${o.type}:${o.occurred_at}` };
}

const sim = generateEvents({ seed: 'realtime-days', tenantId: tenant, start: at - 4 * DAY, durationMs: 4 * DAY, arrivalsPerHour: 50, queueCount: 4 })
  .filter((e) => e.occurred_at <= at);
const t = sim[0]!;
const handMade: ContactEvent[] = [
  // queued three days ago, nothing since: still waiting
  hand(t, { contact_id: 'h-wait', type: 'queued', occurred_at: at - 3 * DAY }),
  // a ticket opened five days ago and resolved today
  hand(t, { contact_id: 'h-res', type: 'contact_created', occurred_at: at - 5 * DAY }),
  hand(t, { contact_id: 'h-res', type: 'resolved', occurred_at: at - HOUR }),
  // opened, resolved two days ago, reopened today
  hand(t, { contact_id: 'h-reopen', type: 'contact_created', occurred_at: at - 3 * DAY }),
  hand(t, { contact_id: 'h-reopen', type: 'resolved', occurred_at: at - 2 * DAY }),
  hand(t, { contact_id: 'h-reopen', type: 'reopened', occurred_at: at - 2 * HOUR }),
  // queued two days ago in q-hand, transferred into q-other today
  hand(t, { contact_id: 'h-moved', type: 'queued', occurred_at: at - 2 * DAY }),
  hand(t, { contact_id: 'h-moved', type: 'queued', occurred_at: at - 30 * 60_000, queue_id: 'q-other' }),
  // an agent away since two days
  hand(t, { contact_id: 'h-agent-evt', type: 'agent_state_changed', occurred_at: at - 2 * DAY, agent_id: 'h-agent', agent_state: 'away' }),
  // a ticket opened nine days ago: outside the default 7-day lookback
  hand(t, { contact_id: 'h-old', type: 'contact_created', occurred_at: at - 9 * DAY }),
];

const shapes: Record<string, unknown>[] = [
  { group_by: 'queue_id' }, { group_by: '' }, { group_by: 'team_id,channel' }, { group_by: 'queue_id', lookback_h: '240' },
  { group_by: 'queue_id', lookback_h: '50' }, { group_by: 'channel', 'filter.queue_id': 'q-hand,null' }, { group_by: 'queue_id', 'filter.team_id': 'team-hand' },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-rt-days-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  // counts the reader's queries: a request served from memory reads two (parts, today)
  client = new Proxy(store.client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'query') return (...args: unknown[]) => { queries++; return (v as (...a: unknown[]) => unknown).apply(target, args); };
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  writer = new StateWriter(store.client);
  // six-hour batches, newest first: several parts per day, delivered out of order
  const all = [...sim, ...handMade];
  const batches = new Map<number, ContactEvent[]>();
  for (const e of all) {
    const b = Math.floor(e.occurred_at / (6 * HOUR));
    if (!batches.has(b)) batches.set(b, []);
    batches.get(b)!.push(e);
  }
  for (const [b, evs] of [...batches].sort(([a], [c]) => c - a)) await writer.write(evs, `days-${b}`);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function both(raw: Record<string, unknown>, reader: RealtimeReader): Promise<{ split: RealtimeGroup[]; scan: RealtimeGroup[] }> {
  const q = parseRealtimeQuery(raw, at);
  return { split: await reader.read(tenant, q), scan: await readRealtime(store.client, tenant, q) };
}

const group = (gs: RealtimeGroup[], queue: string) => gs.find((g) => g.group.queue_id === queue);

describe('RealtimeReader: today read per request, earlier days kept while their parts hold', () => {
  it('equals the one-scan reader for every shape, and the hand-made keys are where their newest row puts them', async () => {
    expect(sim.length).toBeGreaterThan(10_000);
    const reader = new RealtimeReader(client);
    for (const raw of shapes) {
      const { split, scan } = await both(raw, reader);
      expect(split, JSON.stringify(raw)).toEqual(scan);
    }
    const q = parseRealtimeQuery({ group_by: 'queue_id' }, at);
    const gs = await reader.read(tenant, q);
    const h = group(gs, 'q-hand')!;
    expect(h.contacts_in_queue).toBe(1); // h-wait; h-moved is in q-other now
    expect(h.longest_wait_ms).toBe(3 * DAY);
    expect(h.open_backlog).toBe(1); // h-reopen; h-res was resolved today, h-old is out of the lookback
    expect(h.oldest_open_ticket_age_ms).toBe(2 * HOUR);
    expect(h.agents.away).toBe(1);
    expect(group(gs, 'q-other')!.contacts_in_queue).toBe(1);
    const wide = await reader.read(tenant, parseRealtimeQuery({ group_by: 'queue_id', lookback_h: '240' }, at));
    expect(group(wide, 'q-hand')!.open_backlog).toBe(2);
    expect(group(wide, 'q-hand')!.oldest_open_ticket_age_ms).toBe(9 * DAY);
    // some of the simulated week is still live and comes from the earlier days
    const total = (await reader.read(tenant, parseRealtimeQuery({ group_by: '' }, at)))[0]!;
    expect(total.open_backlog).toBeGreaterThan(10);
  });

  it('serves the earlier days from memory until a late event lands in one of them, then reads them again', async () => {
    const reader = new RealtimeReader(client);
    const raw = { group_by: 'queue_id' };
    await reader.read(tenant, parseRealtimeQuery(raw, at));
    queries = 0;
    await reader.read(tenant, parseRealtimeQuery(raw, at));
    expect(queries).toBe(2);

    // h-wait was abandoned three days ago; the event arrives only now
    await writer.write([hand(t, { contact_id: 'h-wait', type: 'abandoned', occurred_at: at - 3 * DAY + 600_000 })], 'days-late-1');
    queries = 0;
    const { split, scan } = await both(raw, reader);
    expect(queries).toBe(3); // parts, today, and the earlier days again (the scan reads through store.client)
    expect(split).toEqual(scan);
    expect(group(split, 'q-hand')!.contacts_in_queue).toBe(0);
    expect(group(split, 'q-hand')!.longest_wait_ms).toBeNull();

    // merges change the parts, never the answer
    await store.client.command({ query: 'OPTIMIZE TABLE contact_state FINAL' });
    await store.client.command({ query: 'OPTIMIZE TABLE agent_state FINAL' });
    for (const r of shapes) {
      const x = await both(r, reader);
      expect(x.split, JSON.stringify(r)).toEqual(x.scan);
    }
  });

  it('reads only the keys of today\'s new parts, and reads again when a part lands between its listing and the tallies', async () => {
    const reader = new RealtimeReader(client);
    const raw = { group_by: 'queue_id' };
    await reader.read(tenant, parseRealtimeQuery(raw, at));
    // an earlier day's open ticket resolved today, in a part of its own
    await writer.write([hand(t, { contact_id: 'h-reopen', type: 'resolved', occurred_at: at - 20 * 60_000 })], 'days-today-1');
    queries = 0;
    let { split, scan } = await both(raw, reader);
    expect(queries).toBe(3); // parts, the new part's keys, today's tallies
    expect(split).toEqual(scan);
    expect(group(split, 'q-hand')!.open_backlog).toBe(0);

    // a write lands after the parts are listed and before the tallies are read: the tallies
    // come (partly) from a part that was not listed, and the reader lists the parts again
    let armed = false;
    let raced = false;
    const racing = new Proxy(client, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'query') return v;
        return async (p: { query: string }) => {
          if (armed && !raced && p.query.includes('groupUniqArray(part)')) {
            raced = true;
            // the agent away since two days is back: its first row today, in a part not listed
            await writer.write([hand(t, { contact_id: 'h-agent-back', type: 'agent_state_changed', occurred_at: at - 60_000, agent_id: 'h-agent', agent_state: 'available' })], 'days-today-race');
          }
          return (v as (x: unknown) => unknown).call(target, p);
        };
      },
    });
    const racer = new RealtimeReader(racing);
    await racer.read(tenant, parseRealtimeQuery(raw, at - 1000)); // a first read, before the race
    armed = true;
    queries = 0;
    const q = parseRealtimeQuery(raw, at);
    split = await racer.read(tenant, q);
    scan = await readRealtime(store.client, tenant, q);
    expect(raced).toBe(true);
    expect(queries).toBe(5); // parts, tallies (raced), parts again, the new part's keys, tallies
    expect(split).toEqual(scan);
    expect(group(split, 'q-hand')!.agents).toMatchObject({ away: 0, available: 1 });

    // a part lands before every tallies read: after 3 tries, one scan with the keys
    let n = 0;
    const storm = new Proxy(client, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'query') return v;
        return async (p: { query: string }) => {
          if (p.query.includes('groupUniqArray(part)')) {
            n++;
            await writer.write([hand(t, { contact_id: `h-storm-${n}`, type: 'queued', occurred_at: at - n * 1000 })], `days-storm-${n}`);
          }
          return (v as (x: unknown) => unknown).call(target, p);
        };
      },
    });
    const stormy = await new RealtimeReader(storm).read(tenant, q);
    expect(n).toBe(3);
    expect(stormy).toEqual(await readRealtime(store.client, tenant, q));
    expect(group(stormy, 'q-hand')!.contacts_in_queue).toBe(3);
  });

  it('a lookback that starts today is one scan of today', async () => {
    const reader = new RealtimeReader(client);
    const early = at - 14 * HOUR; // 01:00 UTC: a 1-hour lookback starts today
    const q = parseRealtimeQuery({ group_by: 'queue_id', lookback_h: '1' }, early);
    queries = 0;
    const split = await reader.read(tenant, q);
    expect(queries).toBe(1);
    expect(split).toEqual(await readRealtime(store.client, tenant, q));
  });
});
