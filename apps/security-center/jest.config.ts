export default {
  displayName: 'security-center',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
