export * from './body';
export * from './routes';
export * from './service';
export * from './adapter-routes';
export * from './adapter-credentials';
