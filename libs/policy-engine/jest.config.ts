export default {
  displayName: 'policy-engine',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
