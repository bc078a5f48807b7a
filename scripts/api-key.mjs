#!/usr/bin/env node
// Creates an API key bound to one tenant: prints the key once, stores only its SHA-256.
//   node scripts/api-key.mjs --tenant acme [--name ci] [--file .state/api-keys.json]
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { tenant: { type: 'string' }, name: { type: 'string' }, file: { type: 'string', default: '.state/api-keys.json' } },
});
if (!values.tenant || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(values.tenant)) {
  console.error('usage: node scripts/api-key.mjs --tenant <tenant> [--name <label>] [--file <path>]');
  process.exit(2);
}
const key = `sbk_${randomBytes(32).toString('base64url')}`;
const entry = { tenant: values.tenant, sha256: createHash('sha256').update(key).digest('hex'), ...(values.name ? { name: values.name } : {}) };
const list = existsSync(values.file) ? JSON.parse(readFileSync(values.file, 'utf8')) : [];
list.push(entry);
mkdirSync(dirname(values.file), { recursive: true });
writeFileSync(values.file, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
console.log(`API key for tenant ${values.tenant} (shown once; ${values.file} keeps only its hash):\n${key}`);
