import type { FastifyInstance, FastifyReply } from 'fastify';
import { CALENDAR_ID_RE, mappingProblems, parseSlaPolicyList, slaVersionAt, tenantCalendarSchema, zodProblems, type ConfigProblem } from '@switchboard/kpi';
import type { TenantResolver } from '@switchboard/service-kit';
import { rawMapping, type BusinessConfigBook, type BusinessConfigStore, type CalendarEntry, type SlaEntry } from '@switchboard/warehouse';
import { acceptYaml } from './routes';

// The tenants' business configuration over HTTP (docs/business-hours.md, "Managing calendars";
// docs/sla.md): calendars with their queue mapping, and the ordered SLA policy list, whose every
// change is a new version. What the files define (CALENDARS_FILE, SLA_POLICIES_FILE) is listed
// but read-only here. Every validation problem comes back at once: 400 {error, details: [{field, reason}]}.

export interface BusinessRouteDeps {
  book: BusinessConfigBook;
  store: BusinessConfigStore;
  tenantOf: TenantResolver;
  now?: () => number;
}

const invalid = (reply: FastifyReply, error: string, details: ConfigProblem[]) => reply.code(400).send({ error, details });
const iso = (ms: number) => (ms <= -8.64e15 ? null : new Date(ms).toISOString());

const publicCalendar = (c: CalendarEntry) => ({ id: c.id, source: c.source, ...c.calendar });
const publicVersion = (v: SlaEntry) => ({ effective_from: iso(v.effective_from), source: v.source, policies: v.policies });

export function registerBusinessRoutes(app: FastifyInstance, deps: BusinessRouteDeps): void {
  const { book, store } = deps;
  const now = deps.now ?? Date.now;
  const fresh = () => book.refresh(true);

  app.register(async (scope) => {
    acceptYaml(scope);

    scope.get('/v1/calendars', async (req) => {
      const tenant = deps.tenantOf(req).tenant;
      await fresh();
      return { calendars: book.calendars(tenant).map(publicCalendar) };
    });

    scope.get<{ Params: { id: string } }>('/v1/calendars/:id', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      await fresh();
      const found = book.calendars(tenant).find((c) => c.id === req.params.id);
      if (!found) return reply.code(404).send({ error: `no calendar "${req.params.id}"` });
      return publicCalendar(found);
    });

    scope.put<{ Params: { id: string } }>('/v1/calendars/:id', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const { id } = req.params;
      if (!CALENDAR_ID_RE.test(id)) return invalid(reply, 'invalid calendar', [{ field: 'id', reason: 'must be 1–128 letters, digits, _ . -, starting with a letter or digit' }]);
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return invalid(reply, 'invalid calendar', [{ field: '(body)', reason: 'must be one calendar as a JSON (or YAML) object' }]);
      if (book.fileCalendar(tenant, id)) return reply.code(409).send({ error: `calendar "${id}" comes from the calendars file (CALENDARS_FILE) and is read-only over HTTP` });
      const { id: bodyId, ...body } = req.body as Record<string, unknown>;
      const problems: ConfigProblem[] = [];
      if (bodyId !== undefined && bodyId !== id) problems.push({ field: 'id', reason: `"${String(bodyId)}" differs from the id in the path ("${id}")` });
      const parsed = tenantCalendarSchema.safeParse(body);
      if (!parsed.success) problems.push(...zodProblems(parsed.error));
      await fresh();
      const others = book.calendars(tenant).map((c) => ({ id: c.id, calendar: c.calendar }));
      problems.push(...mappingProblems(id, parsed.success ? parsed.data : rawMapping(body), others));
      if (problems.length || !parsed.success) return invalid(reply, 'invalid calendar', problems);
      const existed = others.some((c) => c.id === id);
      await store.putCalendar(tenant, id, parsed.data);
      // this process's book (the aggregator's too, in one process) has it before the next flush
      await fresh();
      return reply.code(existed ? 200 : 201).send({ id, source: 'api', ...parsed.data });
    });

    scope.delete<{ Params: { id: string } }>('/v1/calendars/:id', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const { id } = req.params;
      if (book.fileCalendar(tenant, id)) return reply.code(409).send({ error: `calendar "${id}" comes from the calendars file (CALENDARS_FILE) and is read-only over HTTP` });
      await fresh();
      if (!book.calendars(tenant).some((c) => c.id === id)) return reply.code(404).send({ error: `no calendar "${id}"` });
      await store.putCalendar(tenant, id, null);
      await fresh();
      return reply.code(204).send();
    });

    scope.get('/v1/sla-policies', async (req) => {
      const tenant = deps.tenantOf(req).tenant;
      await fresh();
      const versions = book.slaVersions(tenant);
      const current = slaVersionAt(versions, now()) as SlaEntry | undefined;
      return {
        source: current?.source ?? null,
        effective_from: current ? iso(current.effective_from) : null,
        policies: current?.policies ?? [],
        versions: versions.map(publicVersion),
      };
    });

    // Replaces the ordered list: a new version, in force from effective_from (default now).
    scope.put('/v1/sla-policies', async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      if (book.slaFromFile(tenant)) return reply.code(409).send({ error: 'the tenant\'s SLA policies come from the SLA policies file (SLA_POLICIES_FILE) and are read-only over HTTP' });
      const body = Array.isArray(req.body) ? { policies: req.body } : req.body;
      if (typeof body !== 'object' || body === null) return invalid(reply, 'invalid SLA policies', [{ field: '(body)', reason: 'must be {policies: [...], effective_from?} or a list of policies' }]);
      const parsed = parseSlaPolicyList(body);
      if (!parsed.ok) return invalid(reply, 'invalid SLA policies', parsed.problems);
      const from = parsed.value.effective_from ? Date.parse(parsed.value.effective_from) : undefined;
      const v = await store.putSlaPolicies(tenant, parsed.value.policies, from);
      await fresh();
      return publicVersion({ ...v, tenant, source: 'api' });
    });
  });
}
