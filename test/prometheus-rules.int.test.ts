import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/gen-docs';

// deploy/prometheus against Prometheus's own checker (Debian's `prometheus` package, which
// `npm test` installs when promtool is missing): the rules parse, each alert fires on the
// series it is written for and not on its look-alikes (rules.test.yml), and the scrape
// configuration that loads them is valid. That the metrics they name exist is checked against
// a live node in services/single-node/test/operations.int.test.ts.

function promtool(args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: join(ROOT, 'deploy/prometheus'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: `apt-get install -y prometheus` (npm test installs it)');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('deploy/prometheus', () => {
  it('rules.yml passes promtool check rules', () => {
    expect(promtool(['check', 'rules', 'rules.yml'])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('every alert fires on its series and stays quiet on the look-alikes (promtool test rules)', () => {
    expect(promtool(['test', 'rules', 'rules.test.yml'])).toContain('SUCCESS');
  });

  it('prometheus.yml, which loads the rules, passes promtool check config', () => {
    expect(promtool(['check', 'config', 'prometheus.yml'])).toContain('is valid prometheus config file syntax');
  });
});
