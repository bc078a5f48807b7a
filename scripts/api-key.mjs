#!/usr/bin/env node
// Creates an API key bound to one tenant: prints the key once, stores only its SHA-256.
//   node scripts/api-key.mjs --tenant acme [--name ci] [--file .state/api-keys.json]
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run api-key -- --tenant <tenant> [--name <label>] [--file <path, default .state/api-keys.json>]';
let values;
try {
  ({ values } = parseArgs({
    options: { tenant: { type: 'string' }, name: { type: 'string' }, file: { type: 'string', default: '.state/api-keys.json' }, help: { type: 'boolean', short: 'h' } },
  }));
} catch (err) {
  // node's messages name the flag: "Unknown option '--tennant'", "Option '--tenant <value>' argument missing"
  console.error(`api-key: ${err.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.tenant || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(values.tenant)) {
  console.error(`api-key: ${values.tenant ? '--tenant must be 1–128 letters, digits, _ . -, starting with a letter or digit' : '--tenant is required'}\n${USAGE}`);
  process.exit(2);
}
const key = `sbk_${randomBytes(32).toString('base64url')}`;
const entry = { tenant: values.tenant, sha256: createHash('sha256').update(key).digest('hex'), ...(values.name ? { name: values.name } : {}) };
const list = existsSync(values.file) ? JSON.parse(readFileSync(values.file, 'utf8')) : [];
list.push(entry);
mkdirSync(dirname(values.file), { recursive: true });
writeFileSync(values.file, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
console.log(`API key for tenant ${values.tenant} (shown once; ${values.file} keeps only its hash):\n${key}`);
