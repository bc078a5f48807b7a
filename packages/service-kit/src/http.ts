import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { negotiate } from '@fastify/accept-negotiator';
import cors from '@fastify/cors';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, deflate, gzip } from 'node:zlib';
import { openApiDocument, processFragment, type OpenApiFragment } from './openapi';
import { sharedMetric } from './metrics';

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
  /** false: the server answers errors and unknown routes itself (the store host speaks ClickHouse's) */
  jsonErrors?: boolean;
  /** the title of the OpenAPI document at /v1/openapi.json */
  title?: string;
  /** origins whose pages may call the API from a browser (CORS_ORIGINS; `*` any); none: no CORS headers */
  corsOrigins?: readonly string[];
  /** gzip, br or deflate answers of 1 KiB and more when the client accepts them (default on) */
  compress?: boolean;
  /**
   * Share of 1xx–3xx answers written to the access log (ACCESS_LOG_SAMPLE_RATE, default 1:
   * every request); 4xx and 5xx answers are always logged.
   */
  accessLogSampleRate?: number;
  /** the sampling draw (tests pin it) */
  random?: () => number;
}

/** The `route` label of a request no route matched: never the raw URL, whose paths are unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Latency buckets of every HTTP route, from a cached read (ms) to a long export (30 s). */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The one shape of every error answer (4xx and 5xx) of every service: `{error, details?}`,
 * `error` a sentence saying what is wrong, `details` a list of `{field|param, reason}` when
 * there are several things to fix. Fastify's own errors (body too large, bad content type,
 * malformed JSON, timeouts), unknown routes (404) and known routes asked with another method
 * (405, with Allow) are answered in it too.
 */
export interface ErrorBody {
  error: string;
  details?: { field?: string; param?: string; reason: string }[];
}

/**
 * The process's one HTTP listener. /healthz says the process is alive; /readyz says it should
 * get traffic, and turns false the moment shutdown begins so load balancers drain it first.
 */
