// The store host: one process that owns the embedded ClickHouse (chDB) data directory and serves
// it over ClickHouse's HTTP interface (started by main.ts). Exported: its routes' description
// (`npm run docs` puts it in the one document of every service's HTTP surface) and the
// read-only BI listener the single node (the composition root) runs over its own store.
export { storeHostOpenApi } from './openapi';
// ClickHouse's compressed block format (compress=1 / decompress=1), for clients that send it
export { compressBlocks, decompressBlocks } from './compression';
export { BiListener, biConfig, biEnvSchema, biPassword, refineBiEnv, type BiConfig, type BiEnv } from './bi';
