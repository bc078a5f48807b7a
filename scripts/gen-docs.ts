// `npm run docs`: rewrites the generated parts of the docs from the code they describe, so a
// KPI or an environment variable added in code reaches the docs without anyone copying it:
//  - docs/kpis.md, between <!-- generated:kpis --> and <!-- /generated:kpis -->: the KPI
//    catalogue of packages/kpi (id, name, unit, definition, the options each KPI reads,
//    whether it reads past its window) and the granularities every KPI is served at;
//  - docs/configuration.md, between <!-- generated:config --> and <!-- /generated:config -->:
//    every environment variable of the services' zod env schemas, with its default and its
//    `.describe()` text.
//  - docs/openapi.json, whole: the OpenAPI 3.1 document of every service's HTTP surface, from
//    the same fragments each service's HttpServer serves at /v1/openapi.json.
// test/docs.test.ts fails, naming what drifted, when the committed docs differ from this output.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPTIONS, GRANULARITY_IDS, KPIS, STAFFING_GRAINS, TOP_TOPICS_DEFINITION, TOP_TOPICS_ID, kpiOptionsSchema, quantityKey, type KpiDefinition, type KpiOptions } from '@switchboard/kpi';
import { REPO_ROOT, commonEnvSchema, openApiDocument, processFragment } from '@switchboard/service-kit';
import { businessConfigEnvSchema } from '@switchboard/warehouse';
import { alerterOpenApi } from '../services/alerter/src/openapi';
import { ingestOpenApi } from '../services/ingest/src/openapi';
import { queryOpenApi } from '../services/query/src/openapi';
import { storeHostOpenApi } from '../services/store-host/src/openapi';
import { aggregatorEnvSchema } from '../services/aggregator/src/config';
import { alerterEnvSchema } from '../services/alerter/src/config';
import { ingestEnvSchema } from '../services/ingest/src/service';
import { queryEnvSchema } from '../services/query/src/config';
import { nodeExtrasEnvSchema } from '../services/single-node/src/env';
import { simulatorEnvSchema } from '../services/simulator/src/env';
import { storeHostEnvSchema } from '../services/store-host/src/config';
import { biEnvSchema } from '../services/store-host/src/bi';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A generated region of a docs page: the text between `<!-- generated:<name> -->` and `<!-- /generated:<name> -->`. */
export interface GeneratedBlock {
  name: string;
  /** path from the repository root */
  file: string;
  render(): string;
}

// ---- the KPI catalogue -------------------------------------------------------------------

/** Another value of each KPI option, to find which KPIs read it. A new option must be added here (the generator stops otherwise). */
const OPTION_VARIANTS: Record<keyof KpiOptions, Partial<KpiOptions>[]> = {
  short_abandon_s: [{ short_abandon_s: 7 }],
  sl_threshold_s: [{ sl_threshold_s: 31 }],
  sl_formula: [{ sl_formula: 'offered' }, { sl_formula: 'include_abandoned_within' }],
  fcr_window: [{ fcr_window: 2 * 86_400_000 }],
  complaint_topics: [{ complaint_topics: ['complaint', 'billing_dispute'] }],
  hourly_cost: [{ hourly_cost: 40 }],
  team_hourly_costs: [{ team_hourly_costs: { t1: 42.5 } }],
  sl_target: [{ sl_target: 0.9 }],
  max_occupancy: [{ max_occupancy: 0.9 }],
  shrinkage: [{ shrinkage: 0.3 }],
};

/** What a KPI reads and computes under some options: its inputs' quantity keys and its value over fixed input values. */
function fingerprint(k: KpiDefinition, o: KpiOptions): string {
  const inputs = k.inputs(o);
  const values: Record<string, number> = {};
  Object.keys(inputs).forEach((name, i) => { values[name] = 101 + 37 * i; });
  return JSON.stringify([Object.entries(inputs).map(([name, q]) => [name, quantityKey(q)]), k.compute(values, o)]);
}

/** The options a KPI reads: those whose other values change its inputs or its formula. */
export function optionsOf(k: KpiDefinition): string[] {
  const base = fingerprint(k, DEFAULT_OPTIONS);
  return Object.keys(kpiOptionsSchema.shape).filter((name) => {
    const variants = OPTION_VARIANTS[name as keyof KpiOptions];
    if (!variants) throw new Error(`scripts/gen-docs.ts: KPI option "${name}" has no entry in OPTION_VARIANTS`);
    return variants.some((v) => fingerprint(k, { ...DEFAULT_OPTIONS, ...v }) !== base);
  });
}

