#!/usr/bin/env node
import { homedir } from 'node:os';
import { run } from './cli';

void run(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  home: homedir(),
  now: () => Date.now(),
}).then((code) => {
  process.exitCode = code;
});
