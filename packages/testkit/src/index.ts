export * from './env';
export * from './series';
export * from './processes';
