// The wallboard page (docs/wallboard.md): reads the public API every few seconds and updates the
// page in place — a tile, a number, a chart's data — so nothing flickers on a wall screen.
// Elements carry data-* attributes with the raw values they show (services/single-node/test/
// wallboard.int.test.ts reads them and compares them with the API).
import './style.css';
import { ApiError, getAlerts, getJson, getTargets, type Credentials, type KpiColumnsAnswer, type KpiPointsAnswer, type RealtimeAnswer, type RealtimeGroup } from './api';
import { TrendChart, type TrendSpec } from './charts';
import {
  TARGETED_KPIS,
  alertsOfQueue,
  formatKpi,
  formatTarget,
  isKnownZone,
  judge,
  optionParams,
  optionsKey,
  queueLabel,
  targetFor,
  tenantTarget,
  tileStatus,
  zonedDay,
  type AlertSummary,
  type OptionValue,
  type Target,
} from './logic';

const KEY_STORE = 'switchboard.wallboard.key';
const TENANT_STORE = 'switchboard.wallboard.tenant';
const DAY_METRICS = ['offered', 'answered', 'abandoned', 'abandonment_rate', 'service_level', 'asa_ms', 'aht_ms'];
const AGENT_STATES: [string, string][] = [['available', 'available'], ['busy', 'busy'], ['after_call_work', 'wrap-up'], ['away', 'away']];
const TRENDS: TrendSpec[] = [
  { kpi: 'offered', label: 'Offered', colour: '#60a5fa' },
  { kpi: 'service_level', label: 'Service level', colour: '#34d399' },
  { kpi: 'asa_ms', label: 'ASA', colour: '#fbbf24' },
  { kpi: 'aht_ms', label: 'AHT', colour: '#c084fc' },
];

const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T => {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`the page lacks ${sel}`);
  return el;
};
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
const iso = (t: number) => new Date(t).toISOString();
/** Writes only what changed: an unchanged text or attribute is not touched, so nothing repaints. */
function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}
function setData(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value;
}

// ---------------------------------------------------------------------------------------------
// State: from the URL (so a wall screen's address says what it shows), else this browser's last choice

const url = new URLSearchParams(location.search);
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const askedZone = url.get('tz');
const state = {
  tenant: url.get('tenant') ?? localStorage.getItem(TENANT_STORE) ?? '',
  queue: url.get('queue') ?? '',
  tz: askedZone && isKnownZone(askedZone) ? askedZone : browserZone,
  refreshMs: Math.min(300, Math.max(1, Number(url.get('refresh')) || 5)) * 1000,
  key: localStorage.getItem(KEY_STORE),
};
const root = document.documentElement;
let refreshes = 0;
let generation = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let waitingForKey = false;

function saveUrl(): void {
  const u = new URL(location.href);
  for (const [k, v] of [['tenant', state.tenant], ['queue', state.queue], ['tz', state.tz === browserZone ? '' : state.tz]] as const) {
    if (v) u.searchParams.set(k, v);
    else u.searchParams.delete(k);
  }
  history.replaceState(null, '', u);
}

// ---------------------------------------------------------------------------------------------
// Controls

const tenantInput = $<HTMLInputElement>('[data-control="tenant"]');
const queueSelect = $<HTMLSelectElement>('[data-control="queue"]');
const tzSelect = $<HTMLSelectElement>('[data-control="tz"]');
const keyForm = $<HTMLFormElement>('[data-key-form]');
const keyInput = $<HTMLInputElement>('input[name="key"]', keyForm);
const message = $('[data-message]');

tenantInput.value = state.tenant;
tenantInput.addEventListener('change', () => {
  state.tenant = tenantInput.value.trim();
  localStorage.setItem(TENANT_STORE, state.tenant);
  state.queue = '';
  // another tenant's queues: the selector starts over with what this one reports
  while (queueSelect.options.length > 1) queueSelect.remove(1);
  queueSelect.value = '';
  saveUrl();
  restart();
});
queueSelect.addEventListener('change', () => {
  state.queue = queueSelect.value;
  saveUrl();
  restart();
});
const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
for (const z of new Set(['UTC', state.tz, browserZone, ...zones])) tzSelect.append(el('option', { value: z }, z));
tzSelect.value = state.tz;
tzSelect.addEventListener('change', () => {
  state.tz = tzSelect.value;
  saveUrl();
  restart();
});
$('[data-key-open]').addEventListener('click', () => showKeyForm(state.key ? 'Replace or forget the API key kept in this browser.' : 'Enter an API key (AUTH_MODE=api_key).'));
keyForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  state.key = key;
  localStorage.setItem(KEY_STORE, key);
  keyInput.value = '';
  keyForm.hidden = true;
  waitingForKey = false;
  restart();
});
$('[data-key-forget]', keyForm).addEventListener('click', () => {
  state.key = null;
  localStorage.removeItem(KEY_STORE);
  keyForm.hidden = true;
  waitingForKey = false;
  restart();
});

