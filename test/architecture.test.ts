import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The monorepo's layering, checked by reading the sources (no broker, no ClickHouse):
//  - every package's and service's index.ts names its public surface (no `export *`);
//  - a service imports no other service (single-node's src, the composition root, excepted;
//    root test/ and bench/ may import anything), and no package imports a service;
//  - no import cycle among the relative imports of a package's or service's src/;
//  - no cycle among the workspace packages' package.json dependencies (turbo refuses one).

const ROOT = resolve(import.meta.dirname, '..');
const rel = (p: string) => relative(ROOT, p);

interface Workspace {
  name: string;
  dir: string;
  kind: 'package' | 'service';
  deps: string[];
}

const workspaces: Workspace[] = (['packages', 'services'] as const).flatMap((group) =>
  readdirSync(join(ROOT, group), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, group, d.name, 'package.json')))
    .map((d) => {
      const dir = join(ROOT, group, d.name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) => n.startsWith('@switchboard/'));
      return { name: pkg.name, dir, kind: group === 'packages' ? 'package' : 'service', deps } as const;
    }),
);
const serviceNames = new Set(workspaces.filter((w) => w.kind === 'service').map((w) => w.name));

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|cts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface ImportRef {
  specifier: string;
  line: number;
}

// Every module a file names: import and export declarations (`import type` too), side-effect
// imports and dynamic import(); comments and strings are skipped by TypeScript's scanner.
const importCache = new Map<string, ImportRef[]>();
function importsOf(file: string): ImportRef[] {
  let refs = importCache.get(file);
  if (!refs) {
    const text = readFileSync(file, 'utf8');
    refs = ts.preProcessFile(text, true, true).importedFiles.map((f) => ({
      specifier: f.fileName,
      line: text.slice(0, f.pos).split('\n').length,
    }));
    importCache.set(file, refs);
  }
  return refs;
}

// Imports that break rule (b) or (c) and were there before this test: each needs a decision
// (usually moving the shared code into a package under packages/), not a quiet fix. Add none
// without that decision; and an entry that no longer matches any import fails the test, so that it is
// removed the day its import goes.
const KNOWN_EXCEPTIONS: { from: RegExp; to: string; why: string }[] = [
  {
    from: /^(packages|services)\/[^/]+\/test\//,
    to: '@switchboard/simulator',
    why: "tests build their event fixtures with the simulator's generateEvents (a candidate for testkit)",
  },
  { from: /^services\/ingest\/test\/adapters\.int\.test\.ts$/, to: '@switchboard/backfill', why: "replays ingest's adapter dead letters through remapDeadLetter" },
  { from: /^services\/single-node\/test\/dlq\.int\.test\.ts$/, to: '@switchboard/backfill', why: "drives the DLQ tools (readDlq/replayDlq) against a running node" },
  { from: /^services\/single-node\/test\/adapters-e2e\.int\.test\.ts$/, to: '@switchboard/backfill', why: 'backfills adapter records into a running node' },
];

const packageOf = (specifier: string) => (specifier.startsWith('@switchboard/') ? specifier.split('/').slice(0, 2).join('/') : null);

function report(title: string, offenders: string[], hint: string): string {
  return `${title} (${offenders.length}):\n  ${offenders.join('\n  ')}\n${hint}`;
}

// Every import of a service package from a service (other than itself) or from a package,
// split into the offenders and the indexes of the known exceptions that matched.
const layering = (() => {
  const serviceToService: string[] = [];
  const packageToService: string[] = [];
  const exceptionsUsed = new Set<number>();
  for (const w of workspaces) {
    // single-node's src is the composition root: it runs the other services in one process
    const files = sourceFiles(w.dir).filter((f) => !(w.name === '@switchboard/single-node' && f.startsWith(join(w.dir, 'src') + '/')));
    for (const f of files) {
      for (const { specifier, line } of importsOf(f)) {
        const target = packageOf(specifier);
        if (!target || target === w.name || !serviceNames.has(target)) continue;
        const known = KNOWN_EXCEPTIONS.findIndex((e) => e.to === target && e.from.test(rel(f)));
        if (known >= 0) exceptionsUsed.add(known);
        else (w.kind === 'service' ? serviceToService : packageToService).push(`${rel(f)}:${line} imports '${specifier}'`);
      }
    }
  }
  return { serviceToService, packageToService, exceptionsUsed };
})();

