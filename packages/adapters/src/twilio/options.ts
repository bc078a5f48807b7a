// Mapping options of the Twilio adapter (the `options` of a tenant's twilio credential, or
// the backfill's). TaskRouter leaves the meaning of task and worker attributes to each
// deployment, so everything read from them is a configurable list of attribute paths.
import { z } from 'zod';
import { AGENT_STATES, CHANNELS } from '@switchboard/events';
import { RecordError } from '../common';

const paths = z.array(z.string().min(1));
const scale = z.tuple([z.number(), z.number()]).refine(([a, b]) => b > a, 'max must be greater than min');

const schema = z.strictObject({
  /** task attribute (dotted path) holding the conversation id that ties transfer legs together; '' = always the TaskSid */
  contactIdAttribute: z.string().default('conversations.conversation_id'),
  /** task attributes holding the customer's address, tried in order (inbound tasks) */
  customerAttributes: paths.default(['from', 'customerAddress', 'customers.phone', 'customers.email', 'email']),
  /** the same for outbound tasks, where `from` is the contact center's own number */
  outboundCustomerAttributes: paths.default(['outbound_to', 'to', 'customerAddress', 'customers.phone', 'customers.email']),
  topicAttributes: paths.default(['topic', 'conversations.topic', 'reason']),
  /** wrap-up / disposition code, read from the task attributes at reservation.completed */
  resolutionAttributes: paths.default(['conversations.outcome', 'disposition', 'wrapup_code']),
  /** worker attributes naming the agent's team */
  teamAttributes: paths.default(['team_name', 'team_id']),
  /** agent_id: the worker's friendly name (default), its sid, or a worker attribute */
  agentId: z.enum(['name', 'sid']).default('name'),
  agentIdAttribute: z.string().min(1).optional(),
  /** worker activity name (case-insensitive) → agent state, over the built-in names */
  activityStates: z.record(z.string(), z.enum(AGENT_STATES)).default({}),
  /** TaskChannelUniqueName or attributes.channelType (case-insensitive) → channel, over the built-in names */
  channels: z.record(z.string(), z.enum(CHANNELS)).default({}),
  /** channel of tasks nothing identifies (the `default` TaskChannel without a call_sid) */
  defaultChannel: z.enum(CHANNELS).default('web_form'),
  /** channel of worker activity changes, which belong to no task */
  agentChannel: z.enum(CHANNELS).default('voice'),
  /** a task canceled by its TTL or a workflow timeout: abandoned (default) or no event */
  timeoutCancel: z.enum(['abandoned', 'ignored']).default('abandoned'),
  /** task attributes holding survey answers at task.completed; null switches a kind off */
  surveyAttributes: z
    .strictObject({ csat: z.string().min(1).nullable().optional(), nps: z.string().min(1).nullable().optional(), ces: z.string().min(1).nullable().optional() })
    .default({}),
  surveyScales: z.strictObject({ csat: scale.optional(), nps: scale.optional(), ces: scale.optional() }).default({}),
  /** emit `resolved` at task.completed (a completed task = a resolved contact); off by default */
  resolveOnComplete: z.boolean().default(false),
});

export type TwilioOptions = z.output<typeof schema> & {
  surveys: { kind: 'csat' | 'nps' | 'ces'; path: string; min: number; max: number }[];
};

const SURVEY_DEFAULTS = {
  csat: { path: 'csat', min: 1, max: 5 },
  nps: { path: 'nps', min: 0, max: 10 },
  ces: { path: 'ces', min: 1, max: 7 },
} as const;

const cache = new WeakMap<object, TwilioOptions>();
let defaults: TwilioOptions | undefined;

function build(raw: unknown): TwilioOptions {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new RecordError(`twilio options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  }
  const o = parsed.data;
  const lower = <T>(m: Record<string, T>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.trim().toLowerCase(), v]));
  const surveys = (['csat', 'nps', 'ces'] as const).flatMap((kind) => {
    const path = o.surveyAttributes[kind] === undefined ? SURVEY_DEFAULTS[kind].path : o.surveyAttributes[kind];
    if (path === null) return [];
    const [min, max] = o.surveyScales[kind] ?? [SURVEY_DEFAULTS[kind].min, SURVEY_DEFAULTS[kind].max];
    return [{ kind, path, min, max }];
  });
  return { ...o, activityStates: lower(o.activityStates), channels: lower(o.channels), surveys };
}

/** Parses (once per options object) and validates; a misconfiguration is a RecordError naming the option. */
export function twilioOptions(raw: Record<string, unknown> | undefined): TwilioOptions {
  if (raw === undefined) return (defaults ??= build({}));
  let o = cache.get(raw);
  if (!o) cache.set(raw, (o = build(raw)));
  return o;
}
