export * from './logger';
export * from './metrics';
export * from './http';
export * from './lifecycle';
export * from './config';
export * from './tenant';
export * from './runtime';
