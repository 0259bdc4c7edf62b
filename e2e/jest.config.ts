export default {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  rootDir: '.',
  // src/: API-level specs; browser/: the console driven in Chromium (playwright-core).
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/browser/**/*.spec.ts'],
  // Starts real processes from the build output (npm test builds first).
  testTimeout: 60_000,
};
