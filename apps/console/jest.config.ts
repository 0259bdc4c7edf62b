// The console's pure logic (formatting, derived values) runs under plain Jest.
export default {
  displayName: 'console',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
