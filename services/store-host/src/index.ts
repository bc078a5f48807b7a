// The store host: one process that owns the embedded ClickHouse (chDB) data directory and serves
// it over ClickHouse's HTTP interface (started by main.ts). Nothing outside this service imports
// it, so it exports nothing; its tests import from './store-host' directly.
export {};
