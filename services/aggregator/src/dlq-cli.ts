// Inspect and replay the dead-letter topic after a fix.
//   npm run dlq -- list [--reason late] [--from 0]
//   npm run dlq -- replay [--reason future] [--from 0]
// Reads KAFKA_BROKERS / KAFKA_TOPIC_PREFIX like the services.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createKafka, topicNames } from '@switchboard/kafka';
import { commonEnvSchema, parseEnv } from '@switchboard/service-kit';
import { readDlq, replayDlq } from './dlq-tools';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { reason: { type: 'string' }, from: { type: 'string' } },
});
const command = positionals[0];
if (command !== 'list' && command !== 'replay') {
  console.error('usage: dlq list|replay [--reason <prefix: undecodable|invalid|late|future|…>] [--from <dlq offset>]');
  process.exit(2);
}
const env = parseEnv(commonEnvSchema);
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-dlq' }, pino({ level: 'warn' }));
const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
const letters = await readDlq(kafka, topics, values.from);
const match = (l: { reason: string }) => !values.reason || l.reason.startsWith(values.reason);
if (command === 'list') {
  for (const l of letters.filter(match)) console.log(`${l.offset}\t${l.failedAt}\t${l.source}\t${l.key ?? ''}\t${l.reason}`);
  console.error(`${letters.filter(match).length} of ${letters.length} dead letters`);
} else {
  const n = await replayDlq(kafka, topics, letters, match);
  console.log(`replayed ${n} dead letters to ${topics.events}; the next DLQ offset to start from is ${letters.at(-1) ? BigInt(letters.at(-1)!.offset) + 1n : values.from ?? 0}`);
}
