/** One jest run over every package (one summary line for CI); `pnpm test:packages` runs them through turbo. */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const packages = ['shared', 'ingest', 'router', 'reports', 'isp-portal', 'cli'];
module.exports = {
  transform,
  globalSetup: '<rootDir>/packages/shared/src/testing/global-setup.ts',
  globalTeardown: '<rootDir>/packages/shared/src/testing/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 120000,
  projects: packages.map((p) => ({
    displayName: p,
    rootDir: require('path').join(__dirname, 'packages', p),
    testEnvironment: 'node',
    transform,
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    // every test file ends by verifying the audit chain of each database it created (test-db.ts)
    setupFilesAfterEnv: [require('path').join(__dirname, 'packages/shared/src/testing/audit-check.setup.ts')],
  })),
};
