// The source of deploy/grafana/dashboards/*.json: `node deploy/grafana/dashboards.mjs` rewrites
// them (test/grafana.int.test.ts fails while a JSON file differs from what this writes, and
// executes every panel's and variable's SQL against the store). Panels read the kpi_<grain> BI
// views and the alerter's alert_events table (docs/kpis.md "BI views", docs/grafana.md):
// ratios are computed from the summed numerators and denominators the views give, never by
// averaging the views' ratio columns.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'switchboard-clickhouse' };
/** the plugin version the SQL and its macros are written for (docker-compose.yml pins the same) */
export const PLUGIN_VERSION = '4.11.2';

// ---- the KPI expressions, over any set of view rows -----------------------------------------
// Each is exactly the catalogue's formula (docs/kpis.md) on summed finalized columns.
const KPI = {
  offered: 'sum(offered)',
  answered: 'sum(answered)',
  abandoned: 'sum(abandoned)',
  service_level: 'sum(answered_within_20s) / nullIf(sum(sl_denominator), 0)',
  asa_ms: 'sum(answered_wait_ms_sum) / nullIf(sum(answered), 0)',
  // the denominator is offered − short abandons, which can be ≤ 0 (docs/kpis.md "Null rules")
  abandonment_rate: 'if(toInt64(sum(offered)) - toInt64(sum(short_abandoned)) > 0, sum(abandoned) / (toInt64(sum(offered)) - toInt64(sum(short_abandoned))), NULL)',
  aht_ms: 'sum(handle_ms_sum) / nullIf(sum(wrapups), 0)',
  handled: 'sum(wrapups)',
  occupancy: '(sum(busy_ms) + sum(after_call_work_ms)) / nullIf(sum(busy_ms) + sum(after_call_work_ms) + sum(available_ms), 0)',
  utilization: '(sum(busy_ms) + sum(after_call_work_ms)) / nullIf(sum(busy_ms) + sum(after_call_work_ms) + sum(available_ms) + sum(away_ms), 0)',
};

const UNITS = {
  offered: 'short', answered: 'short', abandoned: 'short', handled: 'short',
  service_level: 'percentunit', abandonment_rate: 'percentunit', occupancy: 'percentunit', utilization: 'percentunit',
  asa_ms: 'ms', aht_ms: 'ms',
};

// Column aliases are these labels, never a column name of the views: ClickHouse resolves an alias
// before a column, so `sum(answered) AS answered` beside `sum(answered_wait_ms_sum) / sum(answered)`
// would nest one aggregate in another.
export const LABELS = {
  offered: 'Offered', answered: 'Answered', abandoned: 'Abandoned', handled: 'Handled',
  service_level: 'Service level (20 s)', asa_ms: 'ASA', abandonment_rate: 'Abandonment rate', aht_ms: 'AHT',
  occupancy: 'Occupancy', utilization: 'Utilization',
};

// ---- building blocks -------------------------------------------------------------------------
const sql = (lines) => lines.filter((l) => l !== null).join('\n');

/** a ClickHouse SQL target; format 0 = time series (long rows become one series per label), 1 = table */
function target(rawSql, format) {
  return {
    datasource: DATASOURCE,
    editorType: 'sql',
    format,
    queryType: format === 0 ? 'timeSeries' : 'table',
    pluginVersion: PLUGIN_VERSION,
    rawSql,
    refId: 'A',
  };
}

