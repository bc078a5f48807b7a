#!/usr/bin/env node
// `npm run build`: each service's entry point (and the CLIs) compiled from TypeScript into one
// JavaScript file under dist/ with esbuild, so production runs `node dist/<service>.mjs`
// instead of compiling TypeScript at every start through tsx (the Docker image does this).
//
// What is bundled: our own packages and services (they export TypeScript sources). What is not:
// every npm dependency, imported at run time from where pnpm installed it. Two details make
// the bundle run from dist/ like the sources run from their folders:
//  - a bare import (fastify, kafkajs, …) is resolved from the file that imports it and written
//    as that absolute path: pnpm does not hoist a package's dependencies to the root, so
//    `import 'fastify'` from dist/ would not be found;
//  - `import.meta.url` in our sources is replaced by the source file's URL, so the files they
//    find beside themselves (schemas/, the warehouse's migrations/) are found from the bundle.
// The bundle therefore runs where it was built (the image builds it in place).
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRIES = {
  aggregator: 'services/aggregator/src/main.ts',
  alerter: 'services/alerter/src/main.ts',
  ingest: 'services/ingest/src/main.ts',
  query: 'services/query/src/main.ts',
  simulator: 'services/simulator/src/main.ts',
  'single-node': 'services/single-node/src/main.ts',
  'store-host': 'services/store-host/src/main.ts',
  backfill: 'services/backfill/src/cli.ts',
  dlq: 'services/backfill/src/dlq-cli.ts',
};

const ours = (path) => !relative(root, path).startsWith('..') && !path.includes(`${'/'}node_modules${'/'}`);

/** @type {import('esbuild').Plugin} */
const externalsByPath = {
  name: 'externals-by-path',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
      if (args.path.startsWith('@switchboard/')) return undefined; // bundled
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'resolving' });
      if (r.errors.length > 0) return { errors: r.errors };
      if (ours(r.path)) return undefined;
      return { path: r.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!ours(args.path)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

export async function buildServices(names = Object.keys(ENTRIES)) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const name of names) {
    await build({
      entryPoints: [join(root, ENTRIES[name])],
      outfile: join(root, 'dist', `${name}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [externalsByPath],
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in ENTRIES));
  if (unknown.length) {
    console.error(`usage: npm run build [-- ${Object.keys(ENTRIES).join('|')} …]; unknown: ${unknown.join(', ')}`);
    process.exit(2);
  }
  const t = Date.now();
  await buildServices(names.length ? names : undefined);
  console.log(`built ${names.length || Object.keys(ENTRIES).length} entry points into dist/ in ${Date.now() - t} ms`);
}
