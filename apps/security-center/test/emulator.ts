/** The real cloud emulator (its build) as a child process on port 0: the reference upstream for specs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const MAIN = resolve(__dirname, '../../cloud-emulator/dist/main.js');

export interface Emulator {
  url: string;
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  if (!existsSync(MAIN))
    throw new Error(
      `build the cloud emulator first: npx tsc -b apps/cloud-emulator/tsconfig.app.json (${MAIN} is missing)`,
    );
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('cloud emulator not ready within 20 s')), 20_000);
    child.once('exit', (code) => fail(new Error(`cloud emulator exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"event":"ready"')) return;
      clearTimeout(timer);
      ok((JSON.parse(line) as { url: string }).url);
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
