import type { Kafka } from 'kafkajs';

export const TOPICS = {
  events: 'contact-events.v1',
  dlq: 'contact-events.dlq.v1',
  alerts: 'alerts.v1',
} as const;

export type Topics = { [K in keyof typeof TOPICS]: string };

/** A prefix lets several environments (or test runs) share one cluster without seeing each other. */
export function topicNames(prefix = ''): Topics {
  return { events: prefix + TOPICS.events, dlq: prefix + TOPICS.dlq, alerts: prefix + TOPICS.alerts };
}

export interface TopicPlan {
  /** unit of consumer parallelism for the event topic */
  eventPartitions: number;
  replicationFactor: number;
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: Topics, plan: TopicPlan): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      { topic: topics.events, numPartitions: plan.eventPartitions },
      { topic: topics.dlq, numPartitions: 1 },
      { topic: topics.alerts, numPartitions: 1 },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({ ...t, replicationFactor: plan.replicationFactor })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
