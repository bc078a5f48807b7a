import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The command-line tools answer a person: --help, an unknown flag or a missing value gets a
// usage line naming the flag (exit 2, or 0 for --help, 64 for the broker script), a broker that
// cannot be reached one line naming the address tried (exit 1), never a stack trace.
const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};
const noStack = (out: string) => expect(out).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);

describe('CLIs', () => {
  it('dlq: usage for --help, unknown flags, a missing command; one line for an unreachable broker', () => {
    const help = run(TSX, ['services/backfill/src/dlq-cli.ts', '--help']);
    expect([help.code, help.out]).toEqual([0, expect.stringMatching(/^usage: npm run dlq -- list\|replay/)]);
    const unknown = run(TSX, ['services/backfill/src/dlq-cli.ts', 'list', '--reson', 'late']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/Unknown option '--reson'[\s\S]*usage:/);
    expect(run(TSX, ['services/backfill/src/dlq-cli.ts']).out).toMatch(/a command is required/);
    const down = run(TSX, ['services/backfill/src/dlq-cli.ts', 'list'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.out.trim()).toMatch(/^dlq: cannot read \S+ from Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\): /);
    for (const r of [help, unknown, down]) noStack(r.out);
  });

  it('backfill: names a missing --tenant, refuses unknown flags, one line for an unreachable broker', () => {
    const missing = run(TSX, ['services/backfill/src/cli.ts', 'x.ndjson', '--format', 'ndjson']);
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/^--tenant is required\nusage: backfill/);
    const unknown = run(TSX, ['services/backfill/src/cli.ts', 'x.ndjson', '--formt', 'ndjson']);
    expect([unknown.code, unknown.out]).toEqual([2, expect.stringMatching(/Unknown option '--formt'/)]);
    const down = run(TSX, ['services/backfill/src/cli.ts', 'x.ndjson', '--format', 'ndjson', '--tenant', 'acme'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.out.trim()).toMatch(/^backfill: cannot reach Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\)/);
    for (const r of [missing, unknown, down]) noStack(r.out);
  });

  it('api-key and broker: usage for --help and unknown input', () => {
    expect(run(process.execPath, ['scripts/api-key.mjs', '--help'])).toEqual({ code: 0, out: expect.stringMatching(/^usage: npm run api-key/) });
    const unknown = run(process.execPath, ['scripts/api-key.mjs', '--tennant', 'acme']);
    expect([unknown.code, unknown.out]).toEqual([2, expect.stringMatching(/Unknown option '--tennant'[\s\S]*usage:/)]);
    expect(run(process.execPath, ['scripts/api-key.mjs', '--tenant'])).toMatchObject({ code: 2, out: expect.stringMatching(/--tenant/) });
    expect(run('bash', ['deploy/kafka/broker.sh', '--help'])).toEqual({ code: 0, out: expect.stringMatching(/^usage: npm run broker/) });
    expect(run('bash', ['deploy/kafka/broker.sh', 'strat'])).toEqual({ code: 64, out: expect.stringMatching(/^broker: unknown command "strat"\nusage:/) });
  });
});
