// Loads files of contact events into Kafka.
//   npm run backfill -- <file|dir>... --format <name> --tenant <id> [--rate 2000] [--mapping map.yaml]
//                       [--options adapter-options.json] [--restart] [--no-resume]
// Reads KAFKA_BROKERS / KAFKA_TOPIC_PREFIX / SWITCHBOARD_STATE like the services.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RECORD_FORMATS } from '@switchboard/adapters';
import { DeadLetterPublisher, EventPublisher, createKafka, ensureTopics, schemaRegistryFromEnv, topicNames } from '@switchboard/kafka';
import { commonEnvSchema, parseEnv } from '@switchboard/service-kit';
import { FORMAT_NAMES, backfill } from './backfill';
import { CheckpointStore } from './checkpoint';
import { loadCsvMapping } from './csv-mapping';

const USAGE = `usage: backfill <file|dir>... --format <format> --tenant <tenant> [--rate <events/s>] [--mapping <csv mapping>] [--options <adapter options json|yaml>] [--restart] [--no-resume]
formats:
  ndjson   normalized contact events (the JSON form of POST /v1/events), one per line
  csv      rows mapped to contact events by --mapping (YAML or JSON)
${RECORD_FORMATS.map((f) => `  ${f.name.padEnd(8)} ${f.description}`).join('\n')}`;

const argsSchema = z.object({
  format: z.enum(FORMAT_NAMES as [string, ...string[]], { error: (i) => (i.input === undefined ? '--format is required' : `--format must be one of ${FORMAT_NAMES.join(', ')}`) }),
  tenant: z.string({ error: '--tenant is required' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, '--tenant must be 1–128 letters, digits, _ . -'),
  rate: z.coerce.number().min(0, '--rate must be ≥ 0').default(0),
  mapping: z.string().optional(),
  options: z.string().optional(),
  restart: z.boolean().default(false),
  'no-resume': z.boolean().default(false),
});

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      format: { type: 'string' }, tenant: { type: 'string' }, rate: { type: 'string' }, mapping: { type: 'string' },
      options: { type: 'string' }, restart: { type: 'boolean' }, 'no-resume': { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help || parsed.positionals.length === 0) {
  console.error(USAGE);
  process.exit(parsed.values.help ? 0 : 2);
}
const args = argsSchema.safeParse(parsed.values);
if (!args.success) {
  console.error(`${args.error.issues.map((i) => i.message).join('\n')}\n${USAGE}`);
  process.exit(2);
}
const a = args.data;
const env = parseEnv(commonEnvSchema);
// kafkajs logs its retries at ERROR; the CLI reports a broker it cannot reach in one line
const log = pino({ level: 'silent' });
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-backfill', retry: { retries: 2 } }, log);
const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
const publisher = new EventPublisher(kafka, log, topics.events, 30_000, schemaRegistryFromEnv(env));
const dlq = new DeadLetterPublisher(kafka, topics.dlq);
try {
  await ensureTopics(kafka, topics, { eventPartitions: env.KAFKA_EVENT_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR });
  await publisher.start();
  await dlq.start();
} catch (err) {
  console.error(`backfill: cannot reach Kafka at ${env.KAFKA_BROKERS.join(',')} (KAFKA_BROKERS): ${(err as Error).message}`);
  process.exit(1);
}

const bar = new SingleBar({ format: '{file} [{bar}] {percentage}% | file {fileNo}/{files} | {events} events, {rejected} rejected', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 }, Presets.shades_classic);
let current = '';
let stopping = false;
// Ctrl-C stops after the batch in flight; the checkpoint then holds everything Kafka acknowledged
process.once('SIGINT', () => { stopping = true; });
process.once('SIGTERM', () => { stopping = true; });
try {
  const report = await backfill(
    {
      paths: parsed.positionals,
      format: a.format,
      tenant: a.tenant,
      rate: a.rate,
      ...(a.mapping ? { csvMapping: loadCsvMapping(a.mapping) } : {}),
      ...(a.options ? { adapterOptions: parseYaml(readFileSync(a.options, 'utf8')) as Record<string, unknown> } : {}),
      checkpoints: a['no-resume'] ? null : new CheckpointStore(join(env.SWITCHBOARD_STATE, 'backfill')),
      restart: a.restart,
      onProgress: (p) => {
        if (p.file !== current) {
          if (current) bar.stop();
          current = p.file;
          bar.start(p.totalBytes, 0, { file: p.file, fileNo: p.fileIndex + 1, files: p.files, events: p.events, rejected: p.rejected });
        }
        bar.update(p.bytes, { events: p.events, rejected: p.rejected });
        if (stopping) throw new Error('interrupted');
      },
    },
    { publish: (e) => publisher.publish(e), deadLetter: (l) => dlq.publishRaw(l) },
  );
  bar.stop();
  for (const f of report.files) {
    console.log(`${f.file}: ${f.alreadyDone ? 'already loaded (checkpoint; --restart to send again)' : `${f.records - f.resumedFrom} records${f.resumedFrom ? ` (resumed after ${f.resumedFrom})` : ''}, ${f.events} events, ${f.ignored} ignored, ${f.rejected} rejected`}`);
  }
  for (const p of report.problems) console.log(`rejected ${p}`);
  console.log(`published ${report.events} events to ${topics.events}; ${report.rejected} records rejected to ${topics.dlq}`);
  // a script must see that something was not loaded (the rejected records wait in the DLQ)
  if (report.rejected > 0) process.exitCode = 3;
} catch (err) {
  bar.stop();
  console.error((err as Error).message === 'interrupted' ? 'interrupted: run the same command again to resume' : `backfill failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await publisher.stop();
  await dlq.stop();
}
