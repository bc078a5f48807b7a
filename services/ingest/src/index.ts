export * from './body';
export * from './routes';
export * from './service';