/** Text for a table cell: pipes escaped, one line, and `<name` not read as an HTML tag. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/<(?=[A-Za-z])/g, '&lt;');
const code = (s: string) => `\`${s}\``;

export function renderKpis(): string {
  const rows = KPIS.map((k) => {
    const opts = optionsOf(k);
    return `| ${code(k.id)} | ${cell(k.name)} | ${k.unit} | ${cell(k.definition)} | ${opts.length ? opts.map(code).join(', ') : '—'} | ${k.history ? 'yes' : ''} |`;
  });
  rows.push(`| ${code(TOP_TOPICS_ID)} | Top topics | list | ${cell(TOP_TOPICS_DEFINITION)} | — (the query's \`n\`, default 5) | |`);
  return [
    '<!-- written by `npm run docs` (scripts/gen-docs.ts) from packages/kpi/src/catalogue.ts: change the catalogue, then run it -->',
    '',
    `${KPIS.length + 1} KPIs, each served at every granularity: ${GRANULARITY_IDS.map(code).join(', ')}, but the staffing ones (${KPIS.filter((k) => k.staffing).map((k) => code(k.id)).join(', ')})`,
    `from ${STAFFING_GRAINS[0]} up (${STAFFING_GRAINS.map(code).join(', ')}: they are computed per 15-minute interval, see [staffing.md](staffing.md)). Units: \`count\`; \`ratio\` a fraction 0…1;`,
    '`ms` milliseconds; `nps` −100…100; `score` the survey\'s own scale; `minor_currency` minor units (cents) of the tenant\'s currency;',
    '`currency` the unit of the configured hourly rates. "Options" are the KPI options of `/v1/kpis` that change the KPI\'s value;',
    '"history" KPIs read events outside their window (see "History KPIs" below).',
    '',
    '| id | name | unit | definition | options | history |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

// ---- environment variables ---------------------------------------------------------------

/** The parts of a zod v4 schema this generator reads (its definition), without importing zod here. */
interface ZodLike {
  description?: string;
  _zod: { def: { type: string; innerType?: ZodLike; in?: ZodLike; defaultValue?: unknown; entries?: Record<string, string>; format?: string; checks?: { _zod: { def: ZodCheck } }[] } };
}
interface ZodCheck {
  check: string;
  format?: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  pattern?: RegExp;
}

/** The values a leaf schema accepts, in words: `integer 1…720`, `number > 0`, `URL`, one of an enum's values. */
function acceptedValues(leaf: ZodLike): string {
  const def = leaf._zod.def;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  if (def.type === 'enum' && def.entries) return Object.values(def.entries).map(code).join(', ');
  if (def.type === 'number') {
    const int = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
    const lo = checks.find((c) => c.check === 'greater_than');
    const hi = checks.find((c) => c.check === 'less_than');
    const n = (v: number | undefined) => String(v);
    let range = '';
    if (lo && hi && lo.inclusive && hi.inclusive) range = ` ${n(lo.value)}…${n(hi.value)}`;
    else range = [lo ? ` ${lo.inclusive ? '≥' : '>'} ${n(lo.value)}` : '', hi ? ` ${hi.inclusive ? '≤' : '<'} ${n(hi.value)}` : ''].filter(Boolean).join(',');
    return `${int ? 'integer' : 'number'}${range}`;
  }
  if (def.type === 'string') {
    if (def.format === 'url' || checks.some((c) => c.check === 'string_format' && c.format === 'url')) return 'URL';
    const re = checks.find((c) => c.check === 'string_format' && c.format === 'regex');
    if (re?.pattern) return `matching ${code(String(re.pattern))}`;
    if (checks.some((c) => c.check === 'min_length' && (c.minimum ?? 0) > 0)) return 'non-empty string';
    return 'string';
  }
  return def.type;
}

/** The default a variable takes when unset (undefined: none), and the values it accepts. */
function describeField(schema: ZodLike): { default: unknown; hasDefault: boolean; values: string } {
  let s: ZodLike | undefined = schema;
  let out: { default: unknown; hasDefault: boolean; values: string } = { default: undefined, hasDefault: false, values: '' };
  while (s) {
    const def: ZodLike['_zod']['def'] = s._zod.def;
    if (def.type === 'default' || def.type === 'prefault') {
      if (!out.hasDefault) out = { ...out, default: def.defaultValue, hasDefault: true };
      s = def.innerType;
    } else if (def.type === 'optional' || def.type === 'nullable') s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else {
      out.values = acceptedValues(s);
      s = undefined;
    }
  }
  return out;
}

function formatDefault(f: { default: unknown; hasDefault: boolean }): string {
  if (!f.hasDefault || f.default === undefined) return '(none)';
  if (f.default === '') return '(empty)';
  let v = f.default;
  // paths under the checkout (SWITCHBOARD_STATE) are written relative to it, so the docs do not depend on where it lies
  if (typeof v === 'string' && v.startsWith(REPO_ROOT)) v = `<repo>/${relative(REPO_ROOT, v)}`;
  return code(typeof v === 'string' ? v : JSON.stringify(v));
}

interface EnvSection {
  title: string;
  source: string;
  schema: { shape: Record<string, unknown> };
}

