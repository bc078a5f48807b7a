import type { ClickHouseClient } from '@clickhouse/client';
import { filterConditions } from './filter-sql';
import { activeParts, partKey, partsFingerprint } from './parts';
import { REALTIME_DIMENSIONS, type RealtimeDimension, type RealtimeQuery } from './realtime-query';

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

type Source = 'queue' | 'ticket' | 'agent';

/** Live keys of one (source, state, group): how many, and the earliest `since` among them. */
interface Tally {
  src: Source;
  state: string;
  dims: Partial<Record<RealtimeDimension, string>>;
  n: number;
  oldest: number;
}

const DAY_MS = 86_400_000;
/** states that count; every agent state counts (offline agents are reported as such) */
const LIVE = `(src = 'queue' AND state IN ('queued', 'in_service')) OR (src = 'ticket' AND state = 'open') OR src = 'agent'`;
const STATE_TABLES = ['contact_state', 'agent_state'];

/**
 * The newest row per key of the three state machines (queue flow, ticket, agent) within
 * `range`: read in primary-key order and cut with LIMIT 1 BY, which measured about half the
 * CPU of argMax over a tuple (and the same row for every column, ties included: event_id
 * breaks them).
 */
function newestRows(range: string, withPart = false): string {
  const one = (src: Source, table: string, key: string, kind: string | null) => `
      SELECT '${src}' AS src, ${key} AS key, toString(state) AS state, since, queue_id, team_id, toString(channel) AS channel${withPart ? ', _part AS part' : ''}
      FROM ${table}
      WHERE ${range}${kind ? ` AND kind = '${kind}'` : ''}
      ORDER BY ${key}, ver DESC, event_id DESC
      LIMIT 1 BY ${key}`;
  return `${one('queue', 'contact_state', 'contact_id', 'queue')}
      UNION ALL ${one('ticket', 'contact_state', 'contact_id', 'ticket')}
      UNION ALL ${one('agent', 'agent_state', 'agent_id', null)}`;
}

/**
 * The group's dimensions as g_queue_id, g_team_id, g_channel ('' where not grouped by): g_
 * names, because an alias equal to a column name would replace the column in WHERE.
 */
function groupColumns(q: RealtimeQuery): string {
  return REALTIME_DIMENSIONS.map((d) => `, ${q.groupBy.includes(d) ? d : "''"} AS g_${d}`).join('');
}

/** The newest state per key in `range`, live ones tallied per (source, state, group). */
function tallySql(range: string, q: RealtimeQuery, params: Record<string, unknown>): string {
  const where = [LIVE, ...filterConditions(q.filters, params)];
  return `
    SELECT src, state${groupColumns(q)}, count() AS n, toUnixTimestamp64Milli(min(since)) AS oldest
    FROM (${newestRows(range)})
    WHERE ${where.map((w) => `(${w})`).join(' AND ')}
    GROUP BY src, state, g_queue_id, g_team_id, g_channel`;
}

type TallyRow = [Source, string, string, string, string, string | number, string | number];

function tallyOf(r: Readonly<TallyRow> | readonly [...TallyRow, ...unknown[]]): Tally {
  return { src: r[0], state: r[1], dims: { queue_id: r[2], team_id: r[3], channel: r[4] }, n: Number(r[5]), oldest: Number(r[6]) };
}

