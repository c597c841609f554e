/** What other packages' tests may use from this package's test helpers. */
export * from './copy-in';
export * from './entry-rows';
export * from './fixtures';
export * from './settled';
