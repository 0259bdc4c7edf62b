// Long reliability tests (`npm run test:soak`; also `npx jest -c tools/soak/jest.config.ts`).
// Not part of the root jest.config.ts: they spawn the built apps (build first), kill and
// restart processes and a throwaway MariaDB, and take minutes. One file at a time, so
// timings and memory figures are not skewed by a neighbour.
export default {
  displayName: 'soak',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/**/*.soak.ts'],
  testTimeout: 240_000,
  maxWorkers: 1,
};
