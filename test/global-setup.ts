import { resolveKafka, type ResolvedKafka } from '../packages/testkit/src/env';

// Runs once in vitest's main process, before any test worker is forked; workers are
// started with this process's env, so setting KAFKA_BROKERS here makes every test file
// use the one broker chosen below instead of each resolving (or starting) its own.
let kafka: ResolvedKafka | undefined;
let previous: string | undefined;

export async function setup(): Promise<void> {
  previous = process.env.KAFKA_BROKERS;
  kafka = await resolveKafka();
  process.env.KAFKA_BROKERS = kafka.brokers.join(',');
  console.log(`[global-setup] kafka via ${kafka.how}: ${process.env.KAFKA_BROKERS}`);
}

export async function teardown(): Promise<void> {
  await kafka?.stop();
  if (previous === undefined) delete process.env.KAFKA_BROKERS;
  else process.env.KAFKA_BROKERS = previous;
}
