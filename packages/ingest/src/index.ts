export * from './worker';
export * from './parse-list.job';
export * from './time';
export * from './profile';
export * from './records';
export * from './normalise-row';
export * from './returned-file';
