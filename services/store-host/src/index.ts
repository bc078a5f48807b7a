// The store host: one process that owns the embedded ClickHouse (chDB) data directory and serves
// it over ClickHouse's HTTP interface (started by main.ts). Its routes' description is all it
// exports: `npm run docs` puts it in the one document of every service's HTTP surface.
export { storeHostOpenApi } from './openapi';
