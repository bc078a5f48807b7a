import type { Logger } from 'pino';
import { openStore, type Store, type StoreTarget } from './client';
import { migrate } from './migrate';

/**
 * The store as a lifecycle component: opened and migrated first, closed last. `store` is
 * there once `start()` has resolved.
 */
export class StoreComponent {
  readonly name = 'clickhouse-store';
  private opened: Store | null = null;

  constructor(private readonly target: StoreTarget, private readonly log?: Logger) {}

  get store(): Store {
    if (!this.opened) throw new Error('store not started');
    return this.opened;
  }

  async start(): Promise<void> {
    this.opened = await openStore(this.target);
    const applied = await migrate(this.opened.client);
    if (applied.length) this.log?.info({ applied }, 'migrations applied');
  }

  async stop(): Promise<void> {
    await this.opened?.close();
  }
}