describe('architecture', () => {
  it('finds the workspaces it checks', () => {
    expect(workspaces.length).toBeGreaterThan(5);
    expect(serviceNames.size).toBeGreaterThan(3);
  });

  it('(a) index.ts files name their exports (no `export *`)', () => {
    const offenders = workspaces.flatMap((w) => {
      const index = join(w.dir, 'src', 'index.ts');
      if (!existsSync(index)) return [];
      return readFileSync(index, 'utf8')
        .split('\n')
        .flatMap((line, i) => (/^\s*export\s*\*/.test(line) ? [`${rel(index)}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(offenders, report('`export *` in a public index', offenders, "Name what other workspaces import: export { a, type B } from './x'.")).toEqual([]);
  });

  it('(b) a service imports no other service (single-node/src, the composition root, may)', () => {
    const offenders = layering.serviceToService;
    expect(
      offenders,
      report('service importing another service', offenders, 'Move what both need into a package under packages/ (or test it from the root test/).'),
    ).toEqual([]);
  });

  it('(c) a package imports no service', () => {
    const offenders = layering.packageToService;
    expect(offenders, report('package importing a service', offenders, 'Packages sit below services: move the needed code into a package.')).toEqual([]);
  });

  it('(b, c) every known exception still matches an import (else remove it)', () => {
    const stale = KNOWN_EXCEPTIONS.filter((_, i) => !layering.exceptionsUsed.has(i)).map((e) => `${e.from} -> ${e.to} (${e.why})`);
    expect(stale, report('known exception that no longer matches any import', stale, 'Delete it from KNOWN_EXCEPTIONS in test/architecture.test.ts.')).toEqual([]);
  });

  it('(d) no import cycle among the relative imports of any src/', () => {
    const resolveRelative = (from: string, specifier: string): string | null => {
      const base = resolve(dirname(from), specifier);
      const candidates = [base, `${base}.ts`, `${base}.tsx`, base.replace(/\.[cm]?js$/, '.ts'), join(base, 'index.ts')];
      return candidates.find((c) => existsSync(c) && statSync(c).isFile() && /\.tsx?$/.test(c)) ?? null;
    };
    const cycles = new Set<string>();
    for (const w of workspaces) {
      const files = sourceFiles(join(w.dir, 'src'));
      const edges = new Map(
        files.map((f) => [
          f,
          importsOf(f)
            .filter((r) => r.specifier.startsWith('./') || r.specifier.startsWith('../'))
            .map((r) => resolveRelative(f, r.specifier))
            .filter((t): t is string => t !== null),
        ]),
      );
      const state = new Map<string, 'open' | 'done'>();
      const stack: string[] = [];
      const visit = (f: string) => {
        state.set(f, 'open');
        stack.push(f);
        for (const t of edges.get(f) ?? []) {
          if (state.get(t) === 'open') {
            const cycle = stack.slice(stack.indexOf(t)).map(rel);
            // the same cycle reached from another file is reported once, starting at its least path
            const start = cycle.indexOf([...cycle].sort()[0]!);
            const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
            cycles.add([...rotated, rotated[0]].join(' -> '));
          } else if (!state.has(t)) visit(t);
        }
        stack.pop();
        state.set(f, 'done');
      };
      for (const f of files) if (!state.has(f)) visit(f);
    }
    const offenders = [...cycles].sort();
    expect(offenders, report('import cycle', offenders, 'Break it, e.g. by moving the shared type into its own small file.')).toEqual([]);
  });

  it('(e) no cycle among the workspace packages in package.json', () => {
    const deps = new Map(workspaces.map((w) => [w.name, w.deps.filter((d) => d !== w.name)]));
    const cycles = new Set<string>();
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (n: string) => {
      state.set(n, 'open');
      stack.push(n);
      for (const d of deps.get(n) ?? []) {
        if (!deps.has(d)) continue;
        if (state.get(d) === 'open') {
          const cycle = stack.slice(stack.indexOf(d));
          const start = cycle.indexOf([...cycle].sort()[0]!);
          const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
          cycles.add([...rotated, rotated[0]].join(' -> '));
        } else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of deps.keys()) if (!state.has(n)) visit(n);
    const offenders = [...cycles].sort();
    expect(
      offenders,
      report('package.json dependency cycle (dependencies + devDependencies)', offenders, 'Drop the dependency that is not needed; turbo cannot order a cycle.'),
    ).toEqual([]);
  });
});
