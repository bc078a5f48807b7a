import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The SDK as a user gets it: `pnpm pack` of @switchboard/events and @switchboard/sdk (the
// tarballs `pnpm publish` would upload: compiled JavaScript, .d.ts, the schema files), unpacked
// into a bare project beside their npm dependencies; plain Node imports it and a TypeScript
// program type-checks against its declarations. No TypeScript source, no workspace links.
// (An integration test only for its cost: two tsc builds.)
const ROOT = resolve(import.meta.dirname, '../../..');
const pnpm = [join(ROOT, '.state/tools/node_modules/.bin/pnpm'), 'pnpm'].find((p) => p === 'pnpm' || existsSync(p))!;
const work = mkdtempSync(join(tmpdir(), 'sb-sdk-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function packInto(pkgDir: string, name: string): Record<string, unknown> {
  // prepack builds with `pnpm run build`: pnpm must be on PATH for it
  const env = { ...process.env, PATH: `${dirname(pnpm)}:${process.env.PATH ?? ''}` };
  execFileSync(pnpm, ['pack', '--pack-destination', work], { cwd: join(ROOT, pkgDir), stdio: 'pipe', env });
  const tgz = readdirSync(work).find((f) => f.startsWith(`switchboard-${name}-`) && f.endsWith('.tgz'))!;
  const dest = join(work, 'node_modules/@switchboard', name);
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, tgz), '-C', dest, '--strip-components=1']);
  return JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')) as Record<string, unknown>;
}

/** the packages' own npm dependencies, linked from the workspace's store */
function linkDependency(from: string, name: string): void {
  const target = realpathSync(join(ROOT, from, 'node_modules', name));
  const link = join(work, 'node_modules', name);
  mkdirSync(dirname(link), { recursive: true });
  if (!existsSync(link)) symlinkSync(target, link, 'dir');
}

describe('@switchboard/sdk, packed for publishing', () => {
  it('ships compiled JS with types that plain Node runs and tsc accepts', () => {
    const events = packInto('packages/events', 'events');
    const sdk = packInto('packages/sdk', 'sdk');
    expect(sdk.exports).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' } });
    expect(sdk.types).toBe('./dist/index.d.ts');
    expect((sdk.dependencies as Record<string, string>)['@switchboard/events']).toBe(events.version);
    expect(existsSync(join(work, 'node_modules/@switchboard/events/dist/schemas/contact-event/v1.avsc'))).toBe(true);
    expect(readdirSync(join(work, 'node_modules/@switchboard/sdk')).sort()).toEqual(['dist', 'package.json']);
    for (const [pkg, dep] of [['packages/events', 'avsc'], ['packages/events', 'zod'], ['packages/sdk', 'kafkajs']] as const) linkDependency(pkg, dep);
    linkDependency('', '@types/node');

    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true, type: 'module' }));
    writeFileSync(join(work, 'use.mjs'), `
      import { ContactEventCodec, EventValidationError, KafkaEventProducer, HttpEventClient, validateEvents } from '@switchboard/sdk';
      const [e] = validateEvents([{ event_id: 'p-1', contact_id: 'c-1', type: 'queued', occurred_at: Date.now() - 1000, channel: 'voice', direction: 'inbound', queue_id: 'q' }], { tenantId: 'acme' });
      const codec = new ContactEventCodec();
      let refused = '';
      try { validateEvents([{ event_id: 'p-2' }], { tenantId: 'acme' }); } catch (err) { refused = err instanceof EventValidationError ? err.message : 'wrong error'; }
      console.log(JSON.stringify({ roundTrip: codec.decode(codec.encode(e)).event_id, refused, kafka: typeof KafkaEventProducer, http: typeof HttpEventClient }));
    `);
    const out = JSON.parse(execFileSync(process.execPath, ['use.mjs'], { cwd: work, encoding: 'utf8' })) as Record<string, string>;
    expect(out).toMatchObject({ roundTrip: 'p-1', kafka: 'function', http: 'function' });
    expect(out.refused).toMatch(/event 0: contact_id is required/);

    writeFileSync(join(work, 'use.ts'), `
      import { KafkaEventProducer, type EventInput } from '@switchboard/sdk';
      const ok: EventInput = { event_id: 'e', contact_id: 'c', type: 'answered', occurred_at: 0, channel: 'chat', direction: 'inbound' };
      // @ts-expect-error: not a channel
      const bad: EventInput = { event_id: 'e', contact_id: 'c', type: 'answered', occurred_at: 0, channel: 'pigeon', direction: 'inbound' };
      export const p: Promise<void> = new KafkaEventProducer({ brokers: ['127.0.0.1:9092'] }).send([ok, bad]);
    `);
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] }, files: ['use.ts'] }));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: work, stdio: 'pipe' });
  }, 180_000);
});
