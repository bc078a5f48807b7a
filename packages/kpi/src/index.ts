export * from './dimensions';
export * from './windows';
export * from './options';
export * from './aggregates';
export * from './quantities';
export * from './catalogue';
export * from './reference';
export * from './top-topics';
