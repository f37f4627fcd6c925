import { configDefaults, defineConfig } from 'vitest/config';

// Tests of the test suite's own tables, oracles and judges (test/**/*.unit.test.ts) need no
// server: they run with the unit tests and are not counted as integration tests.
const SUITE_UNIT_TESTS = 'test/**/*.unit.test.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['operator/**/*.test.ts', 'bench/**/*.test.ts', SUITE_UNIT_TESTS],
          environment: 'node',
          // Unit tests first: they are fast and need no server.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, SUITE_UNIT_TESTS],
          environment: 'node',
          // The run's operator log folder first (scanned for keys at the end), then the control plane.
          globalSetup: ['test/harness/log-scan-setup.ts', 'test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: one control plane plus two test files at a time.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
