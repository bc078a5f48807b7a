#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run bench` on a fresh machine that has only
// Node, npm, Java and Maven: installs the workspace with a pinned pnpm (fetched by npx from
// the npm registry), starts the local Kafka broker when none is named, then runs the job.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmSpec = pkg.packageManager; // e.g. pnpm@10.34.8
// pnpm itself is installed into the state folder, then put on PATH: turbo looks the package
// manager up by name, and nothing is installed globally.
const toolsDir = join(root, '.state', 'tools');
const toolsBin = join(toolsDir, 'node_modules', '.bin');
const env = {
  ...process.env,
  PATH: `${toolsBin}${delimiter}${process.env.PATH ?? ''}`,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  npm_config_update_notifier: 'false',
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
function must(cmd, args, opts) {
  const code = run(cmd, args, opts);
  if (code !== 0) process.exit(code);
}
function ensurePnpm() {
  const version = pnpmSpec.split('@')[1];
  const installed = join(toolsDir, 'node_modules', 'pnpm', 'package.json');
  if (existsSync(installed) && JSON.parse(readFileSync(installed, 'utf8')).version === version) return;
  console.error(`[switchboard] installing ${pnpmSpec} into .state/tools ...`);
  must('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', toolsDir, pnpmSpec]);
}
const pnpm = (args) => must(join(toolsBin, 'pnpm'), args);
const bin = (name) => join(root, 'node_modules', '.bin', name);

function checkNode() {
  const [maj, min] = process.versions.node.split('.').map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`Switchboard needs Node >= 20.19 (found ${process.versions.node}).`);
    process.exit(1);
  }
}

function ensureInstalled() {
  ensurePnpm();
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error(`[switchboard] installing dependencies with ${pnpmSpec} ...`);
  pnpm(['install', '--frozen-lockfile', '--reporter=append-only']);
}

/**
 * Tools the integration tests run, from Debian's packages, installed when missing (one
 * `apt-get update` for all of them):
 *  - promtool (package prometheus) checks deploy/prometheus. The package may start a
 *    Prometheus server where an init system runs; the tests need only the tool, so that server
 *    is stopped again;
 *  - kubectl (package kubernetes-client) renders deploy/k8s with its built-in kustomize;
 *  - chromium: the wallboard's browser test (docs/wallboard.md) drives /usr/bin/chromium; it is
 *    installed with the packages it recommends (fonts among them), the others without.
 */
const DEBIAN_TOOLS = [
  { tool: 'promtool', args: ['--version'], pkg: 'prometheus', after: ['service', ['prometheus', 'stop']] },
  { tool: 'kubectl', args: ['version', '--client'], pkg: 'kubernetes-client' },
  { tool: '/usr/bin/chromium', args: ['--version'], pkg: 'chromium', recommends: true },
];
function ensureDebianTools() {
  const missing = DEBIAN_TOOLS.filter((t) => spawnSync(t.tool, t.args, { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  console.error(`[switchboard] installing ${missing.map((t) => `${t.tool} (Debian package ${t.pkg})`).join(', ')} ...`);
  // as root (CI) apt-get runs directly; anyone else goes through sudo
  const asRoot = (cmd, args) => (process.getuid?.() === 0 ? [cmd, args] : ['sudo', [cmd, ...args]]);
  const aptEnv = { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
  must(...asRoot('apt-get', ['update']), aptEnv);
  const bare = missing.filter((t) => !t.recommends).map((t) => t.pkg);
  const full = missing.filter((t) => t.recommends).map((t) => t.pkg);
  if (bare.length) must(...asRoot('apt-get', ['install', '-y', '--no-install-recommends', ...bare]), aptEnv);
  if (full.length) must(...asRoot('apt-get', ['install', '-y', ...full]), aptEnv);
  for (const t of missing) if (t.after) spawnSync(...asRoot(...t.after), { stdio: 'ignore' });
}

// The wallboard (docs/wallboard.md) is bundled from packages/wallboard/web into
// packages/wallboard/dist on every start and test: esbuild takes well under a second, and a
// stale build can never be served or tested.
function buildWallboard() {
  must(bin('tsx'), ['packages/wallboard/src/cli.ts']);
}

function ensureBroker() {
  if (process.env.KAFKA_BROKERS) return;
  must('bash', [join(root, 'deploy/kafka/broker.sh'), 'start']);
}

/**
 * V8 flags every service process runs with (docs/operations.md, "Node's heap"): the heap size in
 * NODE_OPTIONS (where a user's own comes after it and wins), the collector's threads and when
 * it starts marking on the command line (Node takes neither from NODE_OPTIONS).
 */
const NODE_HEAP_FLAGS = '--max-semi-space-size=64';
const NODE_GC_FLAGS = ['--single-threaded-gc', '--incremental-marking-soft-trigger=80', '--incremental-marking-hard-trigger=95'];
/** NODE_OPTIONS with our heap flag first, so one of the user's own comes after it and wins. */
const nodeOptions = () => `${NODE_HEAP_FLAGS} ${env.NODE_OPTIONS ?? ''}`.trim();

checkNode();
const [task, ...rest] = process.argv.slice(2);
switch (task) {
  case 'start':
    ensureInstalled();
    buildWallboard();
    ensureBroker();
    // the V8 flags the benchmarks run with and the image sets: the pipeline makes
    // many short-lived objects per event (docs/operations.md, "Node's heap"); a NODE_OPTIONS of
    // the user's comes after it, and the last flag wins
    process.exit(run(bin('tsx'), [...NODE_GC_FLAGS, 'services/single-node/src/main.ts', ...rest], {
      env: { ...env, LIVE_TABLE: env.LIVE_TABLE ?? '1', NODE_OPTIONS: nodeOptions() },
    }));
    break;
  case 'test':
    ensureInstalled();
    buildWallboard();
    ensureDebianTools();
    must(bin('turbo'), ['run', 'typecheck', '--output-logs=errors-only']);
    must(bin('tsc'), ['-p', 'tsconfig.json']); // root: test harness and bench
    // vitest's global setup starts (or reuses) the broker itself; see test/global-setup.ts
    process.exit(run(bin('vitest'), ['run', ...rest]));
    break;
  case 'unit':
    ensureInstalled();
    process.exit(run(bin('vitest'), ['run', '--project', 'unit', ...rest]));
    break;
  case 'bench':
    ensureInstalled();
    ensureBroker();
    // with the services' V8 flags: `-- write-path` measures the write path in this process
    process.exit(run(bin('tsx'), [...NODE_GC_FLAGS, 'bench/run.ts', ...rest], {
      env: { ...env, NODE_OPTIONS: nodeOptions() },
    }));
    break;
  default:
    console.error('usage: node scripts/run.mjs start|test|unit|bench');
    process.exit(2);
}
