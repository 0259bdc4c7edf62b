export default {
  displayName: 'ksn-cli',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // Tests run the CLI against the real product started as processes (needs the apps built).
  testTimeout: 60_000,
};
