import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Statement } from './engine';
import {
  ACCESS_DENIED, AUTHENTICATION_FAILED, NOT_IMPLEMENTED, QUERY_IS_TOO_LARGE, SYNTAX_ERROR, UNKNOWN_COMPRESSION_METHOD, clickHouseError,
} from './errors';

/**
 * The subset of ClickHouse's HTTP interface that @clickhouse/client speaks, read into a
 * Statement:
 *
 * - the SQL is the `query` URL parameter, the body, or both (`query` is then the beginning and
 *   the body the rest: for `INSERT … FORMAT X` the body is the data);
 * - `param_<name>` are bound parameters; `database`, `default_format`, `query_id`, `user` and
 *   `password` mean what they mean to a server; every other URL parameter is a setting;
 * - headers X-ClickHouse-User/-Key/-Database/-Format and Basic auth; request bodies in gzip,
 *   deflate or br (Content-Encoding).
 *
 * What the host does not do is refused by name (NOT_IMPLEMENTED), never ignored.
 */

/** URL parameters the transport consumes (the rest are settings). */
const TRANSPORT = new Set(['query', 'database', 'default_format', 'query_id', 'user', 'password']);
/**
 * Accepted and without effect here: results are always sent once the statement has finished
 * (as with wait_end_of_query=1), and there are no sessions for a timeout or check to apply to.
 */
const NO_EFFECT = new Set(['wait_end_of_query', 'buffer_size', 'stacktrace', 'session_timeout', 'session_check']);
/** Refused: a client relying on them would silently get something else. */
const REFUSED: Record<string, string> = {
  session_id: 'sessions (state kept between requests): every request here is independent',
  compress: "ClickHouse's native compression of the response (compress=1)",
  decompress: "ClickHouse's native compression of the request body (decompress=1)",
  role: 'roles: the store host has one user and no access control',
  quota_key: 'quotas',
};

/**
 * How a listener reads requests. The store host (the default) is the transport of our own
 * services and refuses what it does not do; the BI listener serves clients no one here wrote,
 * which send sessions and ask for compression by default.
 */
export interface RequestOptions {
  /** `session_id`, `session_timeout`, `session_check` accepted and without effect (every statement is read-only and complete in itself) */
  ignoreSessions?: boolean;
  /** the listener handles `compress`, `decompress`, `enable_http_compression` and `http_zlib_compression_level` itself */
  compression?: boolean;
  /** why `param_<name>` values are refused, when they are */
  refuseParams?: string;
  /** the listener's name in errors */
  name?: string;
}

/** URL parameters of the HTTP handler itself on a server, never settings */
const HANDLER_ONLY = ['client_protocol_version'];

export interface ParsedRequest {
  statement: Statement;
  queryId: string;
}

export interface Credentials {
  /** the listener's name in errors (ClickHouse names the server) */
  name?: string;
  user: string;
  password: string;
}

/** The request's credentials against the host's one user (ClickHouse: Basic auth, X-ClickHouse-User/Key, or user/password parameters). */
export function authenticate(url: URL, headers: IncomingHttpHeaders, expected: Credentials): void {
  let user = header(headers, 'x-clickhouse-user') ?? url.searchParams.get('user') ?? undefined;
  let password = header(headers, 'x-clickhouse-key') ?? url.searchParams.get('password') ?? undefined;
  const auth = header(headers, 'authorization');
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    user ??= i < 0 ? decoded : decoded.slice(0, i);
    password ??= i < 0 ? '' : decoded.slice(i + 1);
  } else if (auth) {
    throw clickHouseError(NOT_IMPLEMENTED, `${expected.name ?? 'store host'}: only Basic authorization is supported`);
  }
  const same = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
  const userOk = same(user ?? 'default', expected.user);
  const passwordOk = same(password ?? '', expected.password);
  if (!userOk || !passwordOk) {
    throw clickHouseError(AUTHENTICATION_FAILED, `${user ?? 'default'}: Authentication failed: password is incorrect, or there is no user with such name`);
  }
}

