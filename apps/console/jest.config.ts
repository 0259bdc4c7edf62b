// Angular unit tests: jest-preset-angular (zoneless, jsdom). tsconfig.json sets isolatedModules,
// so ts-jest transpiles file by file (fast); type errors are caught by the typecheck target.
import { createCjsPreset } from 'jest-preset-angular/presets';

export default {
  ...createCjsPreset({ tsconfig: '<rootDir>/tsconfig.json' }),
  displayName: 'console',
  rootDir: '.',
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
