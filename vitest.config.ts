import { defineConfig } from 'vitest/config';

// Two projects (docs/testing.md):
//  - unit: pure functions and in-process HTTP handlers; no broker, no ClickHouse. Seconds:
//    `npx vitest run --project unit`.
//  - integration (`*.int.test.ts`): the real Kafka broker and ClickHouse (embedded chDB or
//    CLICKHOUSE_URL), child processes, drills. They share one broker, found once by
//    test/global-setup (KAFKA_BROKERS, else testcontainers, else the local broker).
const FILES = ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const INTEGRATION = FILES.map((f) => f.replace(/\.test\.ts$/, '.int.test.ts'));

export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        test: { name: 'unit', include: FILES, exclude: ['**/node_modules/**', ...INTEGRATION], testTimeout: 20_000 },
      },
      {
        test: {
          name: 'integration', include: INTEGRATION, testTimeout: 60_000, hookTimeout: 180_000, globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
