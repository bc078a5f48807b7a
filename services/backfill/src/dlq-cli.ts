// Inspect and replay the dead-letter topic after a fix.
//   npm run dlq -- list [--reason late] [--from 0]
//   npm run dlq -- replay [--reason future] [--from 0] [--mapping csv-mapping.yaml] [--options adapter-options.json]
// Vendor deliveries and backfill records that an adapter could not map are mapped again by
// today's adapter (after the fix) and published as events; other letters go back byte for byte.
// Reads KAFKA_BROKERS / KAFKA_TOPIC_PREFIX like the services.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadCsvMapping } from './csv-mapping';
import { remapDeadLetter } from './remap';
import type { ContactEvent } from '@switchboard/events';
import pino from 'pino';
import { EventPublisher, createKafka, schemaRegistryFromEnv, topicNames } from '@switchboard/kafka';
import { commonEnvSchema, parseEnv } from '@switchboard/service-kit';
import { readDlq, replayDlq } from './dlq-tools';

const USAGE = `usage: npm run dlq -- list|replay [--reason <prefix: undecodable|invalid|late|future|adapter …>] [--from <dlq offset>]
                       [--mapping <csv mapping yaml|json>] [--options <adapter options json|yaml>]`;
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { reason: { type: 'string' }, from: { type: 'string' }, mapping: { type: 'string' }, options: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (err) {
  // node's messages name the flag: "Unknown option '--reson'", "Option '--from <value>' argument missing"
  console.error(`dlq: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { positionals, values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const command = positionals[0];
if (command !== 'list' && command !== 'replay') {
  console.error(`dlq: ${command === undefined ? 'a command is required' : `unknown command "${command}"`}\n${USAGE}`);
  process.exit(2);
}
if (values.from !== undefined && !/^\d+$/.test(values.from)) {
  console.error(`dlq: --from must be a DLQ offset (a whole number), got "${values.from}"\n${USAGE}`);
  process.exit(2);
}
const env = parseEnv(commonEnvSchema);
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-dlq', retry: { retries: 2 } }, pino({ level: 'silent' }));
const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
let letters: Awaited<ReturnType<typeof readDlq>>;
try {
  letters = await readDlq(kafka, topics, values.from);
} catch (err) {
  console.error(`dlq: cannot read ${topics.dlq} from Kafka at ${env.KAFKA_BROKERS.join(',')} (KAFKA_BROKERS): ${(err as Error).message}`);
  process.exit(1);
}
const match = (l: { reason: string }) => !values.reason || l.reason.startsWith(values.reason);
if (command === 'list') {
  for (const l of letters.filter(match)) console.log(`${l.offset}\t${l.failedAt}\t${l.source}\t${l.key ?? ''}\t${l.reason}`);
  console.error(`${letters.filter(match).length} of ${letters.length} dead letters`);
} else {
  const remapOpts = {
    ...(values.mapping ? { csvMapping: loadCsvMapping(values.mapping) } : {}),
    ...(values.options ? { adapterOptions: parseYaml(readFileSync(values.options, 'utf8')) as Record<string, unknown> } : {}),
  };
  const remapped: ContactEvent[] = [];
  const adapterLetters = new Set<string>();
  for (const l of letters.filter(match)) {
    const headers = Object.fromEntries(Object.entries(l.message.headers ?? {}).map(([k, v]) => [k, v?.toString() ?? '']));
    const r = remapDeadLetter(headers, l.message.value ?? Buffer.alloc(0), remapOpts);
    if (r.kind === 'event') continue;
    adapterLetters.add(l.offset);
    remapped.push(...r.events);
    for (const why of r.stillFailing) console.log(`${l.offset}\tstill failing\t${why}`);
  }
  const n = await replayDlq(kafka, topics, letters, (l) => match(l) && !adapterLetters.has(l.offset));
  if (remapped.length > 0) {
    const publisher = new EventPublisher(kafka, pino({ level: 'warn' }), topics.events, 30_000, schemaRegistryFromEnv(env));
    await publisher.start();
    for (let i = 0; i < remapped.length; i += 1000) await publisher.publish(remapped.slice(i, i + 1000));
    await publisher.stop();
  }
  console.log(`replayed ${n} dead letters to ${topics.events}, and ${remapped.length} events mapped again from ${adapterLetters.size} vendor letters; the next DLQ offset to start from is ${letters.at(-1) ? BigInt(letters.at(-1)!.offset) + 1n : values.from ?? 0}`);
}
