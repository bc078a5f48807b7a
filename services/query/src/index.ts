// The query service's public surface: the service a process runs and its config. Its routes
// read through @switchboard/warehouse; nothing else here is for other services.
export { createQuery, type QueryDeps } from './service';
export { queryConfig, queryEnvSchema, type QueryConfig } from './config';
export { registerQueryRoutes, type QueryRouteDeps } from './routes';
export { registerWallboardRoutes, type WallboardRouteDeps } from './wallboard';
export { queryOpenApi } from './openapi';
export { BadQuery, parseKpiQuery, type KpiRequest, type ParamProblem } from './params';
export { parseRealtimeQuery, realtimeParamsSchema } from './realtime-params';
export { kpiAnswerJson, kpiSeriesJson, KPI_FORMATS, type KpiFormat } from './kpi-json';
export { KpiChunkCache } from './kpi-cache';
