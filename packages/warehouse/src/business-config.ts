import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import YAML from 'yaml';
import { z } from 'zod';
import type { ContactEvent } from '@switchboard/events';
import {
  CALENDAR_ID_RE, CalendarIndex, mappingProblems, parseSlaPolicyList, slaTargetsFor, slaVersionAt, tenantCalendarSchema, zodProblems,
  type Calendar, type FoldContext, type SlaPolicyVersion, type SlaTargets, type TenantCalendar,
} from '@switchboard/kpi';
import type { InsertStats } from './insert';

// The tenants' business configuration (docs/business-hours.md, "Managing calendars"; docs/sla.md):
// calendars with their queue mapping, and SLA policy lists by version. It comes from two places:
// the files (CALENDARS_FILE, SLA_POLICIES_FILE; read once at start, read-only over HTTP) and the
// business_config table (migration 0016) the HTTP API writes. BusinessConfigBook holds both in
// memory and answers the fold's questions (FoldContext) without a statement per event.

export const businessConfigEnvSchema = z.object({
  CALENDARS_FILE: z.string().optional().describe('YAML or JSON list of calendars (or {calendars: [...]}), each with an id and optionally a tenant; read-only over HTTP (docs/business-hours.md)'),
  SLA_POLICIES_FILE: z.string().optional().describe('YAML or JSON SLA policy lists: {policies: [...]} or a list of {tenant, effective_from, policies}; read-only over HTTP (docs/sla.md)'),
  BUSINESS_CONFIG_REFRESH_MS: z.coerce.number().int().min(0).max(600_000).default(1000).describe('the aggregator (before a flush) and the query service (for /v1/realtime) look for calendar and SLA policy changes at most this often (one small statement)'),
});
export type BusinessConfigEnv = z.infer<typeof businessConfigEnvSchema>;

export const CONFIG_TABLE = 'business_config';
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** A calendar with where it comes from. */
export interface CalendarEntry {
  tenant: string;
  id: string;
  calendar: TenantCalendar;
  source: 'api' | 'file';
  /** epoch ms of the write (0 for the file's) */
  version: number;
}

/** A version of a tenant's SLA policy list with where it comes from. */
export interface SlaEntry extends SlaPolicyVersion {
  tenant: string;
  source: 'api' | 'file';
}

export interface BusinessConfigFiles {
  calendars: CalendarEntry[];
  sla: SlaEntry[];
}

export const NO_FILES: BusinessConfigFiles = { calendars: [], sla: [] };

