import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpError, apiKeyTenantResolver, hashApiKey, newApiKey, reloadingApiKeys } from '../src/tenant';

const dir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const req = (key: string) => ({ headers: { authorization: `Bearer ${key}` } }) as unknown as FastifyRequest;
const statusOf = (f: () => unknown) => {
  try {
    f();
    return 200;
  } catch (err) {
    if (err instanceof HttpError) return err.statusCode;
    throw err;
  }
};

describe('API keys from API_KEYS_FILE', () => {
  it('stop working once removed from the file, without a restart; a broken file keeps the last good keys', () => {
    const path = join(dir, 'keys.json');
    const a = newApiKey();
    const b = newApiKey();
    writeFileSync(path, JSON.stringify([{ tenant: 'acme', sha256: hashApiKey(a), name: 'a' }]));
    const resolve = apiKeyTenantResolver(reloadingApiKeys(path, 0));
    expect(resolve(req(a))).toEqual({ tenant: 'acme', bound: true });
    expect(statusOf(() => resolve(req(b)))).toBe(401);
    // revoke a, issue b (a different size, so the change is seen whatever the clock's resolution)
    writeFileSync(path, JSON.stringify([{ tenant: 'globex', sha256: hashApiKey(b), name: 'b, the new one' }]));
    expect(statusOf(() => resolve(req(a)))).toBe(401);
    expect(resolve(req(b))).toEqual({ tenant: 'globex', bound: true });
    writeFileSync(path, '[{"tenant": ');
    expect(resolve(req(b))).toEqual({ tenant: 'globex', bound: true });
  });
});