/** Every env schema a process of this repository parses, in the order the docs list them. */
export const ENV_SECTIONS: EnvSection[] = [
  { title: 'Every service', source: 'commonEnvSchema, packages/service-kit/src/runtime.ts', schema: commonEnvSchema },
  { title: 'Aggregator', source: 'aggregatorEnvSchema, services/aggregator/src/config.ts', schema: aggregatorEnvSchema },
  { title: 'Ingest and the vendor webhooks', source: 'ingestEnvSchema, services/ingest/src/service.ts', schema: ingestEnvSchema },
  { title: 'Query', source: 'queryEnvSchema, services/query/src/config.ts', schema: queryEnvSchema },
  { title: 'Alerter', source: 'alerterEnvSchema, services/alerter/src/config.ts', schema: alerterEnvSchema },
  { title: 'Calendars and SLA policies (aggregator, alerter, query and the single node)', source: 'businessConfigEnvSchema, packages/warehouse/src/business-config.ts', schema: businessConfigEnvSchema },
  { title: 'Single node (`npm start`), beyond the services it runs', source: 'nodeExtrasEnvSchema, services/single-node/src/env.ts', schema: nodeExtrasEnvSchema },
  { title: 'BI listener of the single node (ClickHouse HTTP for BI tools, docs/bi.md)', source: 'biEnvSchema, services/store-host/src/bi.ts', schema: biEnvSchema },
  { title: 'Store host (`npm run store-host`), its only variables', source: 'storeHostEnvSchema, services/store-host/src/config.ts', schema: storeHostEnvSchema },
  { title: 'Standalone simulator, beside the common ones', source: 'simulatorEnvSchema, services/simulator/src/env.ts', schema: simulatorEnvSchema },
];

export function renderConfig(): string {
  const out = [
    '<!-- written by `npm run docs` (scripts/gen-docs.ts) from the zod env schemas named below: change a schema (its `.describe()`), then run it -->',
  ];
  for (const sec of ENV_SECTIONS) {
    out.push('', `### ${sec.title}`, '', `From \`${sec.source.split(', ')[0]}\` (${sec.source.split(', ')[1]}).`, '', '| variable | default | accepted | description |', '|---|---|---|---|');
    for (const [name, field] of Object.entries(sec.schema.shape)) {
      const z = field as ZodLike;
      if (!z.description) throw new Error(`scripts/gen-docs.ts: ${name} (${sec.source}) has no .describe() text`);
      const f = describeField(z);
      out.push(`| ${code(name)} | ${formatDefault(f)} | ${cell(f.values)} | ${cell(z.description)} |`);
    }
  }
  return out.join('\n');
}

// ---- the HTTP surface ---------------------------------------------------------------------

/** One document for every service: what `npm start` serves, and the store host's ClickHouse interface. */
export function wholeApiDocument(): Record<string, unknown> {
  return openApiDocument('Switchboard HTTP API (every service)', [processFragment(), ingestOpenApi(), queryOpenApi(), alerterOpenApi(), storeHostOpenApi()]);
}

/** Files generated whole. */
export const FILES: { file: string; render(): string }[] = [
  { file: 'docs/openapi.json', render: () => `${JSON.stringify(wholeApiDocument(), null, 2)}\n` },
];

// ---- the blocks and the files ------------------------------------------------------------

export const BLOCKS: GeneratedBlock[] = [
  { name: 'kpis', file: 'docs/kpis.md', render: renderKpis },
  { name: 'config', file: 'docs/configuration.md', render: renderConfig },
];

const markers = (name: string) => [`<!-- generated:${name} -->`, `<!-- /generated:${name} -->`] as const;

/** The committed text of a block (between its markers), or an error naming what is missing. */
export function committedBlock(text: string, block: GeneratedBlock): string {
  const [open, close] = markers(block.name);
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) throw new Error(`${block.file}: markers ${open} … ${close} not found`);
  return text.slice(a + open.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

/** The file's text with the block rewritten. */
export function withBlock(text: string, block: GeneratedBlock): string {
  const [open, close] = markers(block.name);
  committedBlock(text, block);
  const a = text.indexOf(open) + open.length;
  const b = text.indexOf(close);
  return `${text.slice(0, a)}\n${block.render()}\n${text.slice(b)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const block of BLOCKS) {
    const path = join(ROOT, block.file);
    const before = readFileSync(path, 'utf8');
    const after = withBlock(before, block);
    if (after !== before) writeFileSync(path, after);
    console.log(`${block.file}: ${block.name} ${after === before ? 'unchanged' : 'rewritten'}`);
  }
  for (const f of FILES) {
    const path = join(ROOT, f.file);
    const before = (() => { try { return readFileSync(path, 'utf8'); } catch { return ''; } })();
    const after = f.render();
    if (after !== before) writeFileSync(path, after);
    console.log(`${f.file}: ${after === before ? 'unchanged' : 'rewritten'}`);
  }
}
