import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface ReadinessCheck {
  name: string;
  /** null when ready, else why not */
  check(): string | null | Promise<string | null>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  log: Logger;
  metrics: Registry;
  bodyLimitBytes?: number;
  /** request line + headers; Node's default is 16 KiB (the store host takes ClickHouse's 1 MiB URLs) */
  maxHeaderBytes?: number;
  /** the whole request (headers and body) must arrive within this (30 s); a slow sender is cut off with 408 */
  requestTimeoutMs?: number;
  /** a connection idle this long is closed (120 s; a response still being computed counts as idle, so the store host sets more) */
  idleTimeoutMs?: number;
}

/**
 * The process's one HTTP listener. /healthz says the process is alive; /readyz says it should
 * get traffic, and turns false the moment shutdown begins so load balancers drain it first.
 */
export class HttpServer {
  readonly app: FastifyInstance;
  private readonly checks: ReadinessCheck[] = [];
  private draining = false;
  private address: string | null = null;

  constructor(private readonly opts: HttpServerOptions) {
    const requestTimeout = opts.requestTimeoutMs ?? 30_000;
    this.app = Fastify({
      // request lines at info would drown the service's own logs; errors still come through
      loggerInstance: opts.log.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
      bodyLimit: opts.bodyLimitBytes ?? 10 * 1024 * 1024,
      return503OnClosing: true,
      // Fastify's defaults (0) let a client hold a connection and a growing body forever
      requestTimeout,
      connectionTimeout: opts.idleTimeoutMs ?? 120_000,
      http: {
        ...(opts.maxHeaderBytes ? { maxHeaderSize: opts.maxHeaderBytes } : {}),
        // Node arms its request-timeout check only when the server is created with one (Fastify
        // sets it afterwards), and checks this often (30 s by default, longer than a short timeout)
        requestTimeout,
        connectionsCheckingInterval: Math.max(250, Math.min(5_000, requestTimeout / 4)),
      },
    });
    this.app.get('/healthz', async () => ({ status: 'ok' }));
    this.app.get('/readyz', async (_req, reply) => {
      if (this.draining) return reply.code(503).send({ status: 'draining' });
      const failing: Record<string, string> = {};
      for (const c of this.checks) {
        const why = await c.check();
        if (why) failing[c.name] = why;
      }
      if (Object.keys(failing).length > 0) return reply.code(503).send({ status: 'not ready', failing });
      return { status: 'ready' };
    });
    this.app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', opts.metrics.contentType);
      return opts.metrics.metrics();
    });
  }

  addReadinessCheck(c: ReadinessCheck): void {
    this.checks.push(c);
  }

  /** Readiness drops at once; requests in flight still complete. */
  drain(): void {
    this.draining = true;
  }

  get url(): string {
    if (!this.address) throw new Error('server not started');
    return this.address;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    const a = this.app.server.address();
    const port = typeof a === 'object' && a ? a.port : this.opts.port;
    const host = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    this.address = `http://${host}:${port}`;
  }

  async stop(): Promise<void> {
    this.drain();
    await this.app.close();
  }
}
