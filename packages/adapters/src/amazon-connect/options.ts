// Per-tenant mapping options. Amazon Connect has no native survey, topic or wrap-up fields:
// contact centers keep them in contact attributes under names of their own choosing, so the
// names are configuration (the `options` of the tenant's amazon-connect credential).
import { z } from 'zod';
import { CHANNELS, SURVEY_KINDS, type Channel, type SurveyKind } from '@switchboard/events';
import { RecordError } from '../common';

export interface SurveyAttribute {
  attribute: string;
  kind: SurveyKind;
  min: number;
  max: number;
}

export interface AmazonConnectOptions {
  /** contact attributes holding survey answers, with the scale each is asked on */
  surveys: SurveyAttribute[];
  /** contact attributes naming the contact reason; the first one present wins */
  topicAttributes: string[];
  /** contact attributes holding the wrap-up / disposition code; the first one present wins */
  resolutionCodeAttributes: string[];
  /** contact attribute that marks the contact resolved ("true", "yes", "1", "resolved"); null: none */
  resolvedAttribute: string | null;
  /** treat every agent-handled contact (its last leg) as resolved, unless resolvedAttribute says "false" */
  resolveHandled: boolean;
  /** contact attribute with a customer key, used when CustomerEndpoint has no address (chat, task) */
  customerAttribute: string | null;
  /** channel for TASK contacts, or 'ignore' to skip them */
  taskChannel: Channel | 'ignore';
  /** hierarchy level (1–5) whose group name is the team; null: the deepest level the agent has */
  teamHierarchyLevel: number | null;
  /** contact attributes copied into the events' attributes map (for BI), at most 32 */
  passAttributes: string[];
  /** agent events carry no channel; agent_state_changed gets this one */
  agentEventChannel: Channel;
}

export const DEFAULT_OPTIONS: AmazonConnectOptions = {
  surveys: [
    { attribute: 'csatScore', kind: 'csat', min: 1, max: 5 },
    { attribute: 'npsScore', kind: 'nps', min: 0, max: 10 },
    { attribute: 'cesScore', kind: 'ces', min: 1, max: 7 },
  ],
  topicAttributes: ['topic', 'contactReason'],
  resolutionCodeAttributes: ['resolutionCode', 'wrapUpCode', 'dispositionCode'],
  resolvedAttribute: 'resolved',
  resolveHandled: false,
  customerAttribute: null,
  taskChannel: 'web_form',
  teamHierarchyLevel: null,
  passAttributes: [],
  agentEventChannel: 'voice',
};

const SCALE_DEFAULTS: Record<SurveyKind, [number, number]> = { csat: [1, 5], nps: [0, 10], ces: [1, 7] };

const name = z.string().min(1);
const names = z.union([name.transform((s) => [s]), z.array(name)]);
const survey = z
  .strictObject({ attribute: name, kind: z.enum(SURVEY_KINDS), min: z.number().finite().optional(), max: z.number().finite().optional() })
  .transform((s) => ({ attribute: s.attribute, kind: s.kind, min: s.min ?? SCALE_DEFAULTS[s.kind][0], max: s.max ?? SCALE_DEFAULTS[s.kind][1] }))
  .refine((s) => s.max > s.min, 'max must be greater than min');

// Unknown keys are refused: a misspelt option would otherwise silently keep the default.
const schema = z.strictObject({
  surveys: z.array(survey).optional(),
  topicAttribute: names.optional(),
  topicAttributes: names.optional(),
  resolutionCodeAttribute: names.optional(),
  resolutionCodeAttributes: names.optional(),
  resolvedAttribute: name.nullable().optional(),
  resolveHandled: z.boolean().optional(),
  customerAttribute: name.nullable().optional(),
  taskChannel: z.enum([...CHANNELS, 'ignore'] as const).optional(),
  teamHierarchyLevel: z.number().int().min(1).max(5).nullable().optional(),
  passAttributes: z.array(name).max(32).optional(),
  agentEventChannel: z.enum(CHANNELS).optional(),
});

const cache = new WeakMap<object, AmazonConnectOptions>();

/** The tenant's options over the defaults; a bad option fails every record with its reason, so it is seen. */
export function parseOptions(raw: Record<string, unknown> | undefined): AmazonConnectOptions {
  if (raw === undefined) return DEFAULT_OPTIONS;
  const hit = cache.get(raw);
  if (hit) return hit;
  const p = schema.safeParse(raw);
  if (!p.success) {
    const i = p.error.issues[0]!;
    const path = ['options', ...i.path.map(String)].join('.');
    throw new RecordError(`${path}: ${i.message}`);
  }
  const o = p.data;
  const out: AmazonConnectOptions = {
    surveys: o.surveys ?? DEFAULT_OPTIONS.surveys,
    topicAttributes: o.topicAttributes ?? o.topicAttribute ?? DEFAULT_OPTIONS.topicAttributes,
    resolutionCodeAttributes: o.resolutionCodeAttributes ?? o.resolutionCodeAttribute ?? DEFAULT_OPTIONS.resolutionCodeAttributes,
    resolvedAttribute: o.resolvedAttribute === undefined ? DEFAULT_OPTIONS.resolvedAttribute : o.resolvedAttribute,
    resolveHandled: o.resolveHandled ?? DEFAULT_OPTIONS.resolveHandled,
    customerAttribute: o.customerAttribute === undefined ? DEFAULT_OPTIONS.customerAttribute : o.customerAttribute,
    taskChannel: o.taskChannel ?? DEFAULT_OPTIONS.taskChannel,
    teamHierarchyLevel: o.teamHierarchyLevel === undefined ? DEFAULT_OPTIONS.teamHierarchyLevel : o.teamHierarchyLevel,
    passAttributes: o.passAttributes ?? DEFAULT_OPTIONS.passAttributes,
    agentEventChannel: o.agentEventChannel ?? DEFAULT_OPTIONS.agentEventChannel,
  };
  cache.set(raw, out);
  return out;
}
