import { createHash, randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AlertEvent } from './events';
import type { TransitionKind } from './state-machine';

/** DateTime64(3, 'UTC') literal for JSONEachRow */
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export interface DeliveryRecord {
  tenant_id: string;
  alert_id: string;
  seq: number;
  target: number;
  url: string;
  status: 'delivered' | 'failed';
  attempts: number;
  http_status: number;
  error: string;
}

export interface AlertFilters {
  /** active: pending or firing now; resolved: ended (resolved or cancelled); all */
  state: 'active' | 'resolved' | 'all';
  rule_id?: string;
  kpi?: string;
  /** alerts whose scope has these dimension values */
  scope: Record<string, string>;
  /** alerts with a transition in [from, to) */
  from?: number;
  to?: number;
  limit: number;
}

/** One alert with all its transitions, oldest first. */
export interface AlertRecord {
  alert_id: string;
  state: 'pending' | 'firing' | 'resolved' | 'cancelled';
  events: AlertEvent[];
}

export type ConfigKind = 'rule' | 'target' | 'goal';

const ACTIVE: TransitionKind[] = ['pending', 'firing', 'renotify'];

/**
 * ClickHouse persistence of the alerter: transitions (alert_events), the notification
 * outbox (alert_deliveries) and the rules, targets and goals created over HTTP (alerter_config).
 * Every insert sets its own insert_deduplication_token: embedded chDB keeps the previous
 * call's settings otherwise.
 */
export class AlertStore {
  private lastVersion = 0;

  constructor(private readonly client: ClickHouseClient) {}

  /** Config versions: wall-clock ms, strictly increasing within the process (a PUT then a DELETE in one ms). */
  nextVersion(): number {
    this.lastVersion = Math.max(Date.now(), this.lastVersion + 1);
    return this.lastVersion;
  }

  /** Idempotent: the same transitions again (same ids) are dropped by the token and merged away by the key. */
  async insertEvents(events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    const token = createHash('sha256').update(events.map((e) => `${e.tenant_id}/${e.event_id}`).join(',')).digest('hex');
    await this.client.insert({
      table: 'alert_events',
      format: 'JSONEachRow',
      values: events.map((e) => ({
        tenant_id: e.tenant_id, alert_id: e.alert_id, seq: e.seq, kind: e.kind, rule_id: e.rule_id, scope_key: e.scope_key,
        kpi: e.kpi, value: e.value, at: chTime(Date.parse(e.at)), started_at: chTime(Date.parse(e.started_at)), event: JSON.stringify(e),
      })),
      clickhouse_settings: { insert_deduplication_token: `alert-events:${token}` },
    });
  }

  /** The latest transition of every alert still pending or firing: the state to resume from. */
  async activeAlerts(): Promise<AlertEvent[]> {
    const rs = await this.client.query({
      query: `SELECT argMax(event, seq) AS event FROM alert_events GROUP BY tenant_id, alert_id HAVING argMax(kind, seq) IN {active:Array(String)}`,
      query_params: { active: ACTIVE },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ event: string }>()).map((r) => JSON.parse(r.event) as AlertEvent);
  }

  /** Notifying transitions since `since` with the webhook indexes already done (sent or given up). */
  async outbox(since: number): Promise<{ event: AlertEvent; done: number[] }[]> {
    const rs = await this.client.query({
      query: `
        SELECT any(e.event) AS event, groupUniqArrayIf(d.target, d.alert_id != '') AS done
        FROM alert_events AS e
        LEFT JOIN (SELECT DISTINCT tenant_id, alert_id, seq, target FROM alert_deliveries) AS d
          ON d.tenant_id = e.tenant_id AND d.alert_id = e.alert_id AND d.seq = e.seq
        WHERE e.kind IN ('firing', 'renotify', 'resolved') AND e.at >= fromUnixTimestamp64Milli({since:Int64})
        GROUP BY e.tenant_id, e.alert_id, e.seq
        ORDER BY e.seq`,
      query_params: { since },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ event: string; done: number[] }>()).map((r) => ({ event: JSON.parse(r.event) as AlertEvent, done: r.done.map(Number) }));
  }

