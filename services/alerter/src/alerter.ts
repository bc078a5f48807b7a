import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Cidr } from '@switchboard/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import YAML from 'yaml';
import { KPI_BY_ID } from '@switchboard/kpi';
import { readKpis } from '@switchboard/warehouse';
import type { Store } from '@switchboard/warehouse';
import type { Component } from '@switchboard/service-kit';
import { toAlertEvent, type AlertEvent } from './events';
import { Leadership } from './leader';
import { Notifier, type NotifierOptions } from './notifier';
import { AlertPublisher } from './publisher';
import { InvalidRule, alertIdOf, parseRule, scopeKey, type AlertRule, type Scope, type Webhook } from './rules';
import { NOTIFYING, logicOf, step, type AlertState, type Transition } from './state-machine';
import { AlertStore } from './store';

export interface AlerterConfig {
  /** the alerts.v1 topic: transitions are published there, and its consumer group elects the leader */
  alertsTopic: string;
  groupId: string;
  sessionTimeoutMs: number;
  /** how long after a minute closes its data is taken as complete (aggregator flush + margin) */
  freshnessMs: number;
  /** base of the /v1/kpis links in notifications (a function when known only once HTTP listens) */
  linkBaseUrl: string | (() => string);
  /** YAML or JSON list of rules (or {rules: [...]}) loaded at start, read-only over HTTP */
  rulesFile?: string;
  defaultTenant: string;
  /** undelivered notifications younger than this are sent at start */
  outboxMs: number;
  notifier: NotifierOptions;
}

export interface AlerterDeps {
  kafka: Kafka;
  store: Store;
  log: Logger;
  metrics: Registry;
  config: AlerterConfig;
  /** the clock evaluations read; tests inject one */
  now?: () => number;
  /** evaluate on each minute boundary + freshness by itself (default); tests call tick() */
  schedule?: boolean;
}

interface Tracked {
  state: AlertState;
  /** the rule as last evaluated: its webhooks get the closing notification if it is deleted */
  rule: AlertRule | null;
  scope: Scope;
  key: string;
  tenant: string;
  ruleId: string;
  /** the alert's last transition, to close it if its rule goes away */
  last: AlertEvent;
}

const MINUTE = 60_000;

/** Reads a rules file: a YAML/JSON list of rules, or {rules: [...]}. Every problem names the rule and field. */
export function loadRulesFile(path: string, defaultTenant: string): AlertRule[] {
  const doc = YAML.parse(readFileSync(path, 'utf8')) as unknown;
  const list = Array.isArray(doc) ? doc : (doc as { rules?: unknown })?.rules;
  if (!Array.isArray(list)) throw new Error(`${path}: expected a list of rules (or {rules: [...]})`);
  const problems: string[] = [];
  const rules: AlertRule[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const { id, tenant } = (raw ?? {}) as { id?: unknown; tenant?: unknown };
    const k = `${typeof tenant === 'string' ? tenant : defaultTenant}/${String(id)}`;
    if (id !== undefined && seen.has(k)) problems.push(`rules[${i}].id: duplicate rule id ${String(id)}`);
    seen.add(k);
    try {
      rules.push(parseRule(raw, defaultTenant, 'file'));
    } catch (err) {
      if (!(err instanceof InvalidRule)) throw err;
      for (const p of err.problems) problems.push(`rules[${i}]${(raw as { id?: string })?.id ? ` (${(raw as { id: string }).id})` : ''}.${p.field}: ${p.reason}`);
    }
  });
  if (problems.length) throw new Error(`invalid rules file ${path}:\n  ${problems.join('\n  ')}`);
  return rules;
}

/**
 * The alerter: evaluates every rule over its sliding window once per closed minute (plus the
 * freshness delay), steps each alert's state machine, and for every transition: stores it
 * (alert_events), then publishes it (alerts.v1), then notifies (webhooks). Only the leader of
 * the alerter consumer group evaluates; a new leader first rebuilds the state of every pending
 * or firing alert from alert_events and sends what the outbox still holds.
 */
export class Alerter {
  readonly alerts: AlertStore;
  readonly notifier: Notifier;
  readonly leadership: Leadership;
  private readonly publisher: AlertPublisher;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly fileRules: AlertRule[];
  private readonly tracked = new Map<string, Tracked>();
  private lastBoundary = -Infinity;
  /** changes with every leadership change: an evaluation that spans one applies nothing */
  private epoch = 0;
  private restored: Promise<void> | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private publishing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly evaluations: Counter;
  private readonly transitionsTotal: Counter<'kind'>;
  private readonly evalSeconds: Histogram;
  private readonly active: Gauge<'phase'>;

