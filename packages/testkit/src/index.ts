export * from './env';
export * from './series';
