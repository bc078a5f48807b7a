import { defineConfig } from 'vitest/config';

// One run for the whole monorepo. Integration tests share one Kafka broker and find
// it through test/global-setup (KAFKA_BROKERS, else testcontainers, else the local broker).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default'],
  },
});
