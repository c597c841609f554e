export * from './lpm';
export * from './worker';
export * from './mailer';
export * from './batch-email';
export * from './registry/cidr';
export * from './registry/matcher';
export * from './registry/import';
