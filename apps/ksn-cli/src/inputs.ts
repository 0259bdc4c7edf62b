import { hashKind, normaliseUrl, type LookupItem } from '@ksn/contracts';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CliError } from './errors';

/** One thing the user asked about, and how it goes on the wire. */
export interface Input {
  /** What the user typed (or the file found in a directory they named). */
  input: string;
  kind: 'file' | 'hash' | 'url';
  item: LookupItem;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function walk(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, into);
    else if (e.isFile()) into.push(path);
  }
}

/**
 * Each argument is, in this order: an existing file or directory (hashed here; only the
 * hash leaves the machine), a hex MD5/SHA-1/SHA-256, or an absolute http(s) URL.
 */
export async function resolveInputs(args: string[], cwd: string): Promise<Input[]> {
  if (args.length === 0)
    throw new CliError('usage', 'lookup needs at least one file, directory, hash or URL');
  const out: Input[] = [];
  for (const arg of args) {
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
    const st = await stat(path).catch(() => undefined);
    if (st?.isDirectory()) {
      const files: string[] = [];
      await walk(path, files);
      for (const f of files)
        out.push({ input: f, kind: 'file', item: { type: 'file', sha256: await sha256File(f) } });
      continue;
    }
    if (st?.isFile()) {
      out.push({ input: arg, kind: 'file', item: { type: 'file', sha256: await sha256File(path) } });
      continue;
    }
    const kind = hashKind(arg);
    if (kind) {
      out.push({ input: arg, kind: 'hash', item: { type: 'file', [kind]: arg.toLowerCase() } });
      continue;
    }
    if (normaliseUrl(arg) !== undefined) {
      out.push({ input: arg, kind: 'url', item: { type: 'url', url: arg } });
      continue;
    }
    throw new CliError(
      'input',
      `"${arg}" is not a file, a directory, an MD5/SHA-1/SHA-256 hash or an http(s) URL`,
    );
  }
  return out;
}