function statPanel(id, kpi, where, gridPos, extra = {}) {
  return {
    id, type: 'stat', title: LABELS[kpi], datasource: DATASOURCE, gridPos,
    fieldConfig: { defaults: { unit: UNITS[kpi], decimals: UNITS[kpi] === 'percentunit' ? 1 : 0, color: { mode: 'thresholds' }, thresholds: extra.thresholds ?? { mode: 'absolute', steps: [{ color: 'blue', value: null }] } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value', justifyMode: 'auto', orientation: 'auto' },
    ...(extra.timeFrom ? { timeFrom: extra.timeFrom } : {}),
    targets: [target(sql([`SELECT ${KPI[kpi]} AS "${LABELS[kpi]}"`, `FROM kpi_15m`, `WHERE ${where}`]), 1)],
  };
}

function seriesPanel(id, kpi, label, where, gridPos) {
  return {
    id, type: 'timeseries', title: `${LABELS[kpi]} by ${label.replace('_id', '')}`, datasource: DATASOURCE, gridPos,
    // the views are read at 15 minutes: a finer interval would only repeat the same buckets
    interval: '15m',
    fieldConfig: { defaults: { unit: UNITS[kpi], custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 0, spanNulls: false, showPoints: 'auto' } }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: [] }, tooltip: { mode: 'multi', sort: 'none' } },
    targets: [target(sql([
      `SELECT $__timeInterval(bucket) AS time, ${label}, ${KPI[kpi]} AS "${LABELS[kpi]}"`,
      `FROM kpi_15m`,
      `WHERE ${where}`,
      `GROUP BY time, ${label}`,
      `ORDER BY time, ${label}`,
    ]), 0)],
  };
}

const unitsOf = (kpis) => Object.fromEntries(kpis.map((k) => [LABELS[k], UNITS[k]]));

function tablePanel(id, title, rawSql, gridPos, units) {
  return {
    id, type: 'table', title, datasource: DATASOURCE, gridPos,
    fieldConfig: {
      defaults: {},
      overrides: Object.entries(units).map(([name, unit]) => ({ matcher: { id: 'byName', options: name }, properties: [{ id: 'unit', value: unit }, ...(unit === 'percentunit' ? [{ id: 'decimals', value: 1 }] : [])] })),
    },
    options: { showHeader: true, cellHeight: 'sm' },
    targets: [target(rawSql, 1)],
  };
}

function queryVariable(name, label, query, { multi = false, refresh = 2 } = {}) {
  return {
    name, label, type: 'query', datasource: DATASOURCE, query, definition: query,
    // 2 = on time range change: the lists follow the range on screen
    refresh, sort: 1, multi, includeAll: multi, hide: 0, options: [],
    // several values: every one ("All", expanded to the list: no custom all-value) until chosen
    current: multi ? { selected: true, text: ['All'], value: ['$__all'] } : {},
    regex: '',
  };
}

function dashboard({ uid, title, description, panels, variables, time }) {
  return {
    uid, title, description, tags: ['switchboard'],
    editable: false, graphTooltip: 1, liveNow: false, refresh: '1m',
    // the views' windows are UTC (docs/kpis.md "BI views"): "today" is the UTC day
    timezone: 'utc',
    schemaVersion: 39, version: 1,
    time, timepicker: {},
    annotations: { list: [] },
    links: [{ type: 'dashboards', tags: ['switchboard'], asDropdown: true, title: 'Switchboard', includeVars: true, keepTime: true }],
    templating: { list: variables },
    panels,
  };
}

const tenantVar = (from = 'kpi_1h', time = 'bucket') => queryVariable('tenant', 'Tenant', `SELECT DISTINCT tenant_id FROM ${from} WHERE $__timeFilter(${time}) ORDER BY tenant_id`);
const row = (id, title, y) => ({ id, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });

