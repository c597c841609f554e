/** What other packages' tests may use from this package's test helpers. */
export * from './browser';
export * from './http-client';
export * from './portal-world';