function readDoc(path: string): unknown {
  try {
    return YAML.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

const tenantOf = (raw: unknown, defaultTenant: string, problems: string[], where: string): string => {
  const t = (raw as { tenant?: unknown } | null)?.tenant;
  if (t === undefined) return defaultTenant;
  if (typeof t === 'string' && TENANT_RE.test(t)) return t;
  problems.push(`${where}.tenant: must be 1–128 letters, digits, _ . -`);
  return defaultTenant;
};

/** A calendar's queue mapping as sent, for the clash check even when its other fields are wrong (indexes kept). */
export function rawMapping(body: Record<string, unknown>): { queues: string[]; default: boolean } {
  const queues = Array.isArray(body.queues) ? body.queues.map((q) => (typeof q === 'string' ? q : '')) : [];
  return { queues, default: body.default === true };
}

/** Reads CALENDARS_FILE: a list of calendars (or {calendars: [...]}), each with an id and optionally a tenant. Every problem names the entry and field. */
export function loadCalendarsFile(path: string, defaultTenant: string): CalendarEntry[] {
  const doc = readDoc(path);
  const list = Array.isArray(doc) ? doc : (doc as { calendars?: unknown } | null)?.calendars;
  if (!Array.isArray(list)) throw new Error(`${path}: expected a list of calendars (or {calendars: [...]})`);
  const problems: string[] = [];
  const out: CalendarEntry[] = [];
  // every entry's mapping as written, so a clash is named even beside an entry's other problems
  const mappings: { tenant: string; id: string; calendar: { queues: string[]; default: boolean } }[] = [];
  list.forEach((raw, i) => {
    const where = `calendars[${i}]`;
    const tenant = tenantOf(raw, defaultTenant, problems, where);
    const { id, tenant: _t, ...body } = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const validId = typeof id === 'string' && CALENDAR_ID_RE.test(id);
    if (!validId) problems.push(`${where}.id: must be 1–128 letters, digits, _ . -, starting with a letter or digit`);
    else if (mappings.some((c) => c.tenant === tenant && c.id === id)) problems.push(`${where}.id: duplicate calendar id "${id}"`);
    const r = tenantCalendarSchema.safeParse(body);
    if (!r.success) for (const p of zodProblems(r.error)) problems.push(`${where}.${p.field}: ${p.reason}`);
    const mapping = r.success ? r.data : rawMapping(body);
    const key = validId ? id : `#${i}`;
    for (const p of mappingProblems(key, mapping, mappings.filter((c) => c.tenant === tenant))) problems.push(`${where}.${p.field}: ${p.reason}`);
    mappings.push({ tenant, id: key, calendar: mapping });
    if (r.success && validId) out.push({ tenant, id, calendar: r.data, source: 'file', version: 0 });
  });
  if (problems.length) throw new Error(`invalid calendars file ${path}:\n  ${problems.join('\n  ')}`);
  return out;
}

/**
 * Reads SLA_POLICIES_FILE: {policies: [...]} (the default tenant's list, in force always), or a
 * list of {tenant?, effective_from?, policies} (versions; without effective_from, in force from
 * the beginning). Every problem names the entry and field.
 */
export function loadSlaPoliciesFile(path: string, defaultTenant: string): SlaEntry[] {
  const doc = readDoc(path);
  const list = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' ? [doc] : null;
  if (!list) throw new Error(`${path}: expected {policies: [...]} or a list of {tenant, effective_from, policies}`);
  const problems: string[] = [];
  const out: SlaEntry[] = [];
  list.forEach((raw, i) => {
    const where = `[${i}]`;
    const tenant = tenantOf(raw, defaultTenant, problems, where);
    const { tenant: _t, ...body } = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const r = parseSlaPolicyList(body);
    if (!r.ok) {
      for (const p of r.problems) problems.push(`${where}.${p.field}: ${p.reason}`);
      return;
    }
    const from = r.value.effective_from ? Date.parse(r.value.effective_from) : -8.64e15;
    if (out.some((v) => v.tenant === tenant && v.effective_from === from)) problems.push(`${where}.effective_from: another list of tenant "${tenant}" takes effect at the same time`);
    out.push({ tenant, source: 'file', effective_from: from, version: i, policies: r.value.policies });
  });
  if (problems.length) throw new Error(`invalid SLA policies file ${path}:\n  ${problems.join('\n  ')}`);
  return out;
}

/** Both files, as the env names them; throws naming every problem (a service refuses to start on a bad file). */
export function loadBusinessConfigFiles(env: Pick<BusinessConfigEnv, 'CALENDARS_FILE' | 'SLA_POLICIES_FILE'>, defaultTenant: string): BusinessConfigFiles {
  return {
    calendars: env.CALENDARS_FILE ? loadCalendarsFile(env.CALENDARS_FILE, defaultTenant) : [],
    sla: env.SLA_POLICIES_FILE ? loadSlaPoliciesFile(env.SLA_POLICIES_FILE, defaultTenant) : [],
  };
}

interface ConfigRow {
  tenant_id: string;
  kind: 'calendar' | 'sla_policies';
  id: string;
  version: string | number;
  eff: string | number;
  deleted: number;
  body: string;
}

/** Writes of the HTTP API into business_config: each a new row, none overwritten. */
export class BusinessConfigStore {
  private lastVersion = 0;

  constructor(private readonly client: ClickHouseClient) {}

  /** wall-clock ms, strictly increasing within the process (two writes in one ms stay ordered) */
  nextVersion(): number {
    this.lastVersion = Math.max(Date.now(), this.lastVersion + 1);
    return this.lastVersion;
  }

  private async insert(row: Omit<ConfigRow, 'eff' | 'version'> & { version: number; effective_from: number }): Promise<void> {
    await this.client.insert({
      table: CONFIG_TABLE,
      format: 'JSONEachRow',
      values: [{ ...row, effective_from: chTime(Math.max(0, row.effective_from)) }],
      clickhouse_settings: { insert_deduplication_token: `business-config:${randomUUID()}` },
    });
  }

  /** A calendar created or replaced (body), or deleted (null). Returns the version written. */
  async putCalendar(tenant: string, id: string, calendar: TenantCalendar | null): Promise<number> {
    const version = this.nextVersion();
    await this.insert({ tenant_id: tenant, kind: 'calendar', id, version, effective_from: version, deleted: calendar ? 0 : 1, body: calendar ? JSON.stringify(calendar) : '' });
    return version;
  }

  /** A new version of the tenant's SLA policy list, in force from `effectiveFrom` (default: now). */
  async putSlaPolicies(tenant: string, policies: SlaPolicyVersion['policies'], effectiveFrom?: number): Promise<SlaPolicyVersion> {
    const version = this.nextVersion();
    const from = effectiveFrom ?? version;
    await this.insert({ tenant_id: tenant, kind: 'sla_policies', id: '', version, effective_from: from, deleted: 0, body: JSON.stringify(policies) });
    return { effective_from: from, version, policies };
  }
}

export interface BusinessConfigBookOptions {
  /** null: the files only (tests, tools) */
  client: ClickHouseClient | null;
  files?: BusinessConfigFiles;
  /** refresh() reads the store at most this often, unless forced or invalidated (default 1000) */
  minIntervalMs?: number;
  /** rows written this long before the newest seen are read again, in case a write landed late (another replica's clock, an insert in flight) */
  overlapMs?: number;
  now?: () => number;
  /** the aggregator's counters: the refresh statement is a lookup of the write path */
  stats?: InsertStats;
  onInvalidRow?: (row: { tenant: string; kind: string; id: string }, err: unknown) => void;
}

/**
 * The business configuration in memory: every tenant's calendars (file and API) and SLA policy
 * versions, as FoldContext answers them. `refresh()` reads only the rows written since its last
 * look (with a short overlap), and at most once per `minIntervalMs`, so the write path pays at
 * most one small statement per flush and none while no events arrive (it is called per flush).
 * The file's entries win: a calendar id or a tenant's SLA list defined in a file is read-only
 * over HTTP, and rows the API wrote for it earlier are ignored.
 */
export class BusinessConfigBook implements FoldContext {
  private readonly client: ClickHouseClient | null;
  private readonly files: BusinessConfigFiles;
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private readonly overlapMs: number;
  /** tenant → id → newest API row (a deletion: calendar null) */
  private readonly apiCalendars = new Map<string, Map<string, { version: number; calendar: TenantCalendar | null }>>();
  /** tenant → version → list */
  private readonly apiSla = new Map<string, Map<number, SlaPolicyVersion>>();
  private readonly indexes = new Map<string, CalendarIndex>();
  private readonly slaCache = new Map<string, SlaPolicyVersion[]>();
  private readonly fileSlaTenants: Set<string>;
  private maxVersion = 0;
  private lastCheck = -Infinity;
  private stale = true;
  /** reads run one after another: a forced one (after a write) never rides on an older read */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: BusinessConfigBookOptions) {
    this.client = opts.client;
    this.files = opts.files ?? NO_FILES;
    this.now = opts.now ?? Date.now;
    this.minIntervalMs = opts.minIntervalMs ?? 1000;
    this.overlapMs = opts.overlapMs ?? 60_000;
    this.fileSlaTenants = new Set(this.files.sla.map((v) => v.tenant));
  }

  /** The next refresh() reads the store whatever the interval (a write in this process). */
  invalidate(): void {
    this.stale = true;
  }

  /** Reads what was written since the last look, if `minIntervalMs` has passed (or `force`, or invalidated). */
  refresh(force = false): Promise<void> {
    if (!this.client || (!force && !this.due())) return Promise.resolve();
    const run = this.chain.catch(() => undefined).then(async () => {
      if (!force && !this.due()) return; // a read just before this one answered
      this.stale = false;
      this.lastCheck = this.now();
      try {
        await this.read();
      } catch (err) {
        this.stale = true;
        throw err;
      }
    });
    this.chain = run;
    return run;
  }

  private due(): boolean {
    return this.stale || this.now() - this.lastCheck >= this.minIntervalMs;
  }

  private async read(): Promise<void> {
    const since = Math.max(0, this.maxVersion - this.overlapMs);
    const t0 = performance.now();
    const rs = await this.client!.query({
      query: `SELECT tenant_id, kind, id, version, toUnixTimestamp64Milli(effective_from) AS eff, deleted, body FROM ${CONFIG_TABLE} WHERE version > {since:UInt64}`,
      query_params: { since },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<ConfigRow>();
    this.opts.stats?.recordLookup(CONFIG_TABLE, performance.now() - t0);
    for (const r of rows) this.apply(r);
  }

  private apply(r: ConfigRow): void {
    const version = Number(r.version);
    if (version > this.maxVersion) this.maxVersion = version;
    try {
      if (r.kind === 'calendar') {
        let byId = this.apiCalendars.get(r.tenant_id);
        if (!byId) this.apiCalendars.set(r.tenant_id, (byId = new Map()));
        const old = byId.get(r.id);
        if (old && old.version >= version) return;
        byId.set(r.id, { version, calendar: Number(r.deleted) ? null : tenantCalendarSchema.parse(JSON.parse(r.body)) });
        this.indexes.delete(r.tenant_id);
      } else if (r.kind === 'sla_policies') {
        let byVersion = this.apiSla.get(r.tenant_id);
        if (!byVersion) this.apiSla.set(r.tenant_id, (byVersion = new Map()));
        if (byVersion.has(version)) return;
        const parsed = parseSlaPolicyList({ policies: JSON.parse(r.body) as unknown });
        if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.field}: ${p.reason}`).join('; '));
        byVersion.set(version, { effective_from: Number(r.eff), version, policies: parsed.value.policies });
        this.slaCache.delete(r.tenant_id);
      }
    } catch (err) {
      // a row an older or newer release wrote that this one cannot read: skipped, not fatal
      this.opts.onInvalidRow?.({ tenant: r.tenant_id, kind: r.kind, id: r.id }, err);
    }
  }

  // ---- what the API shows -------------------------------------------------------------------

  /** The tenant's calendars: the file's, then the API's (a file id wins a clash), by id. */
  calendars(tenant: string): CalendarEntry[] {
    const file = this.files.calendars.filter((c) => c.tenant === tenant);
    const taken = new Set(file.map((c) => c.id));
    const api: CalendarEntry[] = [];
    for (const [id, { version, calendar }] of this.apiCalendars.get(tenant) ?? []) {
      if (calendar && !taken.has(id)) api.push({ tenant, id, calendar, source: 'api', version });
    }
    return [...file, ...api.sort((a, b) => a.id.localeCompare(b.id))];
  }

  fileCalendar(tenant: string, id: string): CalendarEntry | undefined {
    return this.files.calendars.find((c) => c.tenant === tenant && c.id === id);
  }

  /** Whether the tenant's SLA policies come from the file (then read-only over HTTP). */
  slaFromFile(tenant: string): boolean {
    return this.fileSlaTenants.has(tenant);
  }

  /** Every version of the tenant's SLA policy list, oldest effective_from first. */
  slaVersions(tenant: string): SlaEntry[] {
    const fromFile = this.fileSlaTenants.has(tenant);
    const list: SlaEntry[] = fromFile
      ? this.files.sla.filter((v) => v.tenant === tenant)
      : [...(this.apiSla.get(tenant)?.values() ?? [])].map((v) => ({ ...v, tenant, source: 'api' as const }));
    return list.sort((a, b) => a.effective_from - b.effective_from || a.version - b.version);
  }

  // ---- FoldContext ----------------------------------------------------------------------------

  /**
   * The queue's calendar (else the tenant's default; none: 24/7). The mapping is the current
   * one; the calendar's own versions (effective_from) say which hours applied at `at`, and
   * businessMs reads them.
   */
  calendarFor(tenantId: string, queueId: string | null, _at: number): Calendar | undefined {
    let index = this.indexes.get(tenantId);
    if (!index) {
      index = new CalendarIndex(this.calendars(tenantId).map((c) => c.calendar));
      this.indexes.set(tenantId, index);
    }
    return index.calendarFor(queueId);
  }

  /** The targets of the first matching policy of the list in force at the event's occurred_at. */
  slaTargetsFor(e: ContactEvent): SlaTargets | undefined {
    if (e.priority === null || e.priority === undefined) return undefined;
    let versions = this.slaCache.get(e.tenant_id);
    if (!versions) {
      versions = this.slaVersions(e.tenant_id);
      this.slaCache.set(e.tenant_id, versions);
    }
    const v = slaVersionAt(versions, e.occurred_at);
    return v ? slaTargetsFor(v.policies, e) : undefined;
  }
}