function showKeyForm(text: string): void {
  setText($('[data-key-message]', keyForm), text);
  keyForm.hidden = false;
  keyInput.focus();
}

function showMessage(kind: 'error' | 'info' | '', text: string): void {
  setText(message, text);
  setData(message, 'kind', kind);
  message.hidden = text === '';
}

// ---------------------------------------------------------------------------------------------
// One refresh: every request at once, then the page updated in one go

interface Snapshot {
  asOf: string;
  day: { start: number; end: number };
  realtime: Map<string | null, RealtimeGroup>;
  /** today's value per queue and KPI, with each queue's target options applied */
  today: Map<string | null, Record<string, number | null>>;
  targets: Target[];
  targetsServed: boolean;
  alerts: AlertSummary[];
  alertsServed: boolean;
  trend: KpiColumnsAnswer;
  trendTargets: Record<string, Target | undefined>;
}

const qid = (g: Record<string, string | null>) => g.queue_id ?? null;

async function load(creds: Credentials, tz: string, selected: string): Promise<Snapshot> {
  const day = zonedDay(Date.now(), tz);
  const range: [string, string][] = [['from', iso(day.start)], ['to', iso(day.end)], ['tz', tz]];
  const kpis = <T>(metrics: string[], extra: [string, string][]) => getJson<T>('v1/kpis', [['metrics', metrics.join(',')], ...range, ...extra], creds);
  const [rt, daily, targets, alerts] = await Promise.all([
    getJson<RealtimeAnswer>('v1/realtime', [['group_by', 'queue_id']], creds),
    kpis<KpiPointsAnswer>(DAY_METRICS, [['granularity', '1d'], ['group_by', 'queue_id']]),
    getTargets(creds),
    getAlerts(creds),
  ]);
  const today = new Map<string | null, Record<string, number | null>>();
  for (const s of daily.series) today.set(qid(s.group), { ...(s.points[0] as Record<string, number | null>) });
  const realtime = new Map(rt.groups.map((g) => [qid(g.group), g]));
  const queues = [...new Set([...realtime.keys(), ...today.keys()])];

  // a target with KPI options (an SL threshold of 30 s) is measured with them: one request per
  // distinct set of options, for the KPIs that ask for it
  const sets = new Map<string, { options: Record<string, OptionValue>; kpis: Set<string>; queues: Map<string | null, string[]> }>();
  for (const q of queues) {
    for (const kpi of TARGETED_KPIS) {
      const t = targetFor(targets.value.targets, kpi, q);
      if (!t || Object.keys(t.options ?? {}).length === 0) continue;
      const k = optionsKey(t.options);
      const set = sets.get(k) ?? { options: t.options, kpis: new Set<string>(), queues: new Map() };
      set.kpis.add(kpi);
      set.queues.set(q, [...(set.queues.get(q) ?? []), kpi]);
      sets.set(k, set);
    }
  }
  const trendTargets = Object.fromEntries(TRENDS.map((s) => [s.kpi, selected ? targetFor(targets.value.targets, s.kpi, selected) : tenantTarget(targets.value.targets, s.kpi)]));
  const trendOptions = trendTargets.service_level?.options ?? {};
  const [trend, ...withOptions] = await Promise.all([
    kpis<KpiColumnsAnswer>(TRENDS.map((s) => s.kpi), [['granularity', '15m'], ['format', 'columns'], ...(selected ? [['filter.queue_id', selected] as [string, string]] : []), ...optionParams(trendOptions)]),
    ...[...sets.values()].map((s) => kpis<KpiPointsAnswer>([...s.kpis], [['granularity', '1d'], ['group_by', 'queue_id'], ...optionParams(s.options)])),
  ]);
  [...sets.values()].forEach((set, i) => {
    for (const series of withOptions[i]!.series) {
      const q = qid(series.group);
      for (const kpi of set.queues.get(q) ?? []) {
        const row = today.get(q) ?? {};
        row[kpi] = (series.points[0]?.[kpi] as number | null | undefined) ?? null;
        today.set(q, row);
      }
    }
  });
  return {
    asOf: rt.meta.at, day, realtime, today,
    targets: targets.value.targets, targetsServed: targets.served,
    alerts: alerts.value.alerts, alertsServed: alerts.served,
    trend, trendTargets,
  };
}

