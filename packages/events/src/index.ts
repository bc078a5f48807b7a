export * from './types';
export * from './codec';
export * from './schema';
export * from './fingerprint';
export * from './validate';
export * from './compat';