/** Builds the statement of a GET or POST to `/` (the body already read and decoded). */
export function parseRequest(method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer, options: RequestOptions = {}): ParsedRequest {
  const params: Record<string, string> = {};
  const settings: Array<[string, string]> = [];
  const skip = new Set<string>([...TRANSPORT, ...NO_EFFECT]);
  if (options.ignoreSessions) for (const k of ['session_id', 'session_timeout', 'session_check']) skip.add(k);
  if (options.compression) for (const k of ['compress', 'decompress', 'enable_http_compression', 'http_zlib_compression_level', ...HANDLER_ONLY]) skip.add(k);
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('param_')) {
      if (options.refuseParams) throw clickHouseError(NOT_IMPLEMENTED, `${options.refuseParams} (URL parameter ${k})`);
      params[k.slice(6)] = v;
    } else if (skip.has(k)) continue;
    else if (k in REFUSED) throw clickHouseError(NOT_IMPLEMENTED, `store host: ${REFUSED[k]} not supported (URL parameter ${k})`);
    else settings.push([k, v]);
  }
  if (header(headers, 'x-clickhouse-quota')) throw clickHouseError(NOT_IMPLEMENTED, `store host: ${REFUSED.quota_key} not supported (X-ClickHouse-Quota)`);
  const contentType = header(headers, 'content-type') ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    // clickhouse-js sends parameters this way only with use_multipart_params; servers also take external tables so
    throw clickHouseError(NOT_IMPLEMENTED, 'store host: multipart/form-data requests (multipart query parameters, external tables) not supported');
  }

  const urlQuery = url.searchParams.get('query') ?? '';
  const text = body.length > 0 ? body : undefined;
  let sql: string;
  let data: Buffer | undefined;
  if (method === 'GET' || !text) sql = urlQuery;
  else if (!urlQuery) sql = text.toString('utf8');
  else if (/^\s*INSERT\b/i.test(urlQuery)) {
    sql = urlQuery;
    data = text;
  } else sql = `${urlQuery}\n${text.toString('utf8')}`;
  if (!sql.trim()) throw clickHouseError(SYNTAX_ERROR, 'Empty query');
  const outside = reachesOutside(sql);
  if (outside) throw clickHouseError(ACCESS_DENIED, `${options.name ?? 'store host'}: ${outside}(…) reads or writes outside the store (files, URLs, other servers, programs) and is not allowed here`);

  return {
    queryId: url.searchParams.get('query_id') || randomUUID(),
    statement: {
      sql,
      data,
      params,
      settings,
      database: header(headers, 'x-clickhouse-database') ?? (url.searchParams.get('database') || undefined),
      format: header(headers, 'x-clickhouse-format') ?? url.searchParams.get('default_format') ?? 'TabSeparated',
      readonly: method === 'GET',
    },
  };
}

/**
 * Functions that reach outside the store: table functions over URLs, object stores, files,
 * other servers and databases, programs; and the scalar `file()`. A statement naming one is
 * refused (an INSERT INTO FUNCTION url(…) would send the store's rows anywhere; SELECT FROM
 * url(…) would make the host a proxy into the network it sits in).
 */
const OUTSIDE = new Set([
  'url', 'urlcluster', 's3', 's3cluster', 'gcs', 'oss', 'cosn', 'azureblobstorage', 'azureblobstoragecluster', 'hdfs', 'hdfscluster',
  'file', 'filecluster', 'remote', 'remotesecure', 'cluster', 'clusterallreplicas', 'mysql', 'postgresql', 'mongodb', 'redis', 'sqlite',
  'odbc', 'jdbc', 'executable', 'iceberg', 'icebergs3', 'icebergazure', 'iceberghdfs', 'icebergcluster', 'deltalake', 'deltalakecluster',
  'hudi', 'hudicluster', 'paimon', 'arrowflight', 'ytsaurus', 'fuzzquery', 'hive', 'dictionary',
]);

/** The SQL with string literals emptied and comments removed: what is left is code. */
const codeOf = (sql: string) => sql
  .replace(/'(?:[^'\\]|\\.|'')*'/gs, "''")
  .replace(/--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\//g, ' ');

/** The first function of OUTSIDE the SQL calls (names compared case-insensitively, quoted or not; string literals and comments skipped), or undefined. */
export function reachesOutside(sql: string): string | undefined {
  const code = codeOf(sql).replace(/[`"]/g, '');
  for (const m of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    if (OUTSIDE.has(m[1]!.toLowerCase())) return m[1];
  }
  return undefined;
}

/** More than one statement (`SELECT 1; DROP …`): the engine would run them all, a server refuses them. */
export function isMultiStatement(sql: string): boolean {
  return /;\s*\S/.test(codeOf(sql).replace(/`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"/g, '``'));
}

/** `INSERT … FORMAT X` without data: a server inserts nothing and answers 200 (clickhouse-js can stream an empty body). */
export function isEmptyInsert(st: Statement): boolean {
  return st.data === undefined && /^\s*INSERT\b[\s\S]*\bFORMAT\s+\w+\s*$/i.test(st.sql);
}

/** The body, decompressed per Content-Encoding, at most `limit` bytes once decompressed. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = (header(req.headers, 'content-encoding') ?? 'identity').toLowerCase();
  let source: Readable = req;
  if (encoding === 'gzip') source = req.pipe(createGunzip());
  else if (encoding === 'deflate') source = req.pipe(createInflate());
  else if (encoding === 'br') source = req.pipe(createBrotliDecompress());
  else if (encoding !== 'identity') throw clickHouseError(UNKNOWN_COMPRESSION_METHOD, `store host: Content-Encoding ${encoding} not supported (gzip, deflate, br are)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > limit) throw clickHouseError(QUERY_IS_TOO_LARGE, `store host: request body larger than ${limit} bytes (STORE_HOST_MAX_BODY_BYTES)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
