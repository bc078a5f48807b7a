import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { z } from 'zod';
import { portSchema } from '@switchboard/service-kit';
import { compressBlocks, decompressBlocks } from './compression';
import { Engine } from './engine';
import { NOT_IMPLEMENTED, READONLY, SYNTAX_ERROR, TOO_MANY_ROWS_OR_BYTES, TOO_MANY_SIMULTANEOUS_QUERIES, clickHouseError, toClickHouseException, type ClickHouseException } from './errors';
import { authenticate, isMultiStatement, parseRequest, readBody } from './protocol';
import { isLoopbackHost } from './config';

/**
 * Variables of the BI listener `npm start` runs beside the pipeline (embedded store only). A
 * plain object, so the node can extend its schema with it; refineBiEnv checks the combination.
 */
export const biEnvSchema = z.object({
  BI_ENABLED: z.enum(['0', '1']).default('1').describe('1: with the embedded store, serve ClickHouse’s HTTP interface (read-only) to BI tools; 0: off'),
  BI_HOST: z.string().default('127.0.0.1').describe('BI listener address; beyond loopback BI_PASSWORD must be set'),
  BI_PORT: portSchema(8124).describe('BI listener port (ClickHouse’s own is 8123); 0 picks a free one'),
  BI_USER: z.string().min(1).default('bi').describe('the user BI tools log in as'),
  BI_PASSWORD: z.string().optional().describe('its password; unset: one is generated into <SWITCHBOARD_STATE>/bi-password and printed in the start banner'),
  BI_MAX_RUNNING: z.coerce.number().int().min(1).max(16).default(2).describe('BI statements run at once (the pipeline shares the engine and the cores)'),
  BI_MAX_QUEUED: z.coerce.number().int().min(0).max(1000).default(16).describe('BI statements waiting for a turn; more are refused (TOO_MANY_SIMULTANEOUS_QUERIES)'),
  BI_MAX_EXECUTION_TIME_S: z.coerce.number().int().min(1).max(3600).default(30).describe('a BI statement running longer is stopped by the engine (max_execution_time)'),
  BI_MAX_RESULT_BYTES: z.coerce.number().int().min(1024).default(100 * 1024 * 1024).describe('a BI result larger than this is refused (TOO_MANY_ROWS_OR_BYTES); a statement may use up to max(1 GiB, 4 × this) of memory'),
});
export type BiEnv = z.infer<typeof biEnvSchema>;

/** The store's SQL open to a network with no chosen password would give it every tenant's data. */
export function refineBiEnv(env: BiEnv, ctx: z.RefinementCtx): void {
  if (env.BI_ENABLED === '1' && !isLoopbackHost(env.BI_HOST) && !env.BI_PASSWORD) {
    ctx.addIssue({ code: 'custom', path: ['BI_PASSWORD'], message: `required when BI_HOST (${env.BI_HOST}) is not a loopback address` });
  }
}

export interface BiConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  /** where a generated password is kept (absent when BI_PASSWORD is set) */
  passwordFile?: string;
  /** the embedded store's data directory (the node's own) */
  dataDir: string;
  maxRunning: number;
  maxQueued: number;
  maxExecutionTimeS: number;
  maxResultBytes: number;
}

/** The configured password, else the one generated on first start and kept in the state directory. */
export function biPassword(configured: string | undefined, stateDir: string): { password: string; file?: string } {
  if (configured) return { password: configured };
  const file = join(stateDir, 'bi-password');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return { password: kept, file };
  }
  mkdirSync(dirname(file), { recursive: true });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { password, file };
}

export function biConfig(env: BiEnv, stateDir: string, dataDir: string): BiConfig {
  const { password, file } = biPassword(env.BI_PASSWORD, stateDir);
  return {
    host: env.BI_HOST,
    port: env.BI_PORT,
    user: env.BI_USER,
    password,
    passwordFile: file,
    dataDir,
    maxRunning: env.BI_MAX_RUNNING,
    maxQueued: env.BI_MAX_QUEUED,
    maxExecutionTimeS: env.BI_MAX_EXECUTION_TIME_S,
    maxResultBytes: env.BI_MAX_RESULT_BYTES,
  };
}

