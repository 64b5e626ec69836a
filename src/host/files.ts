/**
 * Files Hearth writes for the host: always whole, atomically (a temporary file beside the target,
 * written, fsynced, renamed over it, then the directory fsynced), never rewritten in place, so a
 * reader sees the old file or the new one and a crash leaves one of them.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { badRequest } from '../kernel/errors.js';

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.chmod(mode); // whatever the umask
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
  await chmod(path, mode);
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await d.close();
  }
}

/**
 * `name` inside `dir`, or 400: a name that is empty, absolute, has a separator, `..`, a NUL or a
 * control character never becomes a path.
 */
export function fileInDir(dir: string, name: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (!name || name.length > 255 || /[/\\\x00-\x1f\x7f]/.test(name) || name === '.' || name === '..' || isAbsolute(name)) {
    throw badRequest(`${what}: ${JSON.stringify(name.slice(0, 80))} cannot be a file name`);
  }
  const path = resolve(dir, name);
  const rel = relative(resolve(dir), path);
  if (rel !== name) throw badRequest(`${what}: ${JSON.stringify(name.slice(0, 80))} cannot be a file name`);
  return path;
}
