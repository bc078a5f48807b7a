import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { HttpServer } from '../src/http';
import { createMetricsRegistry } from '../src/metrics';

// What operators read of every HTTP request, over a real listener (fetch, not inject): the
// counter by method, route template and status, the latency histogram, the access log
// (sampled 2xx, every 4xx/5xx), readiness as a gauge, and Node's process metrics unprefixed.

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { lines, log: pino({ level: 'info' }, stream) };
}

async function serve(opts: { accessLogSampleRate?: number; random?: () => number } = {}) {
  const { lines, log } = capture();
  const metrics = createMetricsRegistry();
  const s = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics, ...opts });
  s.app.get('/v1/things/:id', async (req, reply) => ((req.params as { id: string }).id === 'bad' ? reply.code(400).send({ error: 'bad id' }) : { ok: true }));
  s.app.get('/v1/boom', async () => { throw new Error('kaput'); });
  await s.start();
  return { s, metrics, access: () => lines.filter((l) => l.component === 'access') };
}

/** The value of one sample of the exposition text, or undefined. */
async function sample(metrics: ReturnType<typeof createMetricsRegistry>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of (await metrics.metrics()).split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inside = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}')).split(',');
    if (want.every((w) => inside.includes(w))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('HTTP request metrics and access log', () => {
  it('count each answer under the route template, never the URL asked, with its status; time it; log it', async () => {
    const { s, metrics, access } = await serve();
    try {
      for (const id of ['1', '2', '3']) expect((await fetch(`${s.url}/v1/things/${id}?x=${id}`)).status).toBe(200);
      expect((await fetch(`${s.url}/v1/things/bad`)).status).toBe(400);
      expect((await fetch(`${s.url}/v1/boom`)).status).toBe(500);
      expect((await fetch(`${s.url}/v1/no/such/${Math.random()}`)).status).toBe(404);

      expect(await sample(metrics, 'switchboard_http_requests_total', { method: 'GET', route: '/v1/things/:id', status: '200' })).toBe(3);
      expect(await sample(metrics, 'switchboard_http_requests_total', { method: 'GET', route: '/v1/things/:id', status: '400' })).toBe(1);
      expect(await sample(metrics, 'switchboard_http_requests_total', { method: 'GET', route: '/v1/boom', status: '500' })).toBe(1);
      expect(await sample(metrics, 'switchboard_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
      expect(await sample(metrics, 'switchboard_http_request_duration_seconds_count', { method: 'GET', route: '/v1/things/:id' })).toBe(4);
      expect(await sample(metrics, 'switchboard_http_request_duration_seconds_bucket', { method: 'GET', route: '/v1/things/:id', le: '+Inf' })).toBe(4);
      // no label value anywhere carries a requested path
      expect(await metrics.metrics()).not.toMatch(/\/v1\/no\/such|x=1/);

      const lines = access();
      expect(lines.map((l) => [l.method, l.route, l.status])).toEqual([
        ['GET', '/v1/things/:id', 200], ['GET', '/v1/things/:id', 200], ['GET', '/v1/things/:id', 200],
        ['GET', '/v1/things/:id', 400], ['GET', '/v1/boom', 500], ['GET', 'unmatched', 404],
      ]);
      for (const l of lines) expect(typeof l.ms === 'number' && l.ms >= 0).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it('logs 2xx at the sample rate and every 4xx and 5xx', async () => {
    const none = await serve({ accessLogSampleRate: 0 });
    const half = await serve({ accessLogSampleRate: 0.5, random: (() => { let i = 0; return () => (i++ % 2 === 0 ? 0.1 : 0.9); })() });
    try {
      for (const { s } of [none, half]) {
        for (let i = 0; i < 4; i++) await fetch(`${s.url}/v1/things/${i}`);
        await fetch(`${s.url}/v1/things/bad`);
        await fetch(`${s.url}/v1/boom`);
      }
      expect(none.access().map((l) => l.status)).toEqual([400, 500]);
      expect(half.access().map((l) => l.status)).toEqual([200, 200, 400, 500]);
      // the counter sees every request whatever the log keeps
      expect(await sample(none.metrics, 'switchboard_http_requests_total', { route: '/v1/things/:id', status: '200' })).toBe(4);
    } finally {
      await none.s.stop();
      await half.s.stop();
    }
  });

  it('switchboard_ready follows /readyz, and Node process metrics keep their standard names', async () => {
    const { s, metrics } = await serve();
    let why: string | null = 'store not open';
    s.addReadinessCheck({ name: 'store', check: () => why });
    try {
      expect(await sample(metrics, 'switchboard_ready', {})).toBe(0);
      why = null;
      expect(await sample(metrics, 'switchboard_ready', {})).toBe(1);
      s.drain();
      expect(await sample(metrics, 'switchboard_ready', {})).toBe(0);
      const text = await metrics.metrics();
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) expect(text).toContain(`\n${name} `);
      expect(text).not.toMatch(/switchboard_(process|nodejs)_/);
    } finally {
      await s.stop();
    }
  });

  it('two servers on one registry count into one series', async () => {
    const metrics = createMetricsRegistry();
    const a = new HttpServer({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }), metrics });
    const b = new HttpServer({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }), metrics });
    await a.start();
    await b.start();
    try {
      await fetch(`${a.url}/healthz`);
      await fetch(`${b.url}/healthz`);
      expect(await sample(metrics, 'switchboard_http_requests_total', { route: '/healthz', status: '200' })).toBe(2);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