  async isDelivered(tenant: string, alertId: string, seq: number, target: number): Promise<boolean> {
    const rs = await this.client.query({
      query: `SELECT count() AS n FROM alert_deliveries WHERE tenant_id = {t:String} AND alert_id = {a:String} AND seq = {s:UInt32} AND target = {i:UInt16}`,
      query_params: { t: tenant, a: alertId, s: seq, i: target },
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]?.n ?? 0) > 0;
  }

  async recordDelivery(d: DeliveryRecord): Promise<void> {
    await this.client.insert({
      table: 'alert_deliveries',
      format: 'JSONEachRow',
      values: [{ ...d, at: chTime(Date.now()) }],
      clickhouse_settings: { insert_deduplication_token: `delivery:${randomUUID()}` },
    });
  }

  async listAlerts(tenant: string, f: AlertFilters): Promise<AlertRecord[]> {
    const where = ['tenant_id = {tenant:String}'];
    const params: Record<string, unknown> = { tenant, limit: f.limit };
    if (f.rule_id) { where.push('rule_id = {rule:String}'); params.rule = f.rule_id; }
    if (f.kpi) { where.push('kpi = {kpi:String}'); params.kpi = f.kpi; }
    Object.entries(f.scope).forEach(([d, v], i) => {
      // the scope key is `dim=value&…` in a fixed dimension order
      where.push(`has(splitByChar('&', scope_key), {s${i}:String})`);
      params[`s${i}`] = `${d}=${v}`;
    });
    const having: string[] = [];
    if (f.state === 'active') having.push(`argMax(kind, seq) IN ('pending', 'firing', 'renotify')`);
    if (f.state === 'resolved') having.push(`argMax(kind, seq) IN ('resolved', 'cancelled')`);
    if (f.from !== undefined) { having.push('max(at) >= fromUnixTimestamp64Milli({from:Int64})'); params.from = f.from; }
    if (f.to !== undefined) { having.push('min(at) < fromUnixTimestamp64Milli({to:Int64})'); params.to = f.to; }
    const rs = await this.client.query({
      query: `
        SELECT alert_id, arraySort(x -> x.1, groupArray((seq, event))) AS events, max(at) AS last
        FROM (SELECT alert_id, seq, any(event) AS event, any(kind) AS kind, any(at) AS at FROM alert_events WHERE ${where.join(' AND ')} GROUP BY alert_id, seq)
        GROUP BY alert_id
        ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
        ORDER BY last DESC, alert_id
        LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ alert_id: string; events: [number, string][] }>();
    return rows.map((r) => {
      const events = r.events.map(([, e]) => JSON.parse(e) as AlertEvent);
      const last = events.at(-1)!.kind;
      const state = last === 'renotify' ? 'firing' : last;
      return { alert_id: r.alert_id, state, events };
    });
  }

  async putConfig(kind: ConfigKind, tenant: string, id: string, body: unknown, version = this.nextVersion()): Promise<void> {
    await this.client.insert({
      table: 'alerter_config',
      format: 'JSONEachRow',
      values: [{ kind, tenant_id: tenant, id, version, deleted: body === null ? 1 : 0, body: body === null ? '' : JSON.stringify(body) }],
      clickhouse_settings: { insert_deduplication_token: `config:${randomUUID()}` },
    });
  }

  async deleteConfig(kind: ConfigKind, tenant: string, id: string, version = this.nextVersion()): Promise<void> {
    await this.putConfig(kind, tenant, id, null, version);
  }

  /** The latest version of every live object of a kind (all tenants unless one is named). */
  async listConfig(kind: ConfigKind, tenant?: string): Promise<{ tenant: string; id: string; version: number; body: unknown }[]> {
    const rs = await this.client.query({
      query: `
        SELECT tenant_id, id, max(version) AS v, argMax(body, version) AS body, argMax(deleted, version) AS is_deleted
        FROM alerter_config WHERE kind = {kind:String} ${tenant ? 'AND tenant_id = {tenant:String}' : ''}
        GROUP BY tenant_id, id HAVING is_deleted = 0 ORDER BY tenant_id, id`,
      query_params: { kind, tenant },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ tenant_id: string; id: string; v: string; body: string }>()).map((r) => ({ tenant: r.tenant_id, id: r.id, version: Number(r.v), body: JSON.parse(r.body) }));
  }
}