const NAME = 'switchboard-bi';
/** request bodies are SQL (or compressed SQL): no INSERT data comes here */
const MAX_BODY_BYTES = 1024 * 1024;
/** statements that only read; readonly = 1 in the engine refuses the rest as well */
const READ_ONLY = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*\(*\s*(select|with|show|describe|desc|exists)\b/i;
const FORMAT_CLAUSE = /\bFORMAT\s+([A-Za-z][A-Za-z0-9]*)\s*;?\s*$/i;
const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json; charset=UTF-8', jsoncompact: 'application/json; charset=UTF-8', jsonstrings: 'application/json; charset=UTF-8',
  jsoneachrow: 'application/x-ndjson; charset=UTF-8', jsoncompacteachrow: 'application/x-ndjson; charset=UTF-8',
  csv: 'text/csv; charset=UTF-8; header=absent', csvwithnames: 'text/csv; charset=UTF-8; header=present',
  native: 'application/octet-stream', rowbinary: 'application/octet-stream', rowbinarywithnames: 'application/octet-stream',
  rowbinarywithnamesandtypes: 'application/octet-stream', parquet: 'application/octet-stream', arrow: 'application/octet-stream', arrowstream: 'application/octet-stream',
};

/**
 * ClickHouse's HTTP interface over the node's own embedded store, for BI tools (Grafana,
 * Metabase, Superset, DBeaver): read-only, one user, bounded so it cannot starve the
 * pipeline. Statements run in this process's engine (the process owns the data directory;
 * chDB connections to the same directory share one engine), each on a connection of its own
 * with the limits applied after the client's settings, so a client cannot lift them:
 * readonly = 1, max_execution_time, max_threads, max_memory_usage; the result's size is
 * checked here.
 *
 * Speaks what the common drivers send by default: ClickHouse's compressed blocks both ways
 * (`compress=1`, `decompress=1`: the JDBC driver), HTTP compression (`enable_http_compression=1`
 * with gzip, br or deflate: clickhouse-connect, @clickhouse/client), `session_id` (accepted and
 * without effect: statements are read-only and complete in themselves, so there is no state a
 * session would keep). See docs/bi.md.
 */
export class BiListener {
  readonly engine: Engine;
  /** answers sent by kind of compression, and request bodies taken in compressed blocks (the tests read them) */
  readonly stats = { compressedBlocks: 0, httpEncoded: 0, plain: 0, decompressedRequests: 0 };
  private server: Server | null = null;
  private readonly log: Logger;

