import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
 * (README.md, "Using it").
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
export function apiKeyTenantResolver(entries: ApiKeyEntry[]): TenantResolver {
  const byHash = new Map(entries.map((e) => [e.sha256, e.tenant]));
  return (req) => {
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
  return apiKeyTenantResolver(loadApiKeys(env.API_KEYS_FILE));
}
