// Kafka for Switchboard's services: the client, the topic names and their creation, the event
// publisher, the exactly-once batch consumer the aggregator runs on, and the dead-letter
// publisher for events that cannot be processed.

// client and topics
export { createKafka, kafkaLogLevel } from './client';
export { publishErrors } from './metrics';
export { ensureTopics, topicNames, type Topics } from './topics';

// publishing events
export { BrokerUnavailableError, EventPublisher, eventKey } from './producer';

// consuming in batches
export { BatchConsumer, type BatchPart, type CombinedBatch, type PartitionLag } from './consumer';

// the schema registry, when configured
export { schemaRegistryFromEnv, type SchemaRegistryEnv } from './registry';

// dead letters
export { DeadLetterPublisher, reasonClass, type DeadLetter, type DeadLetterObservers, type RawDeadLetter, type RawDeadLetterPublisher } from './dlq';
