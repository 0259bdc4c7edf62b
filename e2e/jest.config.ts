export default {
  displayName: 'e2e',
  preset: '../jest.preset.js',
  rootDir: '.',
  // Starts real processes from the build output (npm test builds first).
  testTimeout: 60_000,
};
