export * from './params';
export * from './kpi-reader';
export * from './routes';
export * from './service';
export * from './realtime-params';
export * from './realtime-reader';
export * from './openapi';