  /** private ranges webhooks may reach (ALERTER_WEBHOOK_ALLOW) */
  get webhookAllow(): readonly Cidr[] {
    return this.deps.config.notifier.allow ?? [];
  }

  constructor(private readonly deps: AlerterDeps) {
    const cfg = deps.config;
    this.log = deps.log.child({ component: 'alerter' });
    this.now = deps.now ?? Date.now;
    this.alerts = new AlertStore(deps.store.client);
    this.fileRules = cfg.rulesFile ? loadRulesFile(cfg.rulesFile, cfg.defaultTenant) : [];
    this.notifier = new Notifier(this.alerts, { now: this.now, ...cfg.notifier }, this.log, deps.metrics);
    this.publisher = new AlertPublisher(deps.kafka, cfg.alertsTopic, this.log, deps.metrics);
    this.leadership = new Leadership(
      deps.kafka,
      { groupId: cfg.groupId, topic: cfg.alertsTopic, sessionTimeoutMs: cfg.sessionTimeoutMs, onChange: (l) => this.onLeadership(l) },
      this.log,
    );
    const registers = [deps.metrics];
    this.evaluations = new Counter({ name: 'switchboard_alerter_evaluations_total', help: 'Rule evaluations (one per rule and closed minute)', registers });
    this.transitionsTotal = new Counter({ name: 'switchboard_alerter_transitions_total', help: 'Alert transitions, by kind', labelNames: ['kind'], registers });
    this.evalSeconds = new Histogram({ name: 'switchboard_alerter_evaluation_seconds', help: 'Time to evaluate every rule for one minute', registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    this.active = new Gauge({ name: 'switchboard_alerter_active_alerts', help: 'Alerts pending or firing (on the leader)', labelNames: ['phase'], registers });
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /** True once this replica leads and has rebuilt its state: ticks evaluate from then on. */
  async ready(): Promise<boolean> {
    if (!this.isLeader || !this.restored) return false;
    await this.restored;
    return this.isLeader;
  }

  /** Rules of every tenant (or one): the file's, then those stored over HTTP (a file rule wins an id clash). */
  async rules(tenant?: string): Promise<AlertRule[]> {
    const file = this.fileRules.filter((r) => tenant === undefined || r.tenant === tenant);
    const taken = new Set(file.map((r) => `${r.tenant}/${r.spec.id}`));
    const stored: AlertRule[] = [];
    for (const row of await this.alerts.listConfig('rule', tenant)) {
      if (taken.has(`${row.tenant}/${row.id}`)) continue;
      try {
        stored.push(parseRule(row.body, row.tenant, 'api'));
      } catch (err) {
        this.log.error({ err, tenant: row.tenant, rule: row.id }, 'stored rule no longer valid; skipped');
      }
    }
    return [...file, ...stored];
  }

  fileRule(tenant: string, id: string): AlertRule | undefined {
    return this.fileRules.find((r) => r.tenant === tenant && r.spec.id === id);
  }

  private onLeadership(leader: boolean): void {
    this.epoch++;
    if (!leader) this.notifier.halt();
    if (leader) {
      this.restored = this.restore().catch((err) => {
        this.log.error({ err }, 'state rebuild failed; retrying at the next tick');
        this.restored = null;
      });
      return;
    }
    this.restored = null;
    this.tracked.clear();
    this.lastBoundary = -Infinity;
    this.active.reset();
  }

  /** Rebuilds every pending/firing alert from its last stored transition, then drains the outbox. */
  private async restore(): Promise<void> {
    const active = await this.alerts.activeAlerts();
    this.tracked.clear();
    for (const e of active) {
      const id = trackKey(e.tenant_id, e.rule_id, e.scope_key);
      const prev = this.tracked.get(id);
      if (prev && Date.parse(prev.last.started_at) > Date.parse(e.started_at)) continue;
      const at = Date.parse(e.at);
      const firing = e.kind !== 'pending';
      this.tracked.set(id, {
        tenant: e.tenant_id, ruleId: e.rule_id, scope: e.scope, key: e.scope_key, last: e, rule: null,
        state: {
          phase: firing ? 'firing' : 'pending', alertId: e.alert_id, seq: e.seq, startedAt: Date.parse(e.started_at),
          firedAt: e.fired_at ? Date.parse(e.fired_at) : null,
          // a pending count between transitions is not stored: it restarts from the pending event's one
          breaches: 1, recoveries: 0, lastNotifiedAt: firing ? at : null, lastEvaluatedAt: at,
        },
      });
    }
    this.updateGauge();
    const rules = await this.rules();
    const outbox = await this.alerts.outbox(this.now() - this.deps.config.outboxMs);
    let resent = 0;
    for (const { event, done } of outbox) {
      const hooks = rules.find((r) => r.tenant === event.tenant_id && r.spec.id === event.rule_id)?.spec.notify ?? [];
      if (hooks.some((_, i) => !done.includes(i))) {
        resent++;
        void this.notifier.enqueue(event, hooks, done);
      }
    }
    this.log.info({ active: this.tracked.size, outbox: resent }, 'alert state rebuilt from alert_events');
  }

  /**
   * Evaluates the last closed minute if it has not been: the minute boundary at or before
   * now − freshness. Serialized; a failed evaluation (store down) is retried at the next tick.
   */
  tick(now = this.now()): Promise<number | null> {
    const run = this.lock.catch(() => undefined).then(async () => {
      if (this.stopped || !(await this.ready())) return null;
      const boundary = Math.floor((now - this.deps.config.freshnessMs) / MINUTE) * MINUTE;
      if (boundary <= this.lastBoundary) return null;
      if (!(await this.evaluate(boundary))) return null;
      this.lastBoundary = boundary;
      return boundary;
    });
    this.lock = run;
    return run;
  }

  /** Evaluates every rule over the window ending at `at` (a minute boundary); false when leadership changed meanwhile. */
  private async evaluate(at: number): Promise<boolean> {
    const epoch = this.epoch;
    const end = this.evalSeconds.startTimer();
    const rules = await this.rules();
    const results: { t: Transition; rule: AlertRule | null; track: Tracked; id: string; next: AlertState | null; reason: string | null }[] = [];
    const touched = new Set<string>();
    const link = this.deps.config.linkBaseUrl;
    const base = typeof link === 'string' ? link : safe(link);
    for (const rule of rules) {
      if (!rule.spec.enabled) continue;
      const logic = logicOf(rule);
      const { kpi, sample_kpi: sampleKpi, each, scope } = rule.spec;
      const series = await readKpis(
        this.deps.store.client,
        rule.tenant,
        {
          kpis: [...new Set([kpi, sampleKpi])].map((k) => KPI_BY_ID.get(k)!),
          from: at - rule.windowMs,
          to: at,
          granularity: '1m',
          groupBy: each ? [each] : [],
          filters: Object.fromEntries(Object.entries(scope).map(([d, v]) => [d, [v]])),
          options: rule.options,
        },
        { merge: true },
      );
      this.evaluations.inc();
      const observed = new Map<string, { scope: Scope; value: number | null; sample: number }>();
      for (const s of series) {
        const full: Scope = { ...scope, ...(each ? { [each]: s.group[each] ?? null } : {}) };
        const p = s.points[0]!;
        observed.set(scopeKey(full), { scope: full, value: p[kpi] as number | null, sample: Number(p[sampleKpi] ?? 0) });
      }
      // alerts of this rule without data this time: an empty observation holds their state
      for (const tr of this.tracked.values()) {
        if (tr.tenant === rule.tenant && tr.ruleId === rule.spec.id && !observed.has(tr.key)) observed.set(tr.key, { scope: tr.scope, value: null, sample: 0 });
      }
      for (const [key, o] of observed) {
        const id = trackKey(rule.tenant, rule.spec.id, key);
        touched.add(id);
        const prev = this.tracked.get(id);
        const r = step(logic, prev?.state ?? null, { at, value: o.value, sample: o.sample }, (started) => alertIdOf(rule.tenant, rule.spec.id, key, started));
        const track: Tracked = prev ? { ...prev, rule } : { tenant: rule.tenant, ruleId: rule.spec.id, scope: o.scope, key, last: null as unknown as AlertEvent, state: r.state!, rule };
        if (r.transitions.length === 0) {
          if (prev && r.state) {
            prev.state = r.state;
            prev.rule = rule;
          }
          continue;
        }
        for (const t of r.transitions) results.push({ t, rule, track, id, next: r.state, reason: null });
      }
    }
    // alerts whose rule was deleted or disabled: closed, with the reason
    for (const [id, tr] of this.tracked) {
      if (touched.has(id)) continue;
      const rule = rules.find((r) => r.tenant === tr.tenant && r.spec.id === tr.ruleId) ?? null;
      const firing = tr.state.phase === 'firing';
      const t: Transition = {
        kind: firing ? 'resolved' : 'cancelled', alertId: tr.state.alertId, seq: tr.state.seq + 1, at, value: null, sample: 0,
        startedAt: tr.state.startedAt, firedAt: tr.state.firedAt,
      };
      results.push({ t, rule, track: tr, id, next: null, reason: rule ? 'rule disabled' : 'rule deleted' });
    }

    const events = results.map(({ t, rule, track, reason }) =>
      rule ? toAlertEvent(rule, track.scope, track.key, t, base, reason) : closeEvent(track.last, t, reason!),
    );
    // durable first: a transition that is not stored is not applied, and the minute is evaluated again
    await this.alerts.insertEvents(events);
    if (epoch !== this.epoch) {
      // leadership changed meanwhile: the new leader rebuilds from what is stored (ids are
      // deterministic, so it finds these transitions or writes the same ones) and notifies
      this.publishLater(events);
      end();
      return false;
    }
    results.forEach(({ id, track, next }, i) => {
      if (next) this.tracked.set(id, { ...track, state: next, last: events[i]! });
      else this.tracked.delete(id);
      this.transitionsTotal.inc({ kind: events[i]!.kind });
    });
    this.updateGauge();
    if (events.length) {
      this.log.info({ at: new Date(at).toISOString(), transitions: events.map((e) => `${e.rule_id}[${e.scope_key}] ${e.kind}`) }, 'alert transitions');
      this.publishLater(events);
      results.forEach(({ rule }, i) => {
        const e = events[i]!;
        // a deleted rule's closing notification goes to the webhooks it had
        const hooks: Webhook[] = (rule ?? results[i]!.track.rule)?.spec.notify ?? [];
        if (NOTIFYING.has(e.kind) && hooks.length) void this.notifier.enqueue(e, hooks);
      });
    }
    end();
    return true;
  }

  /** Kafka publication after the store write, retried with capped backoff until it lands or the alerter stops. */
  private publishLater(events: AlertEvent[]): void {
    this.publishing = this.publishing.then(async () => {
      for (let delay = 500; !this.stopped; delay = Math.min(delay * 2, 30_000)) {
        try {
          await this.publisher.publish(events);
          return;
        } catch (err) {
          this.log.warn({ err, n: events.length }, 'alert transitions not published to Kafka; retrying');
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    });
  }

  /** Resolves once every queued publication and notification is done. */
  async idle(): Promise<void> {
    await this.lock.catch(() => undefined);
    await this.publishing;
    await this.notifier.idle();
  }

  private updateGauge(): void {
    this.active.reset();
    for (const t of this.tracked.values()) this.active.inc({ phase: t.state.phase });
  }

  private schedule(): void {
    if (this.stopped || this.deps.schedule === false) return;
    const now = this.now();
    const fresh = this.deps.config.freshnessMs;
    const next = (Math.floor((now - fresh) / MINUTE) + 1) * MINUTE + fresh;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick().catch((err) => this.log.error({ err }, 'evaluation failed; retried at the next minute')).finally(() => this.schedule());
    }, Math.max(0, next - now) + 5);
  }

  /** Publisher before leadership (a leader can publish at once); scheduler last. Stopping reverses it. */
  components(): Component[] {
    return [
      { name: 'alerter-publisher', start: () => this.publisher.start(), stop: () => this.publisher.stop() },
      {
        name: 'alerter-notifier',
        start: async () => undefined,
        stop: () => this.notifier.stop(),
      },
      { name: 'alerter-leadership', start: () => this.leadership.start(), stop: () => this.leadership.stop() },
      {
        name: 'alerter-scheduler',
        start: async () => {
          this.stopped = false;
          this.schedule();
        },
        stop: async () => {
          this.stopped = true;
          if (this.timer) clearTimeout(this.timer);
          await this.lock.catch(() => undefined);
          await this.publishing;
        },
      },
    ];
  }
}

/** A base URL known only once HTTP listens: '' (a relative link) until then. */
function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return '';
  }
}

const trackKey = (tenant: string, ruleId: string, key: string) => `${tenant}\u001f${ruleId}\u001f${key}`;

/** The closing transition of an alert whose rule is gone: the last event with the new kind, seq and time. */
function closeEvent(last: AlertEvent, t: Transition, reason: string): AlertEvent {
  return {
    ...last, event_id: `${t.alertId}:${t.seq}`, kind: t.kind, seq: t.seq, at: new Date(t.at).toISOString(),
    value: null, sample: 0, reason,
  };
}
