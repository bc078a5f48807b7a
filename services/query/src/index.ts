export * from './params';
export * from './kpi-reader';
export * from './routes';
export * from './service';
