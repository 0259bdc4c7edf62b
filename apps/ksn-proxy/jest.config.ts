export default {
  displayName: 'ksn-proxy',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
