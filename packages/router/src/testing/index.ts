/** What other packages' tests and the benchmarks may use from the router's test helpers. */
export * from './smtp-catcher';
export * from './routed-list.fixture';