// ---- queue overview --------------------------------------------------------------------------
function queueOverview() {
  const where = 'tenant_id = ${tenant:singlequote} AND queue_id IN (${queue:singlequote}) AND $__timeFilter(bucket)';
  const stats = ['offered', 'answered', 'service_level', 'asa_ms', 'abandonment_rate', 'aht_ms'];
  const series = ['offered', 'service_level', 'asa_ms', 'abandonment_rate', 'aht_ms', 'answered'];
  const panels = [
    row(100, 'Today (UTC), selected queues', 0),
    ...stats.map((k, i) => statPanel(1 + i, k, where, { h: 4, w: 4, x: 4 * i, y: 1 }, {
      timeFrom: 'now/d',
      thresholds: k === 'service_level' ? { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 0.7 }, { color: 'green', value: 0.8 }] }
        : k === 'abandonment_rate' ? { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 0.05 }, { color: 'red', value: 0.1 }] }
          : undefined,
    })),
    row(101, 'Per queue over time', 5),
    ...series.map((k, i) => seriesPanel(10 + i, k, 'queue_id', where, { h: 8, w: 12, x: 12 * (i % 2), y: 6 + 8 * Math.floor(i / 2) })),
    row(102, 'Per queue, whole range', 30),
    tablePanel(20, 'Queues', sql([
      'SELECT queue_id,',
      `  ${['offered', 'answered', 'abandoned', 'service_level', 'asa_ms', 'abandonment_rate', 'aht_ms'].map((k) => `${KPI[k]} AS "${LABELS[k]}"`).join(',\n  ')}`,
      'FROM kpi_15m',
      `WHERE ${where}`,
      'GROUP BY queue_id',
      'ORDER BY queue_id',
    ]), { h: 9, w: 24, x: 0, y: 31 }, unitsOf(['service_level', 'abandonment_rate', 'asa_ms', 'aht_ms'])),
  ];
  return dashboard({
    uid: 'switchboard-queues', title: 'Switchboard — Queue overview',
    description: 'Offered, answered, service level, ASA, abandonment and AHT per queue (kpi_15m, UTC windows).',
    time: { from: 'now-24h', to: 'now' },
    variables: [
      tenantVar(),
      queryVariable('queue', 'Queue', "SELECT DISTINCT queue_id FROM kpi_1h WHERE tenant_id = ${tenant:singlequote} AND queue_id != '' AND $__timeFilter(bucket) ORDER BY queue_id", { multi: true }),
    ],
    panels,
  });
}

// ---- agent view ------------------------------------------------------------------------------
function agentView() {
  const where = 'tenant_id = ${tenant:singlequote} AND agent_id IN (${agent:singlequote}) AND $__timeFilter(bucket)';
  const panels = [
    row(100, 'Selected agents, whole range', 0),
    ...['handled', 'aht_ms', 'occupancy', 'utilization'].map((k, i) => statPanel(1 + i, k, where, { h: 4, w: 6, x: 6 * i, y: 1 })),
    row(101, 'Per agent', 5),
    tablePanel(10, 'Agents', sql([
      'SELECT agent_id,',
      `  ${['handled', 'aht_ms', 'occupancy', 'utilization', 'answered'].map((k) => `${KPI[k]} AS "${LABELS[k]}"`).join(',\n  ')}`,
      'FROM kpi_15m',
      `WHERE ${where}`,
      'GROUP BY agent_id',
      'ORDER BY agent_id',
    ]), { h: 10, w: 24, x: 0, y: 6 }, unitsOf(['aht_ms', 'occupancy', 'utilization'])),
    ...['handled', 'aht_ms', 'occupancy', 'utilization'].map((k, i) => seriesPanel(20 + i, k, 'agent_id', where, { h: 8, w: 12, x: 12 * (i % 2), y: 16 + 8 * Math.floor(i / 2) })),
  ];
  return dashboard({
    uid: 'switchboard-agents', title: 'Switchboard — Agents',
    description: 'Per agent: handled contacts, AHT, occupancy and utilization (kpi_15m, UTC windows).',
    time: { from: 'now-24h', to: 'now' },
    variables: [
      tenantVar(),
      queryVariable('team', 'Team', "SELECT DISTINCT team_id FROM kpi_1h WHERE tenant_id = ${tenant:singlequote} AND team_id != '' AND $__timeFilter(bucket) ORDER BY team_id", { multi: true }),
      queryVariable('agent', 'Agent', "SELECT DISTINCT agent_id FROM kpi_1h WHERE tenant_id = ${tenant:singlequote} AND team_id IN (${team:singlequote}) AND agent_id != '' AND $__timeFilter(bucket) ORDER BY agent_id", { multi: true }),
    ],
    panels,
  });
}

