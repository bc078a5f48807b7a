import type { FastifyInstance, FastifyReply } from 'fastify';
import YAML from 'yaml';
import { DIMENSIONS, parseInstant } from '@switchboard/kpi';
import { maskUrl, urlProblem, type Cidr, type TenantResolver } from '@switchboard/service-kit';
import type { Alerter } from './alerter';
import { ID_RE, InvalidRule, REDACTED, parseRule, publicRule, type AlertRule, type FieldProblem } from './rules';
import type { AlertFilters, AlertRecord } from './store';

export interface AlerterRouteDeps {
  alerter: Alerter;
  tenantOf: TenantResolver;
}

const invalid = (reply: FastifyReply, error: string, details: FieldProblem[] | { param: string; reason: string }[]) => reply.code(400).send({ error, details });

/**
 * A PUT that sends back what GET showed keeps what is stored: the masked URL (`origin/***`) of
 * a stored webhook stands for its URL (the one at the same position when several share the
 * origin), the redacted secret for its secret.
 */
function keepSecrets(body: unknown, old: AlertRule | undefined): unknown {
  if (!old || typeof body !== 'object' || body === null || !Array.isArray((body as { notify?: unknown }).notify)) return body;
  const notify = (body as { notify: Record<string, unknown>[] }).notify.map((w, i) => {
    if (typeof w !== 'object' || w === null) return w;
    let url = w.url;
    if (typeof url === 'string' && url.endsWith('/***')) {
      const same = old.spec.notify.filter((o) => maskUrl(o.url) === url);
      const at = old.spec.notify[i];
      url = at && maskUrl(at.url) === url ? at.url : same[0]?.url ?? url;
    }
    const prev = old.spec.notify.find((o) => o.url === url);
    return { ...w, url, ...(w.secret === REDACTED ? { secret: prev?.secret } : {}) };
  });
  return { ...body, notify };
}

/** Webhooks that may never be reached: an internal address in the URL (names are checked again on every connect). */
function webhookProblems(rule: AlertRule, allow: readonly Cidr[], prefix = ''): FieldProblem[] {
  return rule.spec.notify.flatMap((w, i) => {
    const problem = urlProblem(w.url, allow);
    return problem ? [{ field: `${prefix}notify.${i}.url`, reason: `${problem}: webhooks reach public addresses only (ALERTER_WEBHOOK_ALLOW lists private ranges of on-premises receivers)` }] : [];
  });
}

function alertSummary(a: AlertRecord, withEvents: boolean): Record<string, unknown> {
  const first = a.events[0]!;
  const last = a.events.at(-1)!;
  const firing = a.events.find((e) => e.kind === 'firing');
  const ended = a.state === 'resolved' || a.state === 'cancelled' ? last : null;
  return {
    alert_id: a.alert_id,
    state: a.state,
    tenant_id: last.tenant_id,
    rule_id: last.rule_id,
    rule_name: last.rule_name,
    kpi: last.kpi,
    kpi_options: last.kpi_options,
    scope: last.scope,
    comparison: last.comparison,
    threshold: last.threshold,
    recovery_threshold: last.recovery_threshold,
    started_at: first.started_at,
    fired_at: firing?.at ?? null,
    ended_at: ended?.at ?? null,
    last_value: last.value,
    last_transition: { kind: last.kind, seq: last.seq, at: last.at, reason: last.reason },
    link: last.link,
    ...(withEvents ? { events: a.events } : {}),
  };
}

const ALERT_PARAMS = new Set(['state', 'rule_id', 'kpi', 'from', 'to', 'limit', 'include']);

function parseAlertFilters(raw: Record<string, unknown>): { filters: AlertFilters; events: boolean } | { param: string; reason: string }[] {
  const problems: { param: string; reason: string }[] = [];
  const one = (k: string): string | undefined => {
    const v = raw[k];
    if (Array.isArray(v)) { problems.push({ param: k, reason: 'given more than once' }); return undefined; }
    return v === undefined ? undefined : String(v);
  };
  const scope: Record<string, string> = {};
  for (const k of Object.keys(raw)) {
    if (ALERT_PARAMS.has(k)) continue;
    if (k.startsWith('filter.') && (DIMENSIONS as readonly string[]).includes(k.slice(7))) { scope[k.slice(7)] = one(k) ?? ''; continue; }
    problems.push({ param: k, reason: k.startsWith('filter.') ? `unknown dimension; one of ${DIMENSIONS.join(', ')}` : `unknown parameter; one of ${[...ALERT_PARAMS].join(', ')}, filter.<dimension>` });
  }
  const state = one('state') ?? 'all';
  if (!['active', 'resolved', 'all'].includes(state)) problems.push({ param: 'state', reason: 'must be active, resolved or all' });
  const time = (k: string) => {
    const v = one(k);
    if (v === undefined) return undefined;
    const t = parseInstant(v);
    if (typeof t === 'number') return t;
    problems.push({ param: k, reason: t.reason });
    return NaN;
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && to <= from) problems.push({ param: 'to', reason: 'must be after from' });
  const limitRaw = one('limit') ?? '100';
  const limit = Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.push({ param: 'limit', reason: 'must be a whole number from 1 to 1000' });
  const include = one('include');
  if (include !== undefined && include !== 'events') problems.push({ param: 'include', reason: 'only "events" (every transition of each alert)' });
  if (problems.length) return problems;
  return {
    filters: { state: state as AlertFilters['state'], rule_id: one('rule_id'), kpi: one('kpi'), scope, from, to, limit },
    events: include === 'events',
  };
}

