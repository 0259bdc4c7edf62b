export default {
  displayName: 'cloud-emulator',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // Real servers and long-polls: generous per-test time on a loaded 2-core CI machine.
  testTimeout: 20_000,
};
