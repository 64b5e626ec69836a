/**
 * Files Hearth writes for the host: always whole, atomically (a temporary file beside the target,
 * written, fsynced, renamed over it, then the directory fsynced), never rewritten in place, so a
 * reader sees the old file or the new one and a crash leaves one of them.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { badRequest } from '../kernel/errors.js';

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  // The writer's pid in the name: a file left by one that died mid-write is known as such.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await removeLeftoverTemps(dir, basename(path));
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

/** writeFileAtomic for callers that cannot wait (the directory must exist). */
export function writeFileAtomicSync(path: string, data: string, mode = 0o600): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } catch {
    // as in syncDir
  } finally {
    closeSync(d);
  }
}

/** A temporary file of an atomic write: `[.]name.<pid>[.<random>].tmp`. */
const TEMP = /^\.?(.+)\.(\d+)(?:\.[0-9a-f]+)?\.tmp$/;

/** Whether a process with this id lives on this machine (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files in `dir` (of `name` only, if given) that a writer which died
 * mid-write (kill -9, power loss) left behind: the target itself is whole, the old version or the
 * new one. Files of live processes are left alone.
 */
export async function removeLeftoverTemps(dir: string, name?: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = TEMP.exec(n);
    if (!m || (name !== undefined && m[1] !== name)) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && !isAlive(pid)) await rm(join(dir, n), { force: true });
  }
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
