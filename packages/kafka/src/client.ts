import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** connection retries (kafkajs's default: 5, about 25 s before a broker is given up on); a CLI answers sooner */
  retry?: { retries: number };
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
        if (level <= logLevel.ERROR) child.error(extra, message);
        else if (level === logLevel.WARN) child.warn(extra, message);
        else child.debug(extra, message);
      },
  });
}
