import type { ClickHouseClient } from '@clickhouse/client';
import { filterConditions } from './filter-sql';
import type { RealtimeQuery } from './realtime-query';

/** An open ticket with a priority, as the SLA clocks of /v1/realtime need it (docs/sla.md, "Open tickets now"). */
export interface OpenTicket {
  contact_id: string;
  /** epoch ms the ticket was created, or last reopened */
  since: number;
  queue_id: string;
  team_id: string;
  channel: string;
  priority: string;
  /** whether its first agent reply is in */
  replied: boolean;
}

/**
 * The tickets whose newest ticket-machine row within the lookback is `open` and carries a
 * priority (only those can be under an SLA policy), with whether their first reply is in, the
 * dimension filters applied to the newest row (a ticket moved to another queue belongs to the
 * new one). Rows of contact_state (migrations 0009, 0016); every value a bound parameter.
 */
export async function readOpenTickets(client: ClickHouseClient, tenant: string, q: Pick<RealtimeQuery, 'at' | 'lookbackH' | 'filters'>): Promise<OpenTicket[]> {
  const params: Record<string, unknown> = { tenant, from: q.at - q.lookbackH * 3_600_000 };
  const range = `tenant_id = {tenant:String} AND since >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;
  const where = [`state = 'open'`, `priority != ''`, ...filterConditions(q.filters, params)].map((w) => `(${w})`).join(' AND ');
  const open = `
    SELECT * FROM (
      SELECT contact_id, toString(state) AS state, since, queue_id, team_id, toString(channel) AS channel, toString(priority) AS priority
      FROM contact_state WHERE ${range} AND kind = 'ticket'
      ORDER BY contact_id, ver DESC, event_id DESC
      LIMIT 1 BY contact_id
    ) WHERE ${where}`;
  // a reopened ticket's first reply may be older than the lookback: replies are looked up by id, not time
  const rs = await client.query({
    query: `
      WITH open AS (${open})
      SELECT t.contact_id, toUnixTimestamp64Milli(t.since) AS since_ms, t.queue_id, t.team_id, t.channel, t.priority, r.contact_id != '' AS replied
      FROM open AS t
      LEFT JOIN (
        SELECT DISTINCT contact_id FROM contact_state
        WHERE tenant_id = {tenant:String} AND kind = 'reply' AND contact_id IN (SELECT contact_id FROM open)
      ) AS r ON r.contact_id = t.contact_id
      SETTINGS join_use_nulls = 0`,
    query_params: params,
    format: 'JSONCompactEachRow',
  });
  return (await rs.json<[string, string | number, string, string, string, string, number | boolean]>()).map(([contact_id, since, queue_id, team_id, channel, priority, replied]) => ({
    contact_id, since: Number(since), queue_id, team_id, channel, priority, replied: replied === true || Number(replied) === 1,
  }));
}
