export * from './aggregator';
export * from './config';
export * from './rows';
export * from './screen';
export * from './writer';
export * from './state-writer';
export * from './event-ledger';
export * from './dlq-tools';
