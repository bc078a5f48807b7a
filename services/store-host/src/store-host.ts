import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HttpServer } from '@switchboard/service-kit';
import type { StoreHostConfig } from './config';
import { Engine } from './engine';
import { ClickHouseException, NOT_IMPLEMENTED, clickHouseError, toClickHouseException } from './errors';
import { authenticate, isEmptyInsert, parseRequest, readBody } from './protocol';
import { storeHostOpenApi } from './openapi';

export interface StoreHostDeps {
  config: StoreHostConfig;
  log: Logger;
  metrics: Registry;
}

/** ClickHouse's limit on the URL (http_max_uri_size): long `param_` values travel there */
const MAX_URL_BYTES = 1024 * 1024;
const STATEMENT_KINDS = new Set(['select', 'with', 'insert', 'create', 'alter', 'drop', 'truncate', 'optimize', 'show', 'describe', 'exists', 'set', 'system', 'rename']);

/**
 * The store host: owns the embedded engine's data directory and serves it over the part of
 * ClickHouse's HTTP interface that @clickhouse/client uses, so several processes on one
 * machine (aggregator replicas, query, alerter) share one engine through
 * CLICKHOUSE_URL=http://127.0.0.1:<port>. A transport only: every statement runs in the
 * engine as it came (see protocol.ts for the mapping, engine.ts for how it runs).
 *
 * Its HTTP server is the service kit's, so /healthz, /readyz (the engine answers) and
 * /metrics sit next to ClickHouse's `/` and `/ping`.
 */
export class StoreHost {
  readonly engine: Engine;
  readonly http: HttpServer;
  private readonly log: Logger;
  private readonly requests: Counter<'statement' | 'status'>;
  private readonly seconds: Histogram<'statement'>;

  constructor(private readonly deps: StoreHostDeps) {
    const { config, log, metrics } = deps;
    this.log = log.child({ component: 'store-host' });
    this.engine = new Engine(config.dataDir, config.maxRunning);
    // statements may run for minutes with nothing on the wire, and inserts carry up to STORE_HOST_MAX_BODY_BYTES
    this.http = new HttpServer({ host: config.host, port: config.port, log, metrics, maxHeaderBytes: MAX_URL_BYTES + 64 * 1024, requestTimeoutMs: 300_000, idleTimeoutMs: 3_600_000, jsonErrors: false, title: 'Switchboard store host', compress: false, accessLogSampleRate: config.accessLogSampleRate ?? 0 });
    this.http.describe(storeHostOpenApi());
    const registers = [metrics];
    this.requests = new Counter({ name: 'switchboard_store_host_requests_total', help: 'ClickHouse HTTP requests, by statement kind and HTTP status', labelNames: ['statement', 'status'], registers });
    this.seconds = new Histogram({ name: 'switchboard_store_host_request_seconds', help: 'Time from request to answer, waiting for a turn included', labelNames: ['statement'], registers, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    const engine = this.engine;
    new Gauge({ name: 'switchboard_store_host_statements_running', help: 'Statements running in the engine', registers, collect() { this.set(engine.load.running); } });
    new Gauge({ name: 'switchboard_store_host_statements_waiting', help: 'Statements waiting for a turn (STORE_HOST_MAX_RUNNING)', registers, collect() { this.set(engine.load.waiting); } });

    this.http.addReadinessCheck({ name: 'engine', check: () => this.engine.check() });
    const app = this.http.app;
    app.register(async (scope) => {
      // bodies are SQL or INSERT data in any format: read raw, never parsed by fastify
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      scope.route({ method: ['GET', 'POST'], url: '/', handler: (req, reply) => this.handle(req, reply) });
      scope.get('/ping', (_req, reply) => reply.type('text/plain; charset=UTF-8').send('Ok.\n'));
    });
    app.setNotFoundHandler((req, reply) => {
      const e = clickHouseError(NOT_IMPLEMENTED, `store host: no handler for ${req.method} ${req.url.split('?')[0]}; ClickHouse requests go to / (GET or POST) and /ping`);
      void reply.code(404).header('X-ClickHouse-Exception-Code', String(e.code)).type('text/plain; charset=UTF-8').send(`${e.text}\n`);
    });
  }

  get url(): string {
    return this.http.url;
  }

  /** The routes served, as "METHOD /path" (the OpenAPI document lists the same). */
  routes(): string[] {
    return this.http.routes();
  }

  async start(): Promise<void> {
    await this.engine.open();
    await this.http.start();
    this.log.info({ url: this.url, dataDir: this.engine.dataDir, engine: this.engine.version, timezone: this.engine.timezone }, 'store host serving');
  }

  /** Readiness drops, requests in flight finish, then the engine closes. */
  async stop(): Promise<void> {
    await this.http.stop();
    this.engine.close();
  }

  drain(): void {
    this.http.drain();
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // answered by hand: ClickHouse's headers and status, the result body as the engine wrote it
    reply.hijack();
    const res = reply.raw;
    const t0 = process.hrtime.bigint();
    let kind = 'other';
    let queryId = '';
    let gone = false;
    res.on('close', () => {
      if (!res.writableFinished) gone = true;
    });
    try {
      const url = new URL(req.raw.url ?? '/', 'http://store-host');
      authenticate(url, req.headers, this.deps.config);
      const body = req.method === 'POST' ? await readBody(req.raw, this.deps.config.maxBodyBytes) : Buffer.alloc(0);
      const { statement, queryId: id } = parseRequest(req.method, url, req.headers, body);
      queryId = id;
      kind = statementKind(statement.sql);
      const out = isEmptyInsert(statement)
        ? { body: new Uint8Array(0), summary: { read_rows: '0', read_bytes: '0', written_rows: '0', written_bytes: '0', total_rows_to_read: '0', result_rows: '0', result_bytes: '0', elapsed_ns: '0' } }
        : await this.engine.run(statement, () => gone);
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Timezone': this.engine.timezone,
        'X-ClickHouse-Summary': JSON.stringify(out.summary),
        'Content-Length': String(out.body.byteLength),
      });
      res.end(out.body);
      this.record(kind, 200, t0);
      this.log.debug({ queryId, statement: kind, ms: msSince(t0) }, 'statement done');
    } catch (err) {
      const e: ClickHouseException = toClickHouseException(err);
      this.record(kind, e.status, t0);
      const fields = { queryId, statement: kind, status: e.status, code: e.code, err: e.text };
      if (e.status >= 500) this.log.warn(fields, 'statement failed');
      else this.log.debug(fields, 'statement refused');
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      res.writeHead(e.status, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(e.code),
        ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
        // a body left unread (too large, refused early) must not be taken for the next request
        ...(req.raw.readableEnded ? {} : { Connection: 'close' }),
      });
      res.end(`${e.text}\n`);
    }
  }

  private record(kind: string, status: number, t0: bigint): void {
    this.requests.inc({ statement: kind, status: String(status) });
    this.seconds.observe({ statement: kind }, msSince(t0) / 1000);
  }
}

const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function statementKind(sql: string): string {
  const word = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return STATEMENT_KINDS.has(word) ? word : 'other';
}
