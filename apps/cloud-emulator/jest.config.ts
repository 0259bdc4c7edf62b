export default {
  displayName: 'cloud-emulator',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