  constructor(private readonly config: BiConfig, log: Logger) {
    this.log = log.child({ component: 'bi' });
    this.engine = new Engine(config.dataDir, config.maxRunning);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('BI listener not started');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async start(): Promise<void> {
    await this.engine.open();
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.server = server;
    this.log.info({ url: this.url }, 'BI listener (ClickHouse HTTP, read-only) serving');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    this.engine.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bi');
    const compress = url.searchParams.get('compress') === '1';
    const encoding = url.searchParams.get('enable_http_compression') === '1' ? pickEncoding(req.headers['accept-encoding']) : undefined;
    let queryId = '';
    let gone = false;
    res.on('close', () => {
      if (!res.writableFinished) gone = true;
    });
    try {
      if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
        return;
      }
      if (url.pathname !== '/' || (req.method !== 'GET' && req.method !== 'POST')) {
        throw clickHouseError(NOT_IMPLEMENTED, `${NAME}: no handler for ${req.method} ${url.pathname}; ClickHouse requests go to / (GET or POST) and /ping`);
      }
      // credentials before the body is read
      authenticate(url, req.headers, { user: this.config.user, password: this.config.password, name: NAME });
      let body = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : Buffer.alloc(0);
      if (url.searchParams.get('decompress') === '1' && body.length > 0) {
        body = decompressBlocks(body);
        this.stats.decompressedRequests++;
      }
      const { statement, queryId: id } = parseRequest(req.method ?? 'GET', url, req.headers, body, {
        ignoreSessions: true,
        compression: true,
        refuseParams: `${NAME}: server-side bound parameters are not supported here (BI tools bind values into the SQL themselves)`,
        name: NAME,
      });
      queryId = id;
      if (!READ_ONLY.test(statement.sql)) {
        throw clickHouseError(READONLY, `${NAME}: Cannot execute query in readonly mode: only SELECT, SHOW, DESCRIBE and EXISTS are allowed here`);
      }
      if (isMultiStatement(statement.sql)) throw clickHouseError(SYNTAX_ERROR, `${NAME}: Multi-statements are not allowed`);
      if (statement.data) throw clickHouseError(READONLY, `${NAME}: Cannot execute query in readonly mode: no data is taken here`);
      const { running, waiting } = this.engine.load;
      if (running >= this.config.maxRunning && waiting >= this.config.maxQueued) {
        throw clickHouseError(TOO_MANY_SIMULTANEOUS_QUERIES, `${NAME}: Too many simultaneous queries: ${waiting} waiting (BI_MAX_QUEUED), ${this.config.maxRunning} running (BI_MAX_RUNNING)`);
      }
      const out = await this.engine.run({
        ...statement,
        readonly: false,
        enforced: [
          ['max_execution_time', String(this.config.maxExecutionTimeS)],
          ['max_result_bytes', String(this.config.maxResultBytes)],
          ['result_overflow_mode', 'throw'],
          ['max_threads', String(Math.max(1, this.config.maxRunning))],
          // the result is held whole before it is sent: a statement's memory is bounded instead
          ['max_memory_usage', String(Math.max(1024 ** 3, 4 * this.config.maxResultBytes))],
          // last: nothing can be changed after it (a SETTINGS clause in the query included)
          ['readonly', '1'],
        ],
      }, () => gone);
      // the engine checks max_result_bytes only where a server sends the result, which chDB does
      // not (measured: 30 MB came back under a 1 MiB limit), so it is checked here, on the whole result
      if (out.body.byteLength > this.config.maxResultBytes) {
        throw clickHouseError(TOO_MANY_ROWS_OR_BYTES, `${NAME}: Limit for result exceeded, max bytes: ${this.config.maxResultBytes} (BI_MAX_RESULT_BYTES), current bytes: ${out.body.byteLength}`);
      }
      const format = FORMAT_CLAUSE.exec(statement.sql)?.[1] ?? statement.format;
      this.send(res, 200, {
        'Content-Type': CONTENT_TYPES[format.toLowerCase()] ?? 'text/plain; charset=UTF-8',
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Timezone': this.engine.timezone,
        'X-ClickHouse-Server-Display-Name': NAME,
        'X-ClickHouse-Summary': JSON.stringify(out.summary),
      }, out.body, compress, encoding);
    } catch (err) {
      const e: ClickHouseException = toClickHouseException(err);
      const fields = { queryId, status: e.status, code: e.code, err: e.text };
      if (e.status >= 500) this.log.warn(fields, 'BI statement failed');
      else this.log.debug(fields, 'BI statement refused');
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      this.send(res, e.status, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(e.code),
        'X-ClickHouse-Server-Display-Name': NAME,
        ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
        ...(req.readableEnded ? {} : { Connection: 'close' }),
      // as plain text even when compression was asked for: the JDBC driver reads an error's body
      // as text (a compressed one reaches the user as garbage), and a short text gains nothing
      }, Buffer.from(`${e.text}\n`), false, undefined);
    }
  }

  /** The body as the client asked for it: ClickHouse's compressed blocks (compress=1), else HTTP compression, else as is. */
  private send(res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array, compress: boolean, encoding: string | undefined): void {
    let out: Uint8Array = body;
    const h = { ...headers };
    if (compress) {
      out = compressBlocks(body);
      this.stats.compressedBlocks++;
    } else if (encoding) {
      this.stats.httpEncoded++;
      const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      out = encoding === 'gzip' ? gzipSync(b, { level: 3 }) : encoding === 'br' ? brotliCompressSync(b) : deflateSync(b, { level: 3 });
      h['Content-Encoding'] = encoding;
      h.Vary = 'Accept-Encoding';
    } else this.stats.plain++;
    h['Content-Length'] = String(out.byteLength);
    res.writeHead(status, h);
    res.end(out);
  }
}

/**
 * The encoding for `enable_http_compression=1`, in the client's order of preference (q-values
 * honoured). zstd and lz4 are not offered: this Node has no zstd, and a client that lists only
 * those gets the body as is, which HTTP allows.
 */
export function pickEncoding(accept: string | string[] | undefined): string | undefined {
  const list = (Array.isArray(accept) ? accept.join(',') : accept ?? '').split(',').map((part, i) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    return { name: name!, q: Number.isFinite(q) ? q : 0, i };
  }).filter((e) => e.q > 0 && ['gzip', 'br', 'deflate'].includes(e.name));
  list.sort((a, b) => b.q - a.q || a.i - b.i);
  return list[0]?.name;
}
