import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpServer } from '../src/http';
import { HttpError } from '../src/tenant';

function server() {
  const s = new HttpServer({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }), metrics: new Registry(), bodyLimitBytes: 1024 });
  s.app.get('/v1/things/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  s.app.put('/v1/things/:id', async () => ({ ok: true }));
  s.app.post('/v1/feeds/alpha', async () => ({ ok: true }));
  s.app.post('/v1/feeds/beta', async () => ({ ok: true }));
  s.app.get('/v1/secret', async () => {
    throw new Error('Code: 60. DB::Exception: Table default.kpi_agg_1m … at 10.0.0.5:9000');
  });
  s.app.get('/v1/teapot', async () => {
    throw new HttpError(418, 'I am a teapot');
  });
  return s;
}

describe('every error answer has one shape: {error, details?}', () => {
  it('404 for no such path, 405 with Allow for another method, 413 and 415 from the server itself', async () => {
    const s = server();
    const notFound = await s.app.inject({ method: 'GET', url: '/v1/nothing?x=1' });
    expect([notFound.statusCode, notFound.json()]).toEqual([404, { error: 'no route GET /v1/nothing' }]);
    // a typo in a collection's last segment is told what is there
    const typo = await s.app.inject({ method: 'POST', url: '/v1/feeds/gamma' });
    expect([typo.statusCode, typo.json()]).toEqual([404, { error: 'no route POST /v1/feeds/gamma; under /v1/feeds/ there are POST /v1/feeds/alpha, POST /v1/feeds/beta' }]);
    const wrongMethod = await s.app.inject({ method: 'DELETE', url: '/v1/things/42' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, PUT');
    expect(wrongMethod.json()).toEqual({ error: 'DELETE is not allowed on /v1/things/42; use GET, PUT' });
    const tooLarge = await s.app.inject({ method: 'PUT', url: '/v1/things/1', payload: JSON.stringify({ x: 'y'.repeat(2000) }), headers: { 'content-type': 'application/json' } });
    expect(tooLarge.statusCode).toBe(413);
    expect(Object.keys(tooLarge.json())).toEqual(['error']);
    const badJson = await s.app.inject({ method: 'PUT', url: '/v1/things/1', payload: '{"x":', headers: { 'content-type': 'application/json' } });
    expect(badJson.statusCode).toBe(400);
    expect(Object.keys(badJson.json())).toEqual(['error']);
    const teapot = await s.app.inject({ method: 'GET', url: '/v1/teapot' });
    expect([teapot.statusCode, teapot.json()]).toEqual([418, { error: 'I am a teapot' }]);
  });

  it('a 500 says nothing of the internals (the log has them)', async () => {
    const r = await server().app.inject({ method: 'GET', url: '/v1/secret' });
    expect([r.statusCode, r.json()]).toEqual([500, { error: 'internal error; the server logged it' }]);
  });
});

describe('what browsers and HTTP clients expect', () => {
  const big = { rows: Array.from({ length: 400 }, (_, i) => ({ i, queue: `queue-${i}` })) };
  const withRoutes = (opts: Partial<ConstructorParameters<typeof HttpServer>[0]> = {}) => {
    const s = new HttpServer({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }), metrics: new Registry(), ...opts });
    s.app.get('/v1/big', async () => big);
    s.app.get('/v1/small', async () => ({ ok: true }));
    return s;
  };

  it('compresses answers of 1 KiB and more with what the client accepts (br, gzip), never smaller ones', async () => {
    const s = withRoutes();
    const br = await s.app.inject({ method: 'GET', url: '/v1/big', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(big);
    const gz = await s.app.inject({ method: 'GET', url: '/v1/big', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual(big);
    expect(gz.rawPayload.length).toBeLessThan(JSON.stringify(big).length / 3);
    const plain = await s.app.inject({ method: 'GET', url: '/v1/big' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json()).toEqual(big);
    const small = await s.app.inject({ method: 'GET', url: '/v1/small', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('answers CORS only for the configured origins, preflight included', async () => {
    const none = withRoutes();
    const r0 = await none.app.inject({ method: 'GET', url: '/v1/small', headers: { origin: 'https://bi.example.com' } });
    expect(r0.headers['access-control-allow-origin']).toBeUndefined();

    const s = withRoutes({ corsOrigins: ['https://bi.example.com'] });
    const ok = await s.app.inject({ method: 'GET', url: '/v1/small', headers: { origin: 'https://bi.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://bi.example.com');
    const other = await s.app.inject({ method: 'GET', url: '/v1/small', headers: { origin: 'https://evil.example.net' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await s.app.inject({ method: 'OPTIONS', url: '/v1/small', headers: { origin: 'https://bi.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
  });
});
