export * from './backfill';
export * from './checkpoint';
export * from './csv-mapping';
export * from './rate';
export * from './records';
export * from './remap';
