import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/gen-docs';

// docs/openapi.json (every service's HTTP surface; test/docs.test.ts holds it to the code) read
// by a linter we did not write: Redocly CLI, with the rules of redocly.yaml. Any problem fails.

describe('docs/openapi.json', () => {
  it('passes Redocly CLI\'s lint with no error and no warning', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'redocly'), ['lint', 'docs/openapi.json', '--format=stylish'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' } });
    const out = `${r.stdout}\n${r.stderr}`;
    const problems = out.split('\n').filter((l) => /\b(error|warning)\b/.test(l) && !/Node\.js/.test(l));
    expect(problems, out).toEqual([]);
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Your API description is valid/);
  });
});
