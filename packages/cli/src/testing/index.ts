/** What the benchmarks take from the CLI: the demo's generators and the reference pipeline's random registries and lists. */
export { rng, writeRegistry, writeRounds } from '../demo/replay';
export { memberId, pick } from '../reference/generate';
export { runDline, dlineEnv } from './run-dline';
