export * from './config';
export * from './engine';
export * from './errors';
export * from './protocol';
export * from './store-host';
