export * from './client';
export * from './migrate';
export * from './component';
export * from './insert';