export class HttpServer {
  readonly app: FastifyInstance;
  private readonly checks: ReadinessCheck[] = [];
  /** every route registered, as "METHOD /path/{param}" (the OpenAPI spelling) */
  private readonly registered: string[] = [];
  /** routes registered with `config: {page: true}`: a web page, not the API */
  private readonly pageRoutes: string[] = [];
  private draining = false;
  private address: string | null = null;
  private readonly fragments: OpenApiFragment[] = [processFragment()];
  private document: Record<string, unknown> | undefined;

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
    if (opts.compress !== false) this.compressAnswers();
    if (opts.corsOrigins && opts.corsOrigins.length > 0) {
      const any = opts.corsOrigins.includes('*');
      void this.app.register(cors, {
        origin: any ? '*' : [...opts.corsOrigins],
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
        allowedHeaders: ['authorization', 'x-api-key', 'x-tenant-id', 'content-type', 'content-encoding'],
        exposedHeaders: ['retry-after', 'content-disposition', 'allow'],
        maxAge: 600,
      });
    }
    this.app.addHook('onRoute', (r) => {
      // a web page and its files (the wallboard, docs/wallboard.md) are not API routes: listed
      // apart, outside the OpenAPI document
      const list = (r.config as { page?: boolean } | undefined)?.page ? this.pageRoutes : this.registered;
      for (const m of [r.method].flat()) if (m !== 'HEAD') list.push(`${String(m)} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    });
    this.installRequestMetrics(opts);
    if (opts.jsonErrors !== false) this.installErrorShape(opts.log);
    this.app.get('/healthz', async () => ({ status: 'ok' }));
    this.app.get('/readyz', async (_req, reply) => {
      if (this.draining) return reply.code(503).send({ status: 'draining' });
      const failing = await this.readiness();
      if (failing) return reply.code(503).send({ status: 'not ready', failing });
      return { status: 'ready' };
    });
    this.app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', opts.metrics.contentType);
      return opts.metrics.metrics();
    });
    // built at the first request: every service has described its routes by then
    this.app.get('/v1/openapi.json', async () => (this.document ??= openApiDocument(opts.title ?? 'Switchboard', this.fragments)));
  }

  /** The routes served, as "METHOD /path/{param}": a test holds them against the OpenAPI document. */
  routes(): string[] {
    return [...new Set(this.registered)].sort();
  }

  /** The routes serving a web page and its files (`config: {page: true}`), outside routes() and the OpenAPI document. */
  pages(): string[] {
    return [...new Set(this.pageRoutes)].sort();
  }

  /** Adds a service's routes to the OpenAPI document this server serves. */
  describe(fragment: OpenApiFragment): void {
    this.fragments.push(fragment);
    this.document = undefined;
  }

  /**
   * gzip, br or deflate, as the client's Accept-Encoding prefers, for text answers of 1 KiB and
   * more (KPI answers shrink ~10×). A global onSend hook rather than @fastify/compress, whose
   * per-route hooks miss the routes services add before the plugin has loaded. Compression runs
   * on libuv's thread pool, not the event loop; brotli at quality 4 (its default, 11, costs ~50×
   * gzip's CPU for a few % fewer bytes). Streams (the store host's answers) pass untouched.
   */
  private compressAnswers(): void {
    const encoders = {
      br: promisify(brotliCompress),
      gzip: promisify(gzip),
      deflate: promisify(deflate),
    };
    const brotli = { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } };
    this.app.addHook('onSend', async (req, reply, payload) => {
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      if (req.method === 'HEAD' || reply.hasHeader('content-encoding')) return payload;
      if (!/json|text|csv|javascript|xml|svg/.test(String(reply.getHeader('content-type') ?? ''))) return payload;
      const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
      if (body.length < 1024) return payload;
      reply.header('vary', 'accept-encoding');
      const accepted = req.headers['accept-encoding'];
      const encoding = accepted ? (negotiate(accepted, ['br', 'gzip', 'deflate']) as keyof typeof encoders | null) : null;
      if (!encoding) return payload;
      reply.header('content-encoding', encoding).removeHeader('content-length');
      return encoding === 'br' ? encoders.br(body, brotli) : encoders[encoding](body);
    });
  }

  /**
   * Every answer is counted by method, route template (`/v1/alerts/:id`, never the URL asked,
   * so the label stays bounded) and status, timed by method and route, and written to the
   * access log: 4xx and 5xx always, the rest sampled at `accessLogSampleRate`.
   * `switchboard_ready` is 1 while /readyz would answer 200 (docs/operations.md).
   */
  private installRequestMetrics(opts: HttpServerOptions): void {
    const registers = [opts.metrics];
    const requests = sharedMetric(opts.metrics, 'switchboard_http_requests_total', () =>
      new Counter({ name: 'switchboard_http_requests_total', help: 'HTTP requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'], registers }));
    const seconds = sharedMetric(opts.metrics, 'switchboard_http_request_duration_seconds', () =>
      new Histogram({ name: 'switchboard_http_request_duration_seconds', help: 'Time from request to answer, by method and route template', labelNames: ['method', 'route'], buckets: HTTP_BUCKETS, registers }));
    const server = this;
    sharedMetric(opts.metrics, 'switchboard_ready', () =>
      new Gauge({ name: 'switchboard_ready', help: '1 while /readyz answers 200 (every readiness check passes, not draining), else 0', registers, async collect() { this.set((await server.readiness()) === null ? 1 : 0); } }));
    const access = opts.log.child({ component: 'access' });
    const rate = opts.accessLogSampleRate ?? 1;
    const random = opts.random ?? Math.random;
    this.app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? UNMATCHED_ROUTE;
      const status = reply.statusCode;
      const method = req.method;
      requests.inc({ method, route, status: String(status) });
      seconds.observe({ method, route }, reply.elapsedTime / 1000);
      if (status >= 400 || (rate > 0 && (rate >= 1 || random() < rate))) {
        access.info({ method, route, status, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
      }
    });
  }

  /** null when /readyz would answer 200, else why not */
  private async readiness(): Promise<Record<string, string> | null> {
    if (this.draining) return { http: 'draining' };
    const failing: Record<string, string> = {};
    for (const c of this.checks) {
      const why = await c.check();
      if (why) failing[c.name] = why;
    }
    return Object.keys(failing).length > 0 ? failing : null;
  }

  private installErrorShape(log: Logger): void {
    // every route's pattern, to tell "no such path" (404) from "not with this method" (405)
    const routes: { method: string; re: RegExp }[] = [];
    this.app.addHook('onRoute', (r) => {
      const re = new RegExp(`^${r.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);
      for (const m of [r.method].flat()) routes.push({ method: String(m).toUpperCase(), re });
    });
    this.app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0]!;
      const allowed = [...new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method))].filter((m) => m !== 'HEAD');
      if (allowed.length > 0) {
        return reply.code(405).header('allow', allowed.join(', ')).send({ error: `${req.method} is not allowed on ${path}; use ${allowed.join(', ')}` } satisfies ErrorBody);
      }
      // a typo in the last segment of a collection (/v1/adapters/avaya): name the routes beside it
      const parent = path.slice(0, path.lastIndexOf('/') + 1);
      const deep = parent.split('/').length > 3; // below /v1/, not the whole API
      const siblings = !deep ? [] : this.routes().filter((r) => { const u = r.slice(r.indexOf(' ') + 1); return u.startsWith(parent) && !u.slice(parent.length).includes('/'); });
      return reply.code(404).send({ error: `no route ${req.method} ${path}${siblings.length ? `; under ${parent} there are ${siblings.join(', ')}` : ''}` } satisfies ErrorBody);
    });
    this.app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status >= 500) {
        log.error({ err, method: req.method, url: req.url.split('?')[0] }, 'request failed');
        // an internal error's text (SQL, stack, addresses) is not the client's business
        return reply.code(status).send({ error: status === 503 ? err.message : 'internal error; the server logged it' } satisfies ErrorBody);
      }
      return reply.code(status).send({ error: err.message } satisfies ErrorBody);
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
