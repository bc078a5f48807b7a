import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogLevel } from '../src/client';

// kafkajs logs several normal states of a cluster settling at ERROR; the log creator moves
// them down so an ERROR line means something is wrong (docs/operations.md, "Logs").
describe('kafkajs log levels', () => {
  it('a broker answer that is a start-up state is debug: kafkajs retries it', () => {
    const response = 'Response GroupCoordinator(key: 10, version: 2)';
    expect(kafkaLogLevel(logLevel.ERROR, response, 'The group coordinator is not available')).toBe('debug');
    expect(kafkaLogLevel(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election')).toBe('debug');
    expect(kafkaLogLevel(logLevel.ERROR, 'Response ListOffsets(key: 2, version: 4)', 'This server does not host this topic-partition')).toBe('debug');
    expect(kafkaLogLevel(logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5)', 'The group is rebalancing, so a rejoin is needed')).toBe('debug');
    expect(kafkaLogLevel(logLevel.ERROR, 'Response FindCoordinator(key: 10, version: 2)', "The coordinator is loading and hence can't process requests for this group")).toBe('debug');
  });

  it('a group changing members, or a send retried over a leader election, is warn', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'The coordinator is not aware of this member, re-joining the group')).toBe('warn');
    expect(kafkaLogLevel(logLevel.WARN, 'The group is rebalancing, re-joining')).toBe('warn');
    expect(kafkaLogLevel(logLevel.ERROR, 'Failed to send messages: This server is not the leader for that topic-partition')).toBe('warn');
  });

  it('everything else keeps its level: a broker that cannot be reached is still an error', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toBe('error');
    expect(kafkaLogLevel(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', 'The request included a message larger than the max message size the server will accept')).toBe('error');
    // retries ran out: the same state is now the consumer's failure
    expect(kafkaLogLevel(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available')).toBe('error');
    expect(kafkaLogLevel(logLevel.WARN, 'Connection timeout')).toBe('warn');
  });

  it('warnings about settings chosen on purpose, repeated by every producer, are debug', () => {
    expect(kafkaLogLevel(logLevel.WARN, 'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior …')).toBe('debug');
    expect(kafkaLogLevel(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees')).toBe('debug');
    expect(kafkaLogLevel(logLevel.INFO, 'Consumer has joined the group')).toBe('info');
    expect(kafkaLogLevel(logLevel.DEBUG, 'Request Fetch')).toBe('debug');
  });
});
