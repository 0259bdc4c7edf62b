export default {
  displayName: 'security-center',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '<rootDir>/test/global-setup.ts',
};
