import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BI_VIEWS, BI_VIEW_SOURCES, biUserStatements, dropBiUserStatements, migrate, openStore, type Store } from '../src';

// Per-tenant BI users for server mode (docs/bi.md, "Server mode"). The embedded engine has no
// user management (it refuses CREATE USER and CREATE ROW POLICY for lack of grants), so here
// the statements are checked by its parser, and the objects they cover are held to what the
// migrated views really read. Whether a server then shows the user its tenant only is not
// tested here (no ClickHouse server runs on this machine): docs/bi.md says so.

let store: Store;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-bi-users-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('per-tenant BI users (server mode)', () => {
  it('are statements ClickHouse parses: user, a SELECT grant and two row policies per object', async () => {
    const sql = biUserStatements({ tenant: "acme'; DROP", password: 'p'.repeat(16), database: 'switchboard' });
    expect(sql[0]).toMatch(/^CREATE USER OR REPLACE `bi_acme___DROP` IDENTIFIED WITH sha256_password BY 'p{16}' DEFAULT DATABASE `switchboard` SETTINGS readonly = 2 CONST/);
    expect(sql.filter((s) => s.startsWith('GRANT SELECT ON'))).toHaveLength(BI_VIEWS.length + BI_VIEW_SOURCES.length);
    expect(sql.filter((s) => s.includes('AS RESTRICTIVE FOR SELECT USING tenant_id = \'acme\\\'; DROP\' TO `bi_acme___DROP`'))).toHaveLength(BI_VIEWS.length + BI_VIEW_SOURCES.length);
    for (const statement of [...sql, ...dropBiUserStatements({ tenant: 'acme' })]) {
      const r = await store.client.query({ query: `EXPLAIN AST ${statement}`, format: 'TabSeparated' });
      expect((await r.text()).length, statement).toBeGreaterThan(0);
    }
    expect(() => biUserStatements({ tenant: 'acme', password: 'short' })).toThrow(/12 characters/);
    expect(() => biUserStatements({ tenant: 'acme', user: 'x-y', password: 'p'.repeat(16) })).toThrow(/letters, digits/);
  });

  it('cover every object the kpi_* views read, transitively, and every one has tenant_id', async () => {
    const r = await store.client.query({ query: "SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase()", format: 'JSONEachRow' });
    const tables = new Map((await r.json<{ name: string; engine: string; create_table_query: string }>()).map((t) => [t.name, t]));
    const reached = new Set<string>();
    const walk = (name: string) => {
      const t = tables.get(name)!;
      if (t.engine !== 'View') return;
      for (const m of t.create_table_query.matchAll(/\bFROM\s+(?:`?\w+`?\.)?`?(\w+)`?/gi)) {
        if (tables.has(m[1]!) && !reached.has(m[1]!)) {
          reached.add(m[1]!);
          walk(m[1]!);
        }
      }
    };
    for (const v of BI_VIEWS) walk(v);
    expect([...reached].sort()).toEqual([...BI_VIEW_SOURCES].sort());
    for (const name of [...BI_VIEWS, ...BI_VIEW_SOURCES]) {
      const cols = await (await store.client.query({ query: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${name}' AND name = 'tenant_id'`, format: 'JSONEachRow' })).json();
      expect(cols, name).toHaveLength(1);
    }
  });
});
