import { checkOpenTestDatabases } from './test-db';

// Jest runs this file before each test file: at the file's end, the audit chain of every test
// database it created and did not drop must verify (drop() verifies the ones it drops).
afterAll(() => checkOpenTestDatabases());
