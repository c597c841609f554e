/** The unit tier (`pnpm test:unit`): every *.test.ts that is not an *.int.test.ts, with no services. */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  globalSetup: undefined,
  globalTeardown: undefined,
  projects: base.projects.map((p) => ({ ...p, testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] })),
};
