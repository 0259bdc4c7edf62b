// Shared Jest settings: SWC transpiles TypeScript (with decorator metadata for NestJS),
// and @ksn/* imports resolve to the libraries' sources, so tests need no build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@ksn/(contracts|policy-engine|device-auth|service-kit)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
};
