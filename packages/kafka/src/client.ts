import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** connection retries (kafkajs's default: 5, about 25 s before a broker is given up on); a CLI answers sooner */
  retry?: { retries: number };
}

/**
 * Broker answers kafkajs logs at ERROR although they are the normal states of a cluster
 * settling (a group coordinator still loading, a new topic's leader being elected, a group
 * rebalancing) and kafkajs retries them itself: an operator reading ERROR lines at every
 * start-up learns to ignore ERROR. If the retries run out, the caller's own error (a failed
 * publish, a consumer crash) is still logged at ERROR.
 */
const TRANSIENT_ANSWERS = [
  'The group coordinator is not available', // GROUP_COORDINATOR_NOT_AVAILABLE
  "The coordinator is loading and hence can't process requests for this group", // COORDINATOR_LOAD_IN_PROGRESS
  'This is not the correct coordinator for this group', // NOT_COORDINATOR
  'There is no leader for this topic-partition as we are in the middle of a leadership election', // LEADER_NOT_AVAILABLE
  'This server is not the leader for that topic-partition', // NOT_LEADER_FOR_PARTITION
  'This server does not host this topic-partition', // UNKNOWN_TOPIC_OR_PARTITION (a topic just created)
  'The group is rebalancing, so a rejoin is needed', // REBALANCE_IN_PROGRESS
];
/**
 * kafkajs's warnings about choices made on purpose, repeated by every producer at start-up:
 * the v1 → v2 partitioner change (Switchboard has only ever used v2's default, Java-compatible
 * partitioner), and bounded retries on an idempotent producer (EventPublisher bounds them so a
 * dead broker becomes a 503; the event_id ledger absorbs a retried send).
 */
const KNOWN_CHOICES = ['KafkaJS v2.0.0 switched default partitioner', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'];
/** kafkajs's own lines about a group changing members: expected whenever a replica starts or stops */
const MEMBERSHIP_CHANGES = ['The coordinator is not aware of this member, re-joining the group', 'The group is rebalancing, re-joining'];

export type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The pino level of one kafkajs log entry: a broker's answer that is a transient start-up
 * state goes to debug (kafkajs retries the request), a send retried over one and a group
 * membership change to warn, warnings about deliberate settings to debug, everything else
 * keeps kafkajs's level.
 */
export function kafkaLogLevel(level: logLevel, message: string, error?: unknown): PinoLevel {
  if (level > logLevel.WARN) return level === logLevel.INFO ? 'info' : 'debug';
  const transient = (text: unknown) => typeof text === 'string' && TRANSIENT_ANSWERS.some((t) => text.includes(t));
  // one request's answer; kafkajs retries the request
  if (message.startsWith('Response ') && transient(error)) return 'debug';
  // a send kafkajs retries after refreshing the metadata (a crash after the last retry stays ERROR)
  if (message.startsWith('Failed to send messages: ') && transient(message)) return 'warn';
  if (MEMBERSHIP_CHANGES.some((t) => message.startsWith(t))) return 'warn';
  if (KNOWN_CHOICES.some((t) => message.startsWith(t))) return 'debug';
  return level <= logLevel.ERROR ? 'error' : 'warn';
}

/** kafkajs logs through pino so every service writes one JSON log stream. */
export function createKafka(cfg: KafkaConfig, log: Logger): Kafka {
  const child = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    ...(cfg.retry ? { retry: cfg.retry } : {}),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        child[kafkaLogLevel(level, message, extra.error)](extra, message);
      },
  });
}
