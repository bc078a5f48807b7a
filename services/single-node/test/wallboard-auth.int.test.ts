/// <reference lib="dom" />
// (the page.evaluate callbacks run in the browser)
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { REPO_ROOT, hashApiKey, newApiKey } from '@switchboard/service-kit';
import { launchChromium, type Browser } from '@switchboard/testkit';
import { buildWallboard, loadWallboard } from '@switchboard/wallboard';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

// The wallboard with AUTH_MODE=api_key, in Chromium: the page (public, it holds no data) asks for
// a key on the API's 401, says clearly when a key is refused, keeps the key in localStorage and
// sends it as a bearer token (docs/wallboard.md).

const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const key = newApiKey();
const state = mkdtempSync(join(tmpdir(), 'sb-wb-auth-'));
let node: SingleNode;
let browser: Browser;

beforeAll(async () => {
  if (!loadWallboard()) await buildWallboard(); // `npm test` builds it first
  const keysFile = join(state, 'keys.json');
  writeFileSync(keysFile, JSON.stringify([{ tenant: `t-${run}`, sha256: hashApiKey(key) }]));
  node = await startSingleNode(
    singleNodeEnvSchema.parse({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: `wba-${run}-`, KAFKA_EVENT_PARTITIONS: '1',
      AGGREGATOR_GROUP_ID: `wba-${run}`, PORT: '0', SWITCHBOARD_STATE: state, AUTH_MODE: 'api_key', API_KEYS_FILE: keysFile,
    }),
    log,
  );
  browser = await launchChromium({ width: 1280, height: 800 });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
});

const pageState = () => browser.page.evaluate(() => document.documentElement.dataset.state);
const messageText = () => browser.page.textContent('[data-message]');

describe('wallboard with API keys', () => {
  it('asks for a key on 401, says when a key is refused, and works with a valid one sent as Bearer', async () => {
    const { page } = browser;
    const sent: (string | undefined)[] = [];
    page.on('request', (r) => { if (r.url().includes('/v1/realtime')) sent.push(r.headers().authorization); });

    await page.goto(`${node.http.url}/?refresh=1`);
    await page.waitForFunction(() => document.documentElement.dataset.state === 'need-key', null, { timeout: 20_000 });
    expect(await page.isVisible('[data-key-form]')).toBe(true);
    expect(await messageText()).toContain('requires an API key (401');

    await page.fill('[data-key-form] input[name="key"]', 'sbk_not-a-key');
    await page.click('[data-key-form] button[type="submit"]');
    await page.waitForFunction(() => document.documentElement.dataset.state === 'need-key' && document.querySelector('[data-message]')!.textContent!.includes('refused'), null, { timeout: 20_000 });
    expect(await messageText()).toContain('The server refused the API key kept in this browser (401: unknown API key)');

    await page.fill('[data-key-form] input[name="key"]', key);
    await page.click('[data-key-form] button[type="submit"]');
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout: 20_000 });
    expect(await page.isVisible('[data-key-form]')).toBe(false);
    expect(await page.evaluate(() => localStorage.getItem('switchboard.wallboard.key'))).toBe(key);
    expect(sent.at(-1)).toBe(`Bearer ${key}`);
    expect(sent).toContain('Bearer sbk_not-a-key');
    const out = join(REPO_ROOT, '.state', 'test-output', 'wallboard');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'auth-ready-1280x800.png') });

    // the key survives a reload (kept in this browser)
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout: 20_000 });
    expect(await pageState()).toBe('ready');
  });
});
