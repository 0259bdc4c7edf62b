// Lint is part of CI: every rule here is an error or off, never a warning nobody reads.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

const nodeOnly = ['@angular/*'];
const webForbidden = [
  '@nestjs/*',
  'typeorm',
  'http-proxy',
  'prom-client',
  'better-sqlite3',
  'mysql2',
  'undici',
  'argon2',
  'lru-cache',
  'node:*',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      '**/.angular',
      '**/coverage',
      'data',
      'tmp',
      '**/*.js',
      '**/*.mjs',
      '**/jest.config.ts',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // What a kind of project may use.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'],
            },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'],
            },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            // Where code may run.
            {
              sourceTag: 'platform:any',
              onlyDependOnLibsWithTags: ['platform:any'],
              bannedExternalImports: [...nodeOnly, ...webForbidden],
            },
            {
              sourceTag: 'platform:web',
              onlyDependOnLibsWithTags: ['platform:any', 'platform:web'],
              bannedExternalImports: webForbidden,
            },
            {
              sourceTag: 'platform:node',
              onlyDependOnLibsWithTags: ['platform:any', 'platform:node'],
              bannedExternalImports: nodeOnly,
            },
            // Which product part may use which library.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:proxy', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:security-center', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:cloud', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:endpoint', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    // Code that runs in the browser (platform:web and platform:any projects): Nx's
    // bannedExternalImports covers npm packages, not Node's built-ins, so ban those here.
    files: ['apps/console/**/*.ts', 'libs/contracts/**/*.ts', 'libs/policy-engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({
            name,
            message: 'browser-safe code must not use Node built-ins',
          })),
          patterns: [{ group: ['node:*'], message: 'browser-safe code must not use Node built-ins' }],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'e2e/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
];