/**
 * GET/PUT/DELETE /v1/alert-rules[/:id] and GET /v1/alerts. Rules from the rules file are
 * listed (source "file") but read-only here. Every validation problem comes back at once as
 * 400 {error, details: [{field, reason}]}.
 */
/** Request bodies may be YAML too, like the rules file (registered per route scope). */
export function acceptYaml(scope: FastifyInstance): void {
  scope.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, YAML.parse(body as string));
    } catch (err) {
      done(Object.assign(new Error(`invalid YAML: ${(err as Error).message}`), { statusCode: 400 }), undefined);
    }
  });
}

export function registerAlerterRoutes(app: FastifyInstance, deps: AlerterRouteDeps): void {
  const { alerter } = deps;
  app.register(async (scope) => {
    acceptYaml(scope);

    scope.get('/v1/alert-rules', async (req) => {
      const tenant = deps.tenantOf(req).tenant;
      return { rules: (await alerter.rules(tenant)).map(publicRule) };
    });

    scope.get<{ Params: { id: string } }>('/v1/alert-rules/:id', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const rule = (await alerter.rules(tenant)).find((r) => r.spec.id === req.params.id);
      if (!rule) return reply.code(404).send({ error: `no alert rule "${req.params.id}"` });
      return publicRule(rule);
    });

    scope.put<{ Params: { id: string } }>('/v1/alert-rules/:id', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const { id } = req.params;
      if (!ID_RE.test(id)) return invalid(reply, 'invalid rule', [{ field: 'id', reason: 'must be 1–128 letters, digits, _ . -, starting with a letter or digit' }]);
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return invalid(reply, 'invalid rule', [{ field: '(body)', reason: 'must be one rule as a JSON (or YAML) object' }]);
      const body = req.body as Record<string, unknown>;
      if (body.id !== undefined && body.id !== id) return invalid(reply, 'invalid rule', [{ field: 'id', reason: `"${String(body.id)}" differs from the id in the path ("${id}")` }]);
      if (alerter.fileRule(tenant, id)) return reply.code(409).send({ error: `rule "${id}" comes from the rules file (ALERT_RULES_FILE) and is read-only over HTTP` });
      const existing = (await alerter.rules(tenant)).find((r) => r.spec.id === id);
      let rule: AlertRule;
      try {
        rule = parseRule(keepSecrets({ ...body, id }, existing), tenant);
      } catch (err) {
        if (err instanceof InvalidRule) return invalid(reply, 'invalid rule', err.problems);
        throw err;
      }
      const refused = webhookProblems(rule, alerter.webhookAllow);
      if (refused.length) return invalid(reply, 'invalid rule', refused);
      await alerter.alerts.putConfig('rule', tenant, id, rule.spec);
      return reply.code(existing ? 200 : 201).send(publicRule(rule));
    });

    // Replaces every HTTP-managed rule of the tenant at once (the rules file's are untouched).
    scope.put('/v1/alert-rules', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const list = Array.isArray(req.body) ? req.body : (req.body as { rules?: unknown } | null)?.rules;
      if (!Array.isArray(list)) return invalid(reply, 'invalid rules', [{ field: '(body)', reason: 'must be a list of rules, or {rules: [...]}' }]);
      const existing = await alerter.rules(tenant);
      const problems: FieldProblem[] = [];
      const rules: AlertRule[] = [];
      const ids = new Set<string>();
      list.forEach((raw, i) => {
        try {
          const id = (raw as { id?: unknown })?.id;
          const r = parseRule(keepSecrets(raw, existing.find((e) => e.spec.id === id)), tenant);
          if (ids.has(r.spec.id)) problems.push({ field: `${i}.id`, reason: `duplicate rule id "${r.spec.id}"` });
          problems.push(...webhookProblems(r, alerter.webhookAllow, `${i}.`));
          if (alerter.fileRule(tenant, r.spec.id)) problems.push({ field: `${i}.id`, reason: `"${r.spec.id}" is defined in the rules file` });
          ids.add(r.spec.id);
          rules.push(r);
        } catch (err) {
          if (!(err instanceof InvalidRule)) throw err;
          for (const p of err.problems) problems.push({ field: `${i}.${p.field}`, reason: p.reason });
        }
      });
      if (problems.length) return invalid(reply, 'invalid rules', problems);
      const version = alerter.alerts.nextVersion();
      for (const r of rules) await alerter.alerts.putConfig('rule', tenant, r.spec.id, r.spec, version);
      for (const old of existing) if (old.source === 'api' && !ids.has(old.spec.id)) await alerter.alerts.deleteConfig('rule', tenant, old.spec.id, version);
      return { rules: (await alerter.rules(tenant)).map(publicRule) };
    });

    scope.delete<{ Params: { id: string } }>('/v1/alert-rules/:id', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const { id } = req.params;
      if (alerter.fileRule(tenant, id)) return reply.code(409).send({ error: `rule "${id}" comes from the rules file (ALERT_RULES_FILE) and is read-only over HTTP` });
      const existing = (await alerter.rules(tenant)).find((r) => r.spec.id === id);
      if (!existing) return reply.code(404).send({ error: `no alert rule "${id}"` });
      await alerter.alerts.deleteConfig('rule', tenant, id);
      return reply.code(204).send();
    });

    scope.get('/v1/alerts', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const parsed = parseAlertFilters(req.query as Record<string, unknown>);
      if (Array.isArray(parsed)) return invalid(reply, 'invalid query', parsed);
      const alerts = await alerter.alerts.listAlerts(tenant, parsed.filters);
      return { alerts: alerts.map((a) => alertSummary(a, parsed.events)) };
    });
  });
}
