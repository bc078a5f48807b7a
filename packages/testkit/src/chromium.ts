import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium: the browser the wallboard is tested in (docs/testing.md). */
export const CHROMIUM = '/usr/bin/chromium';

// Headless on a closed network: without the background-networking flags Chromium keeps
// reaching for Google's services and its connections are refused.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Installs Debian's chromium when it is missing, as `npm test` does (scripts/run.mjs) — for a
 * browser test started directly with vitest. Needs root, as CI has.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  console.error(`[chromium] ${CHROMIUM} is missing: apt-get update, then apt-get install -y chromium`);
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (status ${r.status ?? r.signal}): the browser test needs ${CHROMIUM}`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** what the page logged as errors, and pages it failed to load: a test may assert none */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh profile (its own --user-data-dir, removed on close), driven by playwright-core. */
export async function launchChromium(viewport = { width: 1600, height: 1000 }): Promise<Browser> {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport, timeout: 60_000 });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
