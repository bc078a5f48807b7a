import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWallboard } from '@switchboard/wallboard';
import { registerWallboardRoutes } from '../src/wallboard';

// How the query service serves the wallboard's build (docs/wallboard.md): hashed assets cached
// for a year, index.html revalidated by ETag, nothing served before a build exists.

let dir: string;
let app: FastifyInstance;
let assets: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-wallboard-'));
  const built = await buildWallboard(join(dir, 'dist'));
  assets = built.files.filter((f) => f.startsWith('assets/'));
  app = Fastify();
  registerWallboardRoutes(app, { dir: join(dir, 'dist') });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the wallboard build', () => {
  it('is one script and one stylesheet named by their content hash, and index.html naming them', async () => {
    expect(assets).toHaveLength(2);
    for (const a of assets) expect(a).toMatch(/^assets\/main-[A-Z0-9]{8}\.(js|css)$/);
    const html = (await app.inject('/')).body;
    for (const a of assets) expect(html).toContain(`"${a}"`);
    expect(html).not.toMatch(/https?:\/\//); // no CDN: everything from this server
  });
});

describe('GET /', () => {
  it('answers index.html revalidated on every load (no-cache, ETag), with a same-origin CSP', async () => {
    const r = await app.inject('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    const again = await app.inject({ url: '/', headers: { 'if-none-match': r.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await app.inject({ url: '/', headers: { 'if-none-match': '"other"' } })).statusCode).toBe(200);
  });
});

describe('GET /assets/:file', () => {
  it('answers hashed assets as immutable for a year, with their type', async () => {
    for (const a of assets) {
      const r = await app.inject(`/${a}`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.headers['content-type']).toBe(a.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.body.length).toBeGreaterThan(1000);
    }
  });
  it('answers 404 in the common error shape for a name that is not in the build', async () => {
    const r = await app.inject('/assets/main-OLDHASH1.js');
    expect(r.statusCode).toBe(404);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.json().error).toContain('main-OLDHASH1.js');
  });
});

describe('without a build', () => {
  it('answers 503 saying how to build it, then serves the build once it exists', async () => {
    const empty = join(dir, 'later');
    const bare = Fastify();
    registerWallboardRoutes(bare, { dir: empty });
    const r = await bare.inject('/');
    expect(r.statusCode).toBe(503);
    expect(r.json().error).toContain('npm run build:wallboard');
    await buildWallboard(empty);
    expect((await bare.inject('/')).statusCode).toBe(200);
    await bare.close();
  });
});
