import type { Config } from 'jest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// One Jest run over every project; each project's jest.config.ts holds its own settings.
const projects = ['libs', 'apps']
  .flatMap((dir) => readdirSync(join(__dirname, dir)).map((name) => join(dir, name, 'jest.config.ts')))
  .concat('e2e/jest.config.ts', 'tools/test/jest.config.ts')
  .filter((file) => existsSync(join(__dirname, file)))
  .map((file) => `<rootDir>/${file}`);

// testTimeout is a global option (Jest ignores it in project configs): real servers,
// long-polls and spawned processes on a loaded 2-core CI machine get 60 s per test (the projects' own testTimeout applies when one is run alone).
const config: Config = { projects, testTimeout: 60_000 };
export default config;
