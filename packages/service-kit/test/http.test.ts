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
