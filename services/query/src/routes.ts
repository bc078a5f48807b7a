import type { FastifyInstance } from 'fastify';
import type { TenantResolver } from '@switchboard/service-kit';
import type { ClickHouseClient } from '@clickhouse/client';
import { Histogram, type Registry } from 'prom-client';
import { MAX_STATE_SPAN_MS, zonedWindowStart } from '@switchboard/kpi';
import { BadQuery, parseKpiQuery } from './params';
import { KpiChunkCache } from './kpi-cache';
import { DEFAULT_QUERY_CONFIG } from './config';
import { kpiCsv, type PointsSeries } from './kpi-csv';
import { parseRealtimeQuery } from './realtime-params';
import { STAFFING_WINDOW_MS, staffingNow, withStaffing } from './realtime-staffing';
import { BusinessConfigBook, RealtimeReader, readOpenTickets } from '@switchboard/warehouse';
import { SLA_AT_RISK_MS, slaNow, withSla } from './realtime-sla';

export interface QueryRouteDeps {
  client: ClickHouseClient;
  metrics: Registry;
  /** the tenant a request may read: the API key's, or X-Tenant-Id while auth is off */
  tenantOf: TenantResolver;
  /** the clock `/v1/realtime` and the open-window marks read "now" from (tests pin it) */
  now?: () => number;
  /** how late an event may arrive and still count (the aggregator's LATE_HORIZON_HOURS) */
  lateHorizonMs?: number;
  /** memory for /v1/kpis answers kept per day (kpi-cache.ts); 0 turns the cache off */
  cacheBytes?: number;
  /** calendars and SLA policies: the SLA clocks of open tickets in /v1/realtime (docs/sla.md); default: the store's */
  book?: BusinessConfigBook;
}

const DEFAULT_LATE_HORIZON_MS = 7 * 24 * 3_600_000;

export function registerQueryRoutes(app: FastifyInstance, deps: QueryRouteDeps): void {
  const latency = new Histogram({
    name: 'switchboard_query_seconds', help: 'GET /v1/kpis latency', registers: [deps.metrics],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const now = deps.now ?? Date.now;
  const cache = new KpiChunkCache(deps.client, deps.cacheBytes ?? DEFAULT_QUERY_CONFIG.cacheBytes);
  app.get('/v1/kpis', async (req, reply) => {
    const end = latency.startTimer();
    try {
      // the caller first: an unauthenticated request learns nothing about its parameters
      const tenant = deps.tenantOf(req).tenant;
      const q = parseKpiQuery(req.query as Record<string, unknown>);
      const chunks = await cache.read(tenant, q);
      const t = now();
      const fcr = q.kpis.some((k) => k.id === 'fcr_rate' || k.id === 'repeat_contact_rate');
      const meta = {
        granularity: q.granularity,
        from: new Date(q.from).toISOString(),
        to: new Date(q.to).toISOString(),
        metrics: [...q.kpis.map((k) => k.id), ...(q.topTopics ? ['top_topics'] : [])],
        group_by: q.groupBy,
        tz: q.tz ?? 'UTC',
        options: q.options,
        format: q.format ?? 'points',
        // a window is open while a late event may still change it: one up to the lateness
        // horizon old, and an agent state it ends reaching up to MAX_STATE_SPAN_MS further back
        // (its time is split across the windows it spanned, docs/staffing.md); FCR is
        // provisional while its end is within fcr_window (a repeat contact may still come)
        open_from: new Date(zonedWindowStart(t - (deps.lateHorizonMs ?? DEFAULT_LATE_HORIZON_MS) - MAX_STATE_SPAN_MS, q.granularity, q.tz ?? 'UTC')).toISOString(),
        ...(fcr ? { fcr_provisional_from: new Date(zonedWindowStart(t - q.options.fcr_window, q.granularity, q.tz ?? 'UTC')).toISOString() } : {}),
      };
      // {meta, windows?, series} as JSON.stringify would write it, the series straight from the
      // chunks' UTF-8 pieces (a point object per window is most of a large answer's cost)
      const format = q.format ?? 'points';
      const body = cache.body(chunks, format === 'csv' ? 'points' : format);
      if (format === 'csv') {
        const csv = kpiCsv(JSON.parse(body.series.toString('utf8')) as PointsSeries[], meta.metrics, q.groupBy);
        return reply.type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="kpis_${q.granularity}_${meta.from.slice(0, 10)}.csv"`)
          .header('x-switchboard-open-from', meta.open_from)
          .send(csv);
      }
      const head = Buffer.from(`{"meta":${JSON.stringify(meta)}${body.windows ? ',"windows":' : ''}`);
      const pieces = [head, ...(body.windows ? [body.windows] : []), Buffer.from(',"series":'), body.series, Buffer.from('}')];
      return reply.type('application/json; charset=utf-8').send(Buffer.concat(pieces));
    } catch (err) {
      if (err instanceof BadQuery) return reply.code(400).send({ error: 'invalid query', details: err.problems });
      throw err;
    } finally {
      end();
    }
  });

  const realtimeLatency = new Histogram({
    name: 'switchboard_realtime_query_seconds', help: 'GET /v1/realtime latency', registers: [deps.metrics],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const realtime = new RealtimeReader(deps.client);
  const book = deps.book ?? new BusinessConfigBook({ client: deps.client });
  app.get('/v1/realtime', async (req, reply) => {
    const end = realtimeLatency.startTimer();
    try {
      const tenant = deps.tenantOf(req).tenant;
      const q = parseRealtimeQuery(req.query as Record<string, unknown>, now());
      const [groups, staffing, tickets] = await Promise.all([
        realtime.read(tenant, q), staffingNow(deps.client, tenant, q, q.staffing), readOpenTickets(deps.client, tenant, q), book.refresh(),
      ]);
      return {
        meta: {
          at: new Date(q.at).toISOString(), lookback_h: q.lookbackH, group_by: q.groupBy, filters: q.filters,
          staffing: { window_ms: STAFFING_WINDOW_MS, sl_threshold_s: q.staffing.slThresholdS, sl_target: q.staffing.slTarget, max_occupancy: q.staffing.maxOccupancy, shrinkage: q.staffing.shrinkage },
          sla: { at_risk_ms: SLA_AT_RISK_MS },
        },
        groups: withSla(withStaffing(groups, staffing, q.groupBy), slaNow(tickets, tenant, book, q.at, q.groupBy), q.groupBy),
      };
    } catch (err) {
      if (err instanceof BadQuery) return reply.code(400).send({ error: 'invalid query', details: err.problems });
      throw err;
    } finally {
      end();
    }
  });
}
