export default {
  displayName: 'device-auth',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
