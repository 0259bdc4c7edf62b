// Checks of the operations files (tools/check-ops.sh runs this): deploy/, docker/, the
// generated configuration reference, and `promtool check metrics` on live /metrics.
export default {
  displayName: 'ops',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/*.spec.ts'],
  testTimeout: 60_000,
};