async function tick(): Promise<void> {
  clearTimeout(timer);
  const mine = ++generation;
  const creds: Credentials = { key: state.key, tenant: state.tenant || null };
  const tz = state.tz;
  const selected = state.queue;
  try {
    const snap = await load(creds, tz, selected);
    if (mine !== generation) return; // a newer refresh (controls changed) owns the page
    render(snap, tz, selected);
    showMessage(!snap.targetsServed || !snap.alertsServed ? 'info' : '', !snap.targetsServed || !snap.alertsServed ? 'Targets and alerts are not served on this address (the alerter runs elsewhere): tiles are coloured by nothing.' : '');
    setData(root, 'state', 'ready');
  } catch (err) {
    if (mine !== generation) return;
    failed(err);
    if (waitingForKey) return; // no point asking again until a key is given
  }
  timer = setTimeout(() => void tick(), state.refreshMs);
}

function restart(): void {
  void tick();
}

function failed(err: unknown): void {
  console.error('wallboard refresh failed', err);
  const shown = root.dataset.asOf ? ` Showing the data as of ${timeIn(root.dataset.asOf, state.tz)}.` : '';
  if (err instanceof ApiError && err.status === 401) {
    waitingForKey = true;
    setData(root, 'state', 'need-key');
    const text = state.key
      ? `The server refused the API key kept in this browser (401: ${err.message}). Enter another key.`
      : `This Switchboard requires an API key (401: ${err.message}). Enter one; it is kept in this browser only.`;
    showMessage('error', text);
    showKeyForm(text);
    return;
  }
  setData(root, 'state', 'error');
  if (err instanceof ApiError && err.status === 403) {
    showMessage('error', `Refused (403): ${err.message}. With an API key the tenant is the key's: clear the Tenant field.${shown}`);
  } else if (err instanceof ApiError) {
    showMessage('error', `${err.path} answered ${err.status}: ${err.message}.${shown}`);
  } else {
    showMessage('error', `Cannot reach the API: ${(err as Error).message}.${shown} Retrying every ${state.refreshMs / 1000} s.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering, in place

function timeIn(isoText: string, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(isoText));
}

interface Tile {
  root: HTMLElement;
  stats: Map<string, HTMLElement>;
  targets: Map<string, HTMLElement>;
  badge: HTMLElement;
}
const tiles = new Map<string, Tile>();
const tilesHost = $('[data-tiles]');
const tileKey = (q: string | null) => (q === null ? '\u0000null' : q);

function stat(parent: HTMLElement, metric: string, label: string, cls: string): HTMLElement {
  const s = el('div', { class: `stat ${cls}`, 'data-metric': metric, 'data-value': 'null' });
  s.append(el('span', { class: 'v' }, '–'), el('span', { class: 'l' }, label));
  parent.append(s);
  return s;
}

function makeTile(q: string | null): Tile {
  const t = el('article', { class: 'tile', 'data-queue': q ?? '', 'data-status': 'none' });
  if (q === null) t.dataset.queueNull = 'true';
  const head = el('header');
  const badge = el('span', { class: 'badge', 'data-alert-count': '0' });
  head.append(el('h2', {}, queueLabel(q)), badge);
  const now = el('div', { class: 'row now' });
  const caption = el('p', { class: 'caption' });
  const agents = el('div', { class: 'row agents' });
  const today = el('div', { class: 'row today' });
  const counts = el('div', { class: 'row counts' });
  t.append(head, now, caption, agents, today, counts);
  const stats = new Map<string, HTMLElement>();
  const targets = new Map<string, HTMLElement>();
  stats.set('contacts_in_queue', stat(now, 'contacts_in_queue', 'in queue', 'big'));
  stats.set('longest_wait_ms', stat(now, 'longest_wait_ms', 'longest wait', 'big'));
  for (const [s, label] of AGENT_STATES) stats.set(`agents.${s}`, stat(agents, `agents.${s}`, label, 'small'));
  stats.set('agents_logged_in', stat(caption, 'agents_logged_in', 'agents logged in', 'inline'));
  for (const [kpi, label] of [['service_level', 'service level'], ['asa_ms', 'ASA'], ['abandonment_rate', 'abandoned']] as const) {
    const s = stat(today, kpi, label, 'kpi');
    s.dataset.judgement = 'none';
    const tgt = el('span', { class: 't', 'data-target': '' }, 'no target');
    s.append(tgt);
    stats.set(kpi, s);
    targets.set(kpi, tgt);
  }
  for (const [kpi, label] of [['offered', 'offered'], ['answered', 'answered'], ['abandoned', 'abandons'], ['aht_ms', 'AHT']] as const) stats.set(kpi, stat(counts, kpi, label, 'small'));
  return { root: t, stats, targets, badge };
}

function setStat(s: HTMLElement, metric: string, value: number | null | undefined): void {
  const v = value ?? null;
  setData(s, 'value', v === null ? 'null' : String(v));
  setText(s.querySelector('.v')!, formatKpi(metric.startsWith('agents') ? 'count' : metric, v));
}

function render(snap: Snapshot, tz: string, selected: string): void {
  refreshes += 1;
  setData(root, 'asOf', snap.asOf);
  setData(root, 'dayStart', iso(snap.day.start));
  setData(root, 'dayEnd', iso(snap.day.end));
  setData(root, 'tz', tz);
  setData(root, 'tenant', state.tenant);
  setData(root, 'queue', selected);
  setData(root, 'refreshes', String(refreshes));
  const asOf = $('[data-clock]');
  setData(asOf, 'value', snap.asOf);
  asOf.setAttribute('datetime', snap.asOf);
  setText(asOf, timeIn(snap.asOf, tz));
  setText($('[data-today]'), new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(snap.day.start)) + ` (${tz})`);

  const queues = [...new Set([...snap.realtime.keys(), ...snap.today.keys()])].sort((a, b) => (a ?? '').localeCompare(b ?? ''));
  // the selector keeps every queue seen since the tenant was chosen (and the selected one)
  const known = new Set([...queueSelect.options].map((o) => o.value));
  for (const q of [...queues, selected || null]) {
    if (q === null || known.has(q)) continue;
    known.add(q);
    const opt = el('option', { value: q }, q);
    const after = [...queueSelect.options].slice(1).find((o) => o.value.localeCompare(q) > 0);
    queueSelect.insertBefore(opt, after ?? null);
  }
  if (queueSelect.value !== selected) queueSelect.value = selected;

  const shown = selected ? [selected] : queues;
  const keep = new Set(shown.map(tileKey));
  for (const [k, t] of tiles) if (!keep.has(k)) { t.root.remove(); tiles.delete(k); }
  shown.forEach((q, i) => {
    let t = tiles.get(tileKey(q));
    if (!t) { t = makeTile(q); tiles.set(tileKey(q), t); }
    if (tilesHost.children[i] !== t.root) tilesHost.insertBefore(t.root, tilesHost.children[i] ?? null);
    const rt = snap.realtime.get(q);
    const day = snap.today.get(q) ?? {};
    setStat(t.stats.get('contacts_in_queue')!, 'contacts_in_queue', rt?.contacts_in_queue ?? 0);
    setStat(t.stats.get('longest_wait_ms')!, 'longest_wait_ms', rt?.longest_wait_ms ?? null);
    for (const [s] of AGENT_STATES) setStat(t.stats.get(`agents.${s}`)!, `agents.${s}`, rt?.agents[s] ?? 0);
    setStat(t.stats.get('agents_logged_in')!, 'agents_logged_in', rt?.agents_logged_in ?? 0);
    for (const kpi of ['offered', 'answered', 'abandoned', 'aht_ms']) setStat(t.stats.get(kpi)!, kpi, day[kpi] ?? (kpi === 'aht_ms' ? null : 0));
    const judgements = TARGETED_KPIS.map((kpi) => {
      const s = t.stats.get(kpi)!;
      const target = targetFor(snap.targets, kpi, q);
      const value = day[kpi] ?? null;
      setStat(s, kpi, value);
      const j = judge(value, target);
      setData(s, 'judgement', j);
      const label = t.targets.get(kpi)!;
      setData(label, 'target', target ? `${target.comparison} ${target.threshold}` : '');
      setData(label, 'targetId', target?.id ?? '');
      setText(label, target ? `target ${formatTarget(target)}` : 'no target');
      return j;
    });
    const alerts = alertsOfQueue(snap.alerts, q);
    const firing = alerts.filter((a) => a.state === 'firing').length;
    setData(t.badge, 'alertCount', String(alerts.length));
    setText(t.badge, alerts.length === 0 ? '' : firing > 0 ? `${firing} firing` : `${alerts.length} pending`);
    setData(t.root, 'status', tileStatus(judgements, alerts));
  });
  setText($('[data-tiles-empty]'), shown.length === 0 ? 'No queue has reported anything today.' : '');

  renderAlerts(snap, tz);
  renderTrends(snap, tz);
}

const alertItems = new Map<string, HTMLElement>();
function renderAlerts(snap: Snapshot, tz: string): void {
  const list = $('[data-alerts]');
  const active = [...snap.alerts].filter((a) => a.state === 'firing' || a.state === 'pending')
    .sort((a, b) => (a.state === b.state ? a.started_at.localeCompare(b.started_at) : a.state === 'firing' ? -1 : 1));
  const keep = new Set(active.map((a) => a.alert_id));
  for (const [id, li] of alertItems) if (!keep.has(id)) { li.remove(); alertItems.delete(id); }
  active.forEach((a, i) => {
    let li = alertItems.get(a.alert_id);
    if (!li) {
      li = el('li', { 'data-alert-id': a.alert_id });
      li.append(el('span', { class: 'state' }), el('span', { class: 'name' }), el('span', { class: 'scope' }), el('span', { class: 'value' }), el('span', { class: 'since' }));
      alertItems.set(a.alert_id, li);
    }
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
    setData(li, 'state', a.state);
    setData(li, 'queue', a.scope?.queue_id ?? '');
    setText($('.state', li), a.state);
    setText($('.name', li), a.rule_name || a.rule_id);
    setText($('.scope', li), Object.entries(a.scope ?? {}).map(([k, v]) => `${k}=${v ?? 'null'}`).join(' ') || 'all');
    setText($('.value', li), `${a.kpi} ${formatKpi(a.kpi, a.last_value)} (breach ${formatTarget({ kpi: a.kpi, comparison: a.comparison, threshold: a.threshold })})`);
    setText($('.since', li), `since ${timeIn(a.fired_at ?? a.started_at, tz)}`);
  });
  const firing = active.filter((a) => a.state === 'firing').length;
  const count = $('[data-alert-total]');
  setData(count, 'value', String(active.length));
  setText(count, active.length === 0 ? 'none' : `${firing} firing, ${active.length - firing} pending`);
}

const charts = new Map<string, TrendChart>();
function renderTrends(snap: Snapshot, tz: string): void {
  const x = snap.trend.windows.map((w) => Date.parse(w) / 1000);
  const nowS = Date.parse(snap.asOf) / 1000;
  const series = snap.trend.series[0];
  setText($('[data-trend-scope]'), state.queue ? `queue ${state.queue}` : 'all queues');
  for (const spec of TRENDS) {
    const fig = $<HTMLElement>(`[data-chart="${spec.kpi}"]`);
    let chart = charts.get(spec.kpi);
    if (!chart) { chart = new TrendChart(spec, $('.plot', fig)); charts.set(spec.kpi, chart); }
    // windows not yet begun are left empty, so the line stops at now
    const raw = series?.values[spec.kpi] ?? x.map(() => (spec.kpi === 'offered' ? 0 : null));
    const y = raw.map((v, i) => (x[i]! > nowS ? null : v ?? null));
    setData(fig, 'values', JSON.stringify(raw));
    setData(fig, 'windows', String(x.length));
    chart.update(x, y, snap.trendTargets[spec.kpi]?.threshold ?? null, tz);
  }
}

setData(root, 'state', 'loading');
void tick();
