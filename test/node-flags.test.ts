import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../bench/proc';

// The benchmarks measure the services with the V8 flags users run them with (docs/operations.md,
// "Node's heap"): npm start (scripts/run.mjs) and the image (deploy/docker/Dockerfile) must
// carry the same ones, or a figure in docs/benchmarks.md describes a process nobody runs.
const root = join(__dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe("the services' V8 flags", () => {
  it('npm start passes every flag the benchmarks run with', () => {
    const run = read('scripts/run.mjs');
    const heap = /const NODE_HEAP_FLAGS = '([^']*)'/.exec(run)?.[1]?.split(' ') ?? [];
    const gc = JSON.parse((/const NODE_GC_FLAGS = (\[[^\]]*\])/.exec(run)?.[1] ?? '[]').replace(/'/g, '"')) as string[];
    expect([...heap, ...gc].sort()).toEqual([...NODE_FLAGS].sort());
  });

  it('the image runs every service with them', () => {
    const docker = read('deploy/docker/Dockerfile');
    const options = /^ENV NODE_OPTIONS=(.*)$/m.exec(docker)?.[1]?.split(' ') ?? [];
    const cmd = /^CMD \["sh", "-c", "exec node ([^"]*) dist\//m.exec(docker)?.[1]?.split(' ') ?? [];
    for (const flag of NODE_FLAGS) expect([...options, ...cmd], flag).toContain(flag);
  });
});