// ---- alerts ----------------------------------------------------------------------------------
function alertsDashboard() {
  // alert_events holds every transition; a transition written twice is one (alert_id, seq), so
  // every read groups by it (services/alerter/src/store.ts)
  const latest = (kinds) => sql([
    'SELECT alert_id FROM alert_events',
    'WHERE tenant_id = ${tenant:singlequote}',
    'GROUP BY alert_id',
    `HAVING argMax(kind, seq) IN (${kinds.map((k) => `'${k}'`).join(', ')})`,
  ]);
  const countPanel = (id, title, kinds, x, color) => ({
    id, type: 'stat', title, datasource: DATASOURCE, gridPos: { h: 4, w: 6, x, y: 0 },
    fieldConfig: { defaults: { unit: 'short', decimals: 0, color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color, value: 1 }] } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value', justifyMode: 'auto', orientation: 'auto' },
    targets: [target(sql([`SELECT count() AS alerts FROM (${latest(kinds).replaceAll('\n', ' ')})`]), 1)],
  });
  const panels = [
    countPanel(1, 'Firing now', ['firing', 'renotify'], 0, 'red'),
    countPanel(2, 'Pending now', ['pending'], 6, 'orange'),
    tablePanel(3, 'Firing now', sql([
      'SELECT alert_id,',
      '  argMax(rule_id, seq) AS rule_id,',
      '  argMax(kpi, seq) AS kpi,',
      '  argMax(scope_key, seq) AS scope,',
      '  argMax(value, seq) AS value,',
      '  min(started_at) AS started_at,',
      "  minIf(at, kind = 'firing') AS fired_at,",
      '  max(at) AS last_transition_at',
      'FROM alert_events',
      'WHERE tenant_id = ${tenant:singlequote}',
      'GROUP BY alert_id',
      "HAVING argMax(kind, seq) IN ('firing', 'renotify')",
      'ORDER BY fired_at DESC, alert_id',
    ]), { h: 8, w: 24, x: 0, y: 4 }, {}),
    {
      id: 4, type: 'timeseries', title: 'Transitions over time', datasource: DATASOURCE, gridPos: { h: 8, w: 24, x: 0, y: 12 },
      fieldConfig: { defaults: { unit: 'short', custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal', group: 'A' } } }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom', calcs: [] }, tooltip: { mode: 'multi', sort: 'none' } },
      targets: [target(sql([
        'SELECT $__timeInterval(at) AS time, kind, uniqExact(alert_id, seq) AS transitions',
        'FROM alert_events',
        'WHERE tenant_id = ${tenant:singlequote} AND $__timeFilter(at)',
        'GROUP BY time, kind',
        'ORDER BY time, kind',
      ]), 0)],
    },
    tablePanel(5, 'History', sql([
      'SELECT at AS time, kind, rule_id, kpi, scope_key, value, alert_id, seq',
      'FROM alert_events',
      'WHERE tenant_id = ${tenant:singlequote} AND $__timeFilter(at)',
      'ORDER BY time DESC, alert_id, seq',
      'LIMIT 1 BY alert_id, seq',
      'LIMIT 1000',
    ]), { h: 12, w: 24, x: 0, y: 20 }, {}),
  ];
  return dashboard({
    uid: 'switchboard-alerts', title: 'Switchboard — Alerts',
    description: "Alerts firing now and every transition in the range, from the alerter's alert_events table.",
    time: { from: 'now-7d', to: 'now' },
    variables: [queryVariable('tenant', 'Tenant', 'SELECT DISTINCT tenant_id FROM alert_events ORDER BY tenant_id', { refresh: 1 })],
    panels,
  });
}

export function dashboards() {
  return {
    'queue-overview.json': queueOverview(),
    'agents.json': agentView(),
    'alerts.json': alertsDashboard(),
  };
}

export const render = (d) => `${JSON.stringify(d, null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = join(import.meta.dirname, 'dashboards');
  for (const [name, d] of Object.entries(dashboards())) writeFileSync(join(dir, name), render(d));
}
