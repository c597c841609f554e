export * from './test-db';
export * from './test-context';
export * from './fc-runs';
export * from './until';
export * from './test-user';
