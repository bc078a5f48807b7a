// Test helpers shared across the monorepo: a ClickHouse to test against, service processes
// spawned for drills (with consumer lag), and a readable diff of KPI series.

// test environment
export { resolveClickHouse, type ResolvedClickHouse } from './env';

// service processes
export { consumerLag, isAlive, outputTail, spawnService, type ServiceProcess } from './processes';
export { readMessages } from './topic';
export { waitFor } from './wait';

// comparing KPI series
export { differences } from './series';

// answers against the OpenAPI document
export { OpenApiChecker, type OpenApiAnswer } from './openapi';

// a real browser (Debian's Chromium) for the wallboard's tests
export { CHROMIUM, CHROMIUM_ARGS, ensureChromium, launchChromium, type Browser } from './chromium';