/** The answer from tallies: waits and ages measured to `q.at`, groups in key order. */
function groupsOf(q: RealtimeQuery, tallies: Iterable<Tally>): RealtimeGroup[] {
  const groups = new Map<string, RealtimeGroup>();
  const groupOf = (dims: Tally['dims']): RealtimeGroup => {
    const values = q.groupBy.map((d) => dims[d] ?? '');
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
  if (q.groupBy.length === 0) groupOf({});
  for (const t of tallies) {
    const g = groupOf(t.dims);
    const age = Math.max(0, q.at - t.oldest);
    if (t.src === 'queue' && t.state === 'queued') {
      g.contacts_in_queue += t.n;
      g.longest_wait_ms = Math.max(g.longest_wait_ms ?? 0, age);
    } else if (t.src === 'queue') g.contacts_in_service += t.n;
    else if (t.src === 'ticket') {
      g.open_backlog += t.n;
      g.oldest_open_ticket_age_ms = Math.max(g.oldest_open_ticket_age_ms ?? 0, age);
    } else if ((AGENT_STATES as readonly string[]).includes(t.state)) {
      g.agents[t.state as AgentStateName] += t.n;
      if (t.state !== 'offline') g.agents_logged_in += t.n;
    }
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

const lookbackRange = `tenant_id = {tenant:String} AND since >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;

/**
 * The latest state of every contact (queue flow and ticket) and agent that changed within the
 * lookback, counted per group, in one scan of the lookback; waits and ages measured to `q.at`
 * (now). Rows are filtered to the lookback before the newest row per key is taken (exact: a
 * key's newest row is in it iff the key changed in it), the dimension filters after it (a
 * contact moved to another queue belongs to the new one only). There is no upper time bound:
 * an event stamped slightly ahead of this clock (the aggregator accepts 5 minutes of skew) is
 * still the latest state; its wait counts from 0. The store keeps only the newest state per
 * key, so the state of a past moment cannot be read. Identifiers come from allow-lists; every
 * value is a bound parameter. RealtimeReader gives the same answer reading only today's rows.
 */
export async function readRealtime(client: ClickHouseClient, tenant: string, q: RealtimeQuery): Promise<RealtimeGroup[]> {
  const params: Record<string, unknown> = { tenant, from: q.at - q.lookbackH * 3_600_000 };
  const rs = await client.query({ query: tallySql(lookbackRange, q, params), query_params: params, format: 'JSONCompactEachRow' });
  return groupsOf(q, (await rs.json<TallyRow>()).map(tallyOf));
}

/** The keys of one (source, state, dimensions) whose newest row before today is live. */
interface CarriedGroup {
  src: Source;
  state: string;
  dims: Record<RealtimeDimension, string>;
  /** their rows' times, ascending */
  since: number[];
}

/** What the days before today contribute: their live keys, grouped, and each key's group. */
interface Carried {
  groups: CarriedGroup[];
  keys: Record<Source, Map<string, { group: CarriedGroup; since: number }>>;
}

interface CarriedEntry {
  fingerprint: string;
  carried: Promise<Carried>;
}

/** The keys with a row in one of today's parts, and those of them the earlier days hold live. */
interface PartKeys {
  keys: Record<Source, string[]>;
  hits?: { of: Carried; keys: [Source, string][] };
}

/** The state tables' active parts: a string for those of the earlier days, `table/name` of today's. */
interface PartList {
  fingerprint: string;
  today: string[];
}

const TODAY_ATTEMPTS = 3;

export interface RealtimeReaderOptions {
  /** (tenant, first day) pairs whose earlier days' live keys are kept; default 8 */
  maxCachedDays?: number;
}

/** YYYYMMDD of a UTC day, as `toYYYYMMDD(since)` names the state tables' partitions */
const partitionOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

/**
 * /v1/realtime reading only today's rows (UTC) on each request; what the earlier days of the
 * lookback contribute is kept in memory between requests, for as long as their partitions
 * hold the same parts. A 7-day lookback otherwise re-reads and re-sorts every key of the
 * week (~300,000 rows at 1,000 contacts an hour) on every poll, though those days hardly
 * change.
 *
 * Exact, because a row's version is its event time (× 16 + a tie-break, migration 0009) and
 * the tables are partitioned by the UTC day of that time: every row of today outranks every
 * row of an earlier day, so a key's newest row is its newest row today if it has one, else its
 * newest row before today. The earlier days' part is therefore the keys whose newest row
 * before today is live, less the keys that have any row today, less those whose row is older
 * than the lookback; today's part is the newest row per key today, as readRealtime reads it.
 *
 * The earlier days' keys are kept per (tenant, first day of the lookback), with the names of
 * the active parts of those days' partitions, read before the keys are: ClickHouse writes
 * every insert as a new part and replaces parts on merges, TTL and mutations, so a late event
 * that lands in an earlier day (or any other change there) changes the names and the next
 * request reads those days again. A merge alone also re-reads them, which costs time, never
 * exactness. When the lookback starts today, it is one scan (readRealtime).
 */
export class RealtimeReader {
  private readonly carried = new Map<string, CarriedEntry>();
  /** per tenant, the keys of each of today's active parts (`table/name`) */
  private readonly todayKeys = new Map<string, Map<string, PartKeys>>();
  private readonly maxCachedDays: number;

  constructor(private readonly client: ClickHouseClient, options: RealtimeReaderOptions = {}) {
    this.maxCachedDays = options.maxCachedDays ?? 8;
  }

  async read(tenant: string, q: RealtimeQuery): Promise<RealtimeGroup[]> {
    const from = q.at - q.lookbackH * 3_600_000;
    const today = Math.floor(q.at / DAY_MS) * DAY_MS;
    const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
    if (firstDay >= today) return readRealtime(this.client, tenant, q);

    const { carried, recent, replacedKeys } = await this.readSplit(tenant, q, firstDay, today);

    const idOf = (src: string, state: string, dims: Tally['dims']) => {
      let id = `${src}\u0001${state}`;
      for (const d of q.groupBy) id += `\u0001${dims[d]}`;
      return id;
    };
    const tallies = new Map<string, Tally>();
    for (const t of recent.tallies) tallies.set(idOf(t.src, t.state, t.dims), t);
    // earlier keys that have a row today: today's row replaces theirs
    const replaced = new Map<CarriedGroup, number[]>();
    for (const [src, key] of replacedKeys) {
      const e = carried.keys[src].get(key)!;
      if (e.since < from) continue;
      const xs = replaced.get(e.group);
      if (xs) xs.push(e.since);
      else replaced.set(e.group, [e.since]);
    }
    const filters = Object.entries(q.filters) as [RealtimeDimension, string[]][];
    for (const g of carried.groups) {
      if (!filters.every(([d, values]) => values.includes(g.dims[d]))) continue;
      const gone = (replaced.get(g) ?? []).sort((x, y) => x - y);
      // the first row inside the lookback, then past the replaced ones (both ascending)
      let i = lowerBound(g.since, from);
      const n = g.since.length - i - gone.length;
      if (n <= 0) continue;
      for (let j = 0; j < gone.length && g.since[i] === gone[j]; j++) i++;
      const oldest = g.since[i]!;
      const id = idOf(g.src, g.state, g.dims);
      const t = tallies.get(id);
      if (t) {
        t.n += n;
        t.oldest = Math.min(t.oldest, oldest);
      } else tallies.set(id, { src: g.src, state: g.state, dims: g.dims, n, oldest });
    }
    return groupsOf(q, tallies.values());
  }

  /**
   * Today's live tallies, the earlier days' live keys, and which of those have a row today
   * (their row today replaces the earlier one).
   *
   * Today's keys are kept per part: a part's rows never change, so only new parts' keys are
   * read, and the tallies query reports which parts its newest rows came from. The parts are
   * listed first, then the new ones' keys read, then the tallies: if every part the tallies
   * came from was listed, the listed parts' keys are exactly the keys with a row today in the
   * tallies' snapshot (a listed part merged away since holds no key that the tallies' parts
   * do not; a part made after the list, by an insert or a merge, shows up as unlisted). Else
   * the parts changed meanwhile: read again, and after TODAY_ATTEMPTS, one scan that returns
   * the keys with the tallies.
   */
  private async readSplit(tenant: string, q: RealtimeQuery, firstDay: number, today: number): Promise<{ carried: Carried; recent: { tallies: Tally[] }; replacedKeys: [Source, string][] }> {
    for (let attempt = 0; attempt < TODAY_ATTEMPTS; attempt++) {
      const parts = await this.activeParts(firstDay, today);
      const carried = this.carriedBefore(tenant, firstDay, today, parts.fingerprint);
      // no tallies before the keys of the listed parts are read (see above)
      const keys = await this.keysOf(tenant, parts.today);
      const recent = await this.readTodayTallies(tenant, q, today);
      if (!recent.parts.every((p) => keys.has(p))) continue;
      const earlier = await carried;
      const seen = new Set<string>();
      const replacedKeys: [Source, string][] = [];
      for (const part of keys.values()) {
        for (const [src, key] of this.hitsOf(part, earlier)) {
          const id = `${src}\u0001${key}`;
          if (seen.has(id)) continue;
          seen.add(id);
          replacedKeys.push([src, key]);
        }
      }
      return { carried: earlier, recent, replacedKeys };
    }
    const parts = await this.activeParts(firstDay, today);
    const [carried, recent] = await Promise.all([this.carriedBefore(tenant, firstDay, today, parts.fingerprint), this.readToday(tenant, q, today)]);
    return { carried, recent, replacedKeys: this.hitsOf({ keys: recent.keys }, carried) };
  }

  /** The part's keys that the earlier days hold live, worked out once per earlier-days read. */
  private hitsOf(part: PartKeys, carried: Carried): [Source, string][] {
    if (part.hits?.of === carried) return part.hits.keys;
    const keys: [Source, string][] = [];
    for (const src of ['queue', 'ticket', 'agent'] as const) for (const key of part.keys[src]) if (carried.keys[src].has(key)) keys.push([src, key]);
    part.hits = { of: carried, keys };
    return keys;
  }

  /** The active parts of the state tables from firstDay on: the earlier days' as one string, today's and later ones' names. */
  private async activeParts(firstDay: number, today: number): Promise<PartList> {
    const parts = await activeParts(this.client, STATE_TABLES, partitionOf(firstDay));
    const todays = partitionOf(today);
    return { fingerprint: partsFingerprint(parts.filter((p) => p.partition < todays)), today: parts.filter((p) => p.partition >= todays).map(partKey) };
  }

  /** The keys of each of these parts (`table/name`), the ones not kept yet read in one query. */
  private async keysOf(tenant: string, parts: string[]): Promise<Map<string, PartKeys>> {
    const kept = this.todayKeys.get(tenant) ?? new Map<string, PartKeys>();
    const out = new Map<string, PartKeys>();
    const missing: Record<string, string[]> = { contact_state: [], agent_state: [] };
    for (const p of parts) {
      const k = kept.get(p);
      if (k) out.set(p, k);
      else {
        out.set(p, { keys: { queue: [], ticket: [], agent: [] } });
        const [table, name] = p.split('/') as [string, string];
        missing[table]!.push(name);
      }
    }
    const selects: string[] = [];
    if (missing.contact_state!.length) {
      // the `reply` machine (SLA clocks, migration 0016) is not part of these tallies
      selects.push(`SELECT 'contact_state' AS t, _part AS part, toString(kind) AS src, groupUniqArray(contact_id) AS keys FROM contact_state
        WHERE tenant_id = {tenant:String} AND _part IN {contact_parts:Array(String)} AND kind IN ('queue', 'ticket') GROUP BY part, src`);
    }
    if (missing.agent_state!.length) {
      selects.push(`SELECT 'agent_state' AS t, _part AS part, 'agent' AS src, groupUniqArray(agent_id) AS keys FROM agent_state
        WHERE tenant_id = {tenant:String} AND _part IN {agent_parts:Array(String)} GROUP BY part`);
    }
    if (selects.length) {
      const rs = await this.client.query({
        query: selects.join(' UNION ALL '),
        query_params: { tenant, contact_parts: missing.contact_state, agent_parts: missing.agent_state },
        format: 'JSONCompactEachRow',
      });
      for (const [t, part, src, keys] of await rs.json<[string, string, Source, string[]]>()) out.get(`${t}/${part}`)!.keys[src] = keys;
    }
    // only the active parts are kept: a part gone from the list never comes back
    this.todayKeys.delete(tenant);
    this.todayKeys.set(tenant, out);
    while (this.todayKeys.size > this.maxCachedDays) this.todayKeys.delete(this.todayKeys.keys().next().value!);
    return out;
  }

  /** Today's tallies and the parts (`table/name`) their newest rows came from, filtered out or not. */
  private async readTodayTallies(tenant: string, q: RealtimeQuery, today: number): Promise<{ tallies: Tally[]; parts: string[] }> {
    const { tallies, lists } = await this.readTodayWith(tenant, q, today, 'parts');
    const parts = new Set<string>();
    for (const [src, xs] of lists) for (const p of xs) parts.add(`${src === 'agent' ? 'agent_state' : 'contact_state'}/${p}`);
    return { tallies, parts: [...parts] };
  }

  /** Today's tallies and every key with a row today, from one scan: the fallback while parts change fast. */
  private async readToday(tenant: string, q: RealtimeQuery, today: number): Promise<{ tallies: Tally[]; keys: Record<Source, string[]> }> {
    const { tallies, lists } = await this.readTodayWith(tenant, q, today, 'keys');
    const keys: Record<Source, string[]> = { queue: [], ticket: [], agent: [] };
    // a key is in one group only: its newest row today is one row
    for (const [src, xs] of lists) for (const k of xs) keys[src].push(k);
    return { tallies, keys };
  }

  /**
   * Today's newest row per key, live ones tallied (filters applied), with every group's keys or
   * the parts its rows came from: rows the filters or the states leave out
   * are grouped apart, so that a key moved to another queue today still counts as having a
   * row today, whatever the filter.
   */
  private async readTodayWith(tenant: string, q: RealtimeQuery, today: number, list: 'keys' | 'parts'): Promise<{ tallies: Tally[]; lists: [Source, string[]][] }> {
    const params: Record<string, unknown> = { tenant, today };
    const range = `tenant_id = {tenant:String} AND since >= fromUnixTimestamp64Milli({today:Int64}, 'UTC')`;
    const counted = [LIVE, ...filterConditions(q.filters, params)].map((w) => `(${w})`).join(' AND ');
    const rs = await this.client.query({
      query: `
        SELECT src, state${groupColumns(q)}, count() AS n, toUnixTimestamp64Milli(min(since)) AS oldest, ${list === 'parts' ? 'groupUniqArray(part)' : 'groupArray(key)'} AS list, ${counted} AS counted
        FROM (${newestRows(range, list === 'parts')})
        GROUP BY src, state, g_queue_id, g_team_id, g_channel, counted`,
      query_params: params,
      format: 'JSONCompactEachRow',
    });
    const tallies: Tally[] = [];
    const lists: [Source, string[]][] = [];
    for (const r of await rs.json<[...TallyRow, string[], number | boolean]>()) {
      lists.push([r[0], r[7]]);
      if (Number(r[8]) === 1 || r[8] === true) tallies.push(tallyOf(r));
    }
    return { tallies, lists };
  }

  /** The live newest-before-today keys of [firstDay, today), from memory while `fingerprint` holds. */
  private carriedBefore(tenant: string, firstDay: number, today: number, fingerprint: string): Promise<Carried> {
    const id = `${tenant}\u0001${firstDay}\u0001${today}`;
    const hit = this.carried.get(id);
    this.carried.delete(id);
    if (hit && hit.fingerprint === fingerprint) {
      this.carried.set(id, hit);
      return hit.carried;
    }
    const carried = this.readCarried(tenant, firstDay, today);
    // a failed read is not kept: the next request tries again
    carried.catch(() => { if (this.carried.get(id)?.carried === carried) this.carried.delete(id); });
    this.carried.set(id, { fingerprint, carried });
    while (this.carried.size > this.maxCachedDays) this.carried.delete(this.carried.keys().next().value!);
    return carried;
  }

  private async readCarried(tenant: string, firstDay: number, today: number): Promise<Carried> {
    const range = `tenant_id = {tenant:String} AND since >= fromUnixTimestamp64Milli({first:Int64}, 'UTC') AND since < fromUnixTimestamp64Milli({today:Int64}, 'UTC')`;
    const rs = await this.client.query({
      query: `SELECT src, key, state, toUnixTimestamp64Milli(since) AS since_ms, queue_id, team_id, channel FROM (${newestRows(range)}) WHERE ${LIVE} ORDER BY since_ms`,
      query_params: { tenant, first: firstDay, today },
      format: 'JSONCompactEachRow',
    });
    const groups = new Map<string, CarriedGroup>();
    const keys: Carried['keys'] = { queue: new Map(), ticket: new Map(), agent: new Map() };
    for (const [src, key, state, at, queue_id, team_id, channel] of await rs.json<[Source, string, string, string | number, string, string, string]>()) {
      const id = JSON.stringify([src, state, queue_id, team_id, channel]);
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { src, state, dims: { queue_id, team_id, channel }, since: [] }));
      const since = Number(at);
      group.since.push(since);
      keys[src].set(key, { group, since });
    }
    return { groups: [...groups.values()], keys };
  }
}

/** The first index whose value is ≥ x in an ascending array (its length if none). */
function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
