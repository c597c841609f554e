export * from './test-db';
export * from './test-context';
