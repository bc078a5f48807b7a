import type { ClickHouseClient } from '@clickhouse/client';
import { filterConditions } from './filter-sql';
import type { RealtimeDimension, RealtimeQuery } from './realtime-params';

export const AGENT_STATES = ['available', 'busy', 'after_call_work', 'away', 'offline'] as const;
type AgentStateName = (typeof AGENT_STATES)[number];

/** One group of a /v1/realtime answer. Durations in ms; null when there is nothing to measure. */
export interface RealtimeGroup {
  group: Partial<Record<RealtimeDimension, string | null>>;
  /** contacts whose latest queue event is `queued` */
  contacts_in_queue: number;
  /** now − queued time of the longest-waiting of them */
  longest_wait_ms: number | null;
  /** contacts answered and not yet ended */
  contacts_in_service: number;
  /** agents by their latest agent_state_changed */
  agents: Record<AgentStateName, number>;
  /** every state but offline */
  agents_logged_in: number;
  /** tickets created (or reopened) and not resolved */
  open_backlog: number;
  /** now − the time the oldest of them was created (or last reopened) */
  oldest_open_ticket_age_ms: number | null;
}

interface Row {
  src: 'queue' | 'ticket' | 'agent';
  state: string;
  n: string | number;
  oldest: string | number;
  [dim: string]: unknown;
}

/**
 * The latest state of every contact (queue flow and ticket) and agent that changed within the
 * lookback, counted per group; waits and ages measured to `q.at` (now). Rows are filtered to
 * the lookback before the newest row per key is taken (exact: a key's newest row is in it iff the key changed in
 * it), the dimension filters after it (a contact moved to another queue belongs to the new one
 * only). There is no upper time bound: an event stamped slightly ahead of this clock (the
 * aggregator accepts 5 minutes of skew) is still the latest state; its wait counts from 0.
 * The store keeps only the newest state per key, so the state of a past moment cannot be read.
 * Identifiers come from allow-lists; every value is a bound parameter.
 */
export async function readRealtime(client: ClickHouseClient, tenant: string, q: RealtimeQuery): Promise<RealtimeGroup[]> {
  const params: Record<string, unknown> = { tenant, from: q.at - q.lookbackH * 3_600_000 };
  const range = `tenant_id = {tenant:String} AND since >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;
  // The newest row per key: read in primary-key order and cut with LIMIT 1 BY, which measured
  // about half the CPU of argMax over a tuple (and the same row for every column, ties
  // included: event_id breaks them).
  const latest = (src: string, table: string, key: string, kind: string | null) => `
      SELECT '${src}' AS src, toString(state) AS state, since, queue_id, team_id, toString(channel) AS channel
      FROM ${table}
      WHERE ${range}${kind ? ` AND kind = '${kind}'` : ''}
      ORDER BY ${key}, ver DESC, event_id DESC
      LIMIT 1 BY ${key}`;
  const where = [`(src = 'queue' AND state IN ('queued', 'in_service')) OR (src = 'ticket' AND state = 'open') OR src = 'agent'`];
  where.push(...filterConditions(q.filters, params));
  const dims = q.groupBy.map((d) => `, ${d}`).join('');
  const sql = `
    SELECT src, state${dims}, count() AS n, toUnixTimestamp64Milli(min(since)) AS oldest
    FROM (
      ${latest('queue', 'contact_state', 'contact_id', 'queue')}
      UNION ALL
      ${latest('ticket', 'contact_state', 'contact_id', 'ticket')}
      UNION ALL
      ${latest('agent', 'agent_state', 'agent_id', null)}
    )
    WHERE ${where.map((w) => `(${w})`).join(' AND ')}
    GROUP BY src, state${dims}`;
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  const rows = await rs.json<Row>();

  const groups = new Map<string, RealtimeGroup>();
  const groupOf = (r: Row): RealtimeGroup => {
    const values = q.groupBy.map((d) => String(r[d] ?? ''));
    const key = JSON.stringify(values);
    let g = groups.get(key);
    if (!g) {
      g = {
        group: Object.fromEntries(q.groupBy.map((d, i) => [d, values[i] === '' ? null : values[i]!])),
        contacts_in_queue: 0, longest_wait_ms: null, contacts_in_service: 0,
        agents: Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<AgentStateName, number>,
        agents_logged_in: 0, open_backlog: 0, oldest_open_ticket_age_ms: null,
      };
      groups.set(key, g);
    }
    return g;
  };
  if (q.groupBy.length === 0) groupOf({ src: 'agent', state: '', n: 0, oldest: 0 });
  for (const r of rows) {
    const g = groupOf(r);
    const n = Number(r.n);
    const age = Math.max(0, q.at - Number(r.oldest));
    if (r.src === 'queue' && r.state === 'queued') {
      g.contacts_in_queue += n;
      g.longest_wait_ms = Math.max(g.longest_wait_ms ?? 0, age);
    } else if (r.src === 'queue') g.contacts_in_service += n;
    else if (r.src === 'ticket') {
      g.open_backlog += n;
      g.oldest_open_ticket_age_ms = Math.max(g.oldest_open_ticket_age_ms ?? 0, age);
    } else if ((AGENT_STATES as readonly string[]).includes(r.state)) {
      g.agents[r.state as AgentStateName] += n;
      if (r.state !== 'offline') g.agents_logged_in += n;
    }
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}
