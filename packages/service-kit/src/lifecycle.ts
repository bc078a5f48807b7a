import type { Logger } from 'pino';

/** Anything a process hosts: HTTP listener, consumer, producer, store. */
export interface Component {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts components in order and stops them in the reverse order, so intake (HTTP, consumers)
 * closes before the writers and stores it feeds: those flush last. `onDrain` runs first on
 * shutdown, before anything stops, to drop readiness.
 */
export class Lifecycle {
  private readonly started: Component[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: Logger, private readonly onDrain: () => void = () => undefined) {}

  async start(components: Component[]): Promise<void> {
    for (const c of components) {
      const t0 = Date.now();
      await c.start();
      this.started.push(c);
      this.log.info({ component: c.name, ms: Date.now() - t0 }, 'started');
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.onDrain();
      for (const c of [...this.started].reverse()) {
        try {
          await c.stop();
          this.log.info({ component: c.name }, 'stopped');
        } catch (err) {
          this.log.error({ err, component: c.name }, 'stop failed');
        }
      }
    })();
    return this.stopping;
  }

  /** SIGTERM/SIGINT: drain, stop in order, exit; a second signal exits at once. */
  handleSignals(exit: (code: number) => void = (c) => process.exit(c)): void {
    let signalled = false;
    const on = (sig: NodeJS.Signals) => {
      if (signalled) return exit(130);
      signalled = true;
      this.log.info({ signal: sig }, 'shutting down');
      // uncommitted work is replayed by the next owner, so a stuck drain may be cut short
      setTimeout(() => {
        this.log.error('shutdown took longer than 30 s; exiting without it');
        exit(1);
      }, 30_000).unref();
      this.stop().then(() => exit(0), () => exit(1));
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  }
}

export function component(name: string, start: () => Promise<void>, stop: () => Promise<void>): Component {
  return { name, start, stop };
}
