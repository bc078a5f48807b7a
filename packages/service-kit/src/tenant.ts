import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export interface RequestTenant {
  tenant: string;
  /** true when an API key fixed the tenant: events must then belong to it */
  bound: boolean;
}

export type TenantResolver = (req: FastifyRequest) => RequestTenant;

/**
 * Auth off (local single-node mode): the X-Tenant-Id header names the tenant, default `demo`
 * (docs/api.md, "Auth and tenants").
 */
export function headerTenantResolver(defaultTenant = 'demo'): TenantResolver {
  return (req) => {
    const h = req.headers['x-tenant-id'];
    if (h === undefined) return { tenant: defaultTenant, bound: false };
    if (typeof h !== 'string' || !TENANT_RE.test(h)) {
      throw new HttpError(400, 'X-Tenant-Id must be 1–128 characters of letters, digits, _ . -, starting with a letter or digit');
    }
    return { tenant: h, bound: false };
  };
}

/** Keys are random 32-byte tokens, so a plain SHA-256 is the right hash: nothing to brute-force. */
export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function newApiKey(): string {
  return `sbk_${randomBytes(32).toString('base64url')}`;
}

export const apiKeyFileSchema = z.array(
  z.strictObject({
    tenant: z.string().regex(TENANT_RE, 'tenant must be 1–128 letters, digits, _ . -'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be the hex SHA-256 of the key'),
    name: z.string().optional(),
  }),
);
export type ApiKeyEntry = z.infer<typeof apiKeyFileSchema>[number];

export function loadApiKeys(path: string): ApiKeyEntry[] {
  const parsed = apiKeyFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`invalid API key file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Auth on: every request carries an API key (`Authorization: Bearer <key>` or `X-Api-Key`),
 * and the key's tenant is the request's tenant, whatever else the request says. Only hashes
 * are stored. An X-Tenant-Id naming another tenant is refused rather than ignored, so a
 * misconfigured client learns at once.
 */
export function apiKeyTenantResolver(entries: ApiKeyEntry[] | (() => ApiKeyEntry[])): TenantResolver {
  const current = typeof entries === 'function' ? entries : () => entries;
  let seen: ApiKeyEntry[] | undefined;
  let byHash = new Map<string, string>();
  return (req) => {
    const list = current();
    if (list !== seen) {
      seen = list;
      byHash = new Map(list.map((e) => [e.sha256, e.tenant]));
    }
    const auth = req.headers.authorization;
    const key = typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : req.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') throw new HttpError(401, 'missing API key: send Authorization: Bearer <key> or X-Api-Key');
    const tenant = byHash.get(hashApiKey(key));
    if (!tenant) throw new HttpError(401, 'unknown API key');
    const named = req.headers['x-tenant-id'];
    if (named !== undefined && named !== tenant) throw new HttpError(403, 'X-Tenant-Id names a tenant this API key does not belong to');
    return { tenant, bound: true };
  };
}

/** AUTH_MODE=off uses X-Tenant-Id; AUTH_MODE=api_key needs API_KEYS_FILE. */
export function tenantResolverFromEnv(env: { AUTH_MODE: 'off' | 'api_key'; API_KEYS_FILE?: string; DEFAULT_TENANT: string }): TenantResolver {
  if (env.AUTH_MODE === 'off') return headerTenantResolver(env.DEFAULT_TENANT);
  if (!env.API_KEYS_FILE) throw new Error('AUTH_MODE=api_key needs API_KEYS_FILE (a JSON list of {tenant, sha256, name})');
  return apiKeyTenantResolver(reloadingApiKeys(env.API_KEYS_FILE));
}

/**
 * The keys of API_KEYS_FILE as they are now: the file is looked at (its size and mtime) at most
 * once a second, and read again when it changed, so a key removed from it stops working within
 * a second, without a restart. A file that no longer parses keeps the keys it last held (and
 * says so on stderr) rather than locking every client out or letting every key in.
 */
export function reloadingApiKeys(path: string, checkEveryMs = 1000): () => ApiKeyEntry[] {
  let entries = loadApiKeys(path);
  let stamp = stampOf(path);
  let checkedAt = Date.now();
  return () => {
    const now = Date.now();
    if (now - checkedAt < checkEveryMs) return entries;
    checkedAt = now;
    const s = stampOf(path);
    if (s === stamp) return entries;
    try {
      entries = loadApiKeys(path);
      stamp = s;
    } catch (err) {
      console.error(`[switchboard] ${path} changed but cannot be used; keeping its previous keys: ${(err as Error).message}`);
    }
    return entries;
  };
}

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return 'missing';
  }
}
