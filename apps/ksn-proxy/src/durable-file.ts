import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `data` to `file` (created mode 0600) and fsyncs it before resolving. The
 * proxy's durable files (snapshot, spool records, renewed upstream token) are
 * written to a temporary name this way and then renamed into place, so a crash
 * leaves either the old file or the whole new one.
 */
export async function writeSynced(file: string, data: string | Buffer): Promise<void> {
  const fh = await open(file, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` so that a crash leaves the old file or the whole new one (temp file, fsync, rename, directory fsync). */
export async function replaceFile(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeSynced(tmp, data);
  await rename(tmp, file);
  await syncDir(dirname(file));
}

/** Fsyncs a directory, so that a rename in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
