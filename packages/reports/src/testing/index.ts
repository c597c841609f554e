/** Data for tests and benchmarks of the figures: a hand-checked campaign and a synthetic one at scale. */
export * from './hand-fixture';
export * from './synthetic';
