import { z } from 'zod';
import { CHANNELS, PRIORITIES, type ContactEvent, type Priority } from '@switchboard/events';
import type { SlaTarget, SlaTargets } from './aggregates';
import { zodProblems, type ConfigProblem } from './calendar-config';

// SLA policies (docs/sla.md): an ordered list per tenant, each policy with conditions on the
// event's channel, queue and priority and, per priority, a target for the first reply, the next
// replies and the resolution, in business time (the queue's calendar) or calendar time. The
// first policy whose conditions match an event gives its targets, for the event's priority;
// an event without a priority has no SLA (as in Zendesk, which applies SLA policies only to
// tickets with a priority).

/** The clocks a policy sets targets for. */
export const SLA_METRICS = ['first_reply', 'next_reply', 'resolution'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];

/** A target duration is whole minutes (as Zendesk's policy metrics are), from 1 minute to a year. */
export const MAX_SLA_TARGET_MINUTES = 525_600;

const targetSpecSchema = z.strictObject({
  /** the target, whole minutes */
  minutes: z.number().int('must be whole minutes').min(1, 'must be at least 1 minute').max(MAX_SLA_TARGET_MINUTES, `must be at most ${MAX_SLA_TARGET_MINUTES} minutes (a year)`),
  /** true: measured in business time, on the calendar of the event's queue; false: calendar (wall-clock) time */
  business_hours: z.boolean().default(false),
});

const metricTargetsSchema = z.strictObject({
  first_reply: targetSpecSchema.optional(),
  next_reply: targetSpecSchema.optional(),
  resolution: targetSpecSchema.optional(),
}).refine((m) => SLA_METRICS.some((k) => m[k] !== undefined), 'sets no target: give first_reply, next_reply or resolution');

const uniqueList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.array(item).min(1, `lists no ${what}: leave the condition out to match every ${what}`).max(1000).superRefine((xs, ctx) => {
    const seen = new Set<string>();
    xs.forEach((x, i) => {
      if (seen.has(x)) ctx.addIssue({ code: 'custom', path: [i], message: `"${x}" is listed twice` });
      seen.add(x);
    });
  });

/** One policy. A condition left out matches every value; a listed one matches any of its values. */
export const slaPolicySchema = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(200),
  description: z.string().max(2000).optional(),
  conditions: z.strictObject({
    channel: uniqueList(z.enum(CHANNELS), 'channel').optional(),
    /** an event without a queue never matches a queue condition */
    queue_id: uniqueList(z.string().min(1).max(256), 'queue').optional(),
    priority: uniqueList(z.enum(PRIORITIES), 'priority').optional(),
  }).default({}),
  /** per priority, the targets of each clock; a priority not listed has no SLA under this policy */
  targets: z.partialRecord(z.enum(PRIORITIES), metricTargetsSchema).refine((t) => Object.keys(t).length > 0, 'sets no target for any priority (low, normal, high, urgent)'),
});
export type SlaPolicy = z.infer<typeof slaPolicySchema>;

const isoInstant = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v)), 'must be an ISO-8601 timestamp with a UTC offset (2026-01-01T00:00:00Z)');

/**
 * A tenant's ordered list, as PUT /v1/sla-policies and SLA_POLICIES_FILE take it. Each change
 * is a new version in force from `effective_from` (default: when it is made) until the next one.
 */
export const slaPolicyListSchema = z.strictObject({
  effective_from: isoInstant.optional(),
  policies: z.array(slaPolicySchema).max(200).superRefine((ps, ctx) => {
    for (const p of duplicateNames(ps)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  }),
});

function duplicateNames(ps: unknown): { path: (string | number)[]; message: string }[] {
  const seen = new Set<string>();
  const out: { path: (string | number)[]; message: string }[] = [];
  (Array.isArray(ps) ? ps : []).forEach((p: unknown, i) => {
    const name = (p as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) out.push({ path: [i, 'name'], message: `two policies are named "${name}"` });
    seen.add(name);
  });
  return out;
}

/**
 * Validates a list as PUT /v1/sla-policies takes it: every problem with its field path. The
 * names are checked even when a policy has other problems (zod skips a list's own check then).
 */
export function parseSlaPolicyList(raw: unknown): { ok: true; value: SlaPolicyList } | { ok: false; problems: ConfigProblem[] } {
  const r = slaPolicyListSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const problems = zodProblems(r.error);
  for (const d of duplicateNames((raw as { policies?: unknown } | null)?.policies)) {
    const field = ['policies', ...d.path].join('.');
    if (!problems.some((p) => p.field === field && p.reason === d.message)) problems.push({ field, reason: d.message });
  }
  return { ok: false, problems };
}
export type SlaPolicyList = z.infer<typeof slaPolicyListSchema>;

/** A stored version of a tenant's list: in force from `effective_from` (epoch ms) on. */
export interface SlaPolicyVersion {
  effective_from: number;
  /** ordering of versions with the same effective_from: the later write wins */
  version: number;
  policies: SlaPolicy[];
}

/** Targets per priority of each policy, built once so a lookup per event allocates nothing. */
const compiled = new WeakMap<SlaPolicy, Partial<Record<Priority, SlaTargets>>>();
function targetsOf(p: SlaPolicy): Partial<Record<Priority, SlaTargets>> {
  let c = compiled.get(p);
  if (!c) {
    c = {};
    for (const [priority, metrics] of Object.entries(p.targets) as [Priority, z.infer<typeof metricTargetsSchema>][]) {
      const t: SlaTargets = {};
      for (const m of SLA_METRICS) {
        const spec = metrics[m];
        if (spec) t[m] = { ms: spec.minutes * 60_000, business: spec.business_hours } satisfies SlaTarget;
      }
      c[priority] = t;
    }
    compiled.set(p, c);
  }
  return c;
}

const matches = (p: SlaPolicy, e: Pick<ContactEvent, 'channel' | 'queue_id' | 'priority'>): boolean => {
  const c = p.conditions;
  if (c.channel && !c.channel.includes(e.channel)) return false;
  if (c.queue_id && (e.queue_id === null || !c.queue_id.includes(e.queue_id))) return false;
  if (c.priority && (e.priority === null || !c.priority.includes(e.priority))) return false;
  return true;
};

/**
 * The targets an event is measured against: the first policy (in list order) whose conditions
 * match the event, for the event's priority. undefined: the event has no priority, no policy
 * matches, or the matching policy sets no target for that priority (the next policy is not
 * tried: the first match decides, as in Zendesk).
 */
export function slaTargetsFor(policies: readonly SlaPolicy[], e: Pick<ContactEvent, 'channel' | 'queue_id' | 'priority'>): SlaTargets | undefined {
  const priority = e.priority ?? null;
  if (priority === null) return undefined;
  const p = policies.find((x) => matches(x, { channel: e.channel, queue_id: e.queue_id, priority }));
  return p ? targetsOf(p)[priority] : undefined;
}

/** The version in force at `at`: the latest effective_from not after it (the later write on a tie); undefined before the first. */
export function slaVersionAt(versions: readonly SlaPolicyVersion[], at: number): SlaPolicyVersion | undefined {
  let best: SlaPolicyVersion | undefined;
  for (const v of versions) {
    if (v.effective_from > at) continue;
    if (!best || v.effective_from > best.effective_from || (v.effective_from === best.effective_from && v.version > best.version)) best = v;
  }
  return best;
}
