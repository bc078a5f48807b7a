import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Leadership among alerter replicas through a Kafka consumer group on alerts.v1 (one
 * partition): the member assigned partition 0 evaluates and notifies, the others stand by.
 * Kafka gives the partition to exactly one member per generation; a replica that stops leaves
 * the group at once (graceful) or after the session timeout (crash), and another takes over.
 * Leadership is dropped the moment a rebalance starts, before the new assignment is known.
 */
export class Leadership {
  private readonly consumer: Consumer;
  private leader = false;
  private running = false;
  private member = false;

  constructor(
    kafka: Kafka,
    private readonly opts: { groupId: string; topic: string; sessionTimeoutMs: number; onChange: (leader: boolean) => void },
    private readonly log: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      rebalanceTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.max(300, Math.floor(opts.sessionTimeoutMs / 10)),
      maxWaitTimeInMs: 1000,
      allowAutoTopicCreation: false,
    });
    const { GROUP_JOIN, REBALANCING, CRASH, STOP, DISCONNECT } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (e) => {
      this.member = true;
      this.set((e.payload.memberAssignment[opts.topic] ?? []).includes(0));
    });
    for (const ev of [REBALANCING, CRASH, STOP, DISCONNECT] as const) {
      this.consumer.on(ev, () => {
        this.member = false;
        this.set(false);
      });
    }
  }

  get isLeader(): boolean {
    return this.leader;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** In a settled generation of the group (leader or standby). */
  get isMember(): boolean {
    return this.member;
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info({ leader }, leader ? 'alerter leadership acquired' : 'alerter leadership released');
    this.opts.onChange(leader);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: false });
    this.running = true;
    // The records themselves are not needed (state comes from ClickHouse); consuming keeps
    // the membership alive and the committed offset current.
    this.consumer.run({ autoCommit: true, eachMessage: async () => undefined }).catch((err) => {
      this.log.error({ err }, 'leadership consumer failed');
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.set(false);
    await this.consumer.disconnect();
  }
}
