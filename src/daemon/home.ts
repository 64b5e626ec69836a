/** The daemon's home: its directory, the global API token file and the pid file. */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from '../auth/secrets.js';
import { ConfigError } from '../config.js';

export const AUTHTOKEN_FILE = 'authtoken';
export const PID_FILE = 'hearthd.pid';
export const LOG_FILE = 'hearthd.log';
export const TOKEN_KEY_FILE = 'token.key';

/** Creates the home (0700) if needed and proves it writable; a ConfigError says why not. */
export function ensureHome(home: string): void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const probe = join(home, `.write-test-${process.pid}`);
    closeSync(openSync(probe, 'w', 0o600));
    rmSync(probe);
  } catch (err) {
    throw new ConfigError(`home ${home} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set HEARTH_HOME to one that is`);
  }
}

/** Writes `data` to a new temporary file next to `path` (`mode`, fsynced); answers its name. */
function writeTemp(path: string, data: string, mode: number): string {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/** Writes `data` to `path` (mode 0600 unless told) only if no file is there yet; false if one was. */
export function writeSecretOnce(path: string, data: string, mode = 0o600): boolean {
  const tmp = writeTemp(path, data, mode);
  try {
    linkSync(tmp, path); // atomic, and never replaces a token another process just wrote
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Replaces `path` with `data` atomically: readers see the old file or the new one, never half. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = writeTemp(path, data, mode);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * The global API token (as in Bitmask): 32 random bytes, created on first start in
 * `$HEARTH_HOME/authtoken` (0600). An existing file that others can read is refused.
 */
export function ensureAuthToken(home: string): { path: string; token: string } {
  const path = join(home, AUTHTOKEN_FILE);
  let created = false;
  let mode: number;
  try {
    try {
      statSync(path);
    } catch {
      created = writeSecretOnce(path, `${randomToken(32)}\n`);
    }
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    throw new ConfigError(`cannot create or read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); delete it to get a new token`);
  }
  if (!created && (mode & 0o077) !== 0) {
    throw new ConfigError(
      `${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run "chmod 600 ${path}", or delete it to get a new token`,
    );
  }
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code}); delete it to get a new token`);
  }
  if (!/^[0-9a-f]{64}$/.test(token)) {
    throw new ConfigError(`${path} does not hold a valid token (64 hex characters); delete it to get a new one`);
  }
  return { path, token };
}

/**
 * The secret role tokens are sealed under when `[security] token_encryption_key` is empty:
 * 32 random bytes in `$HEARTH_HOME/token.key` (0600), made on first start. Delete it to revoke
 * every role token.
 */
export function ensureTokenKey(home: string): string {
  const path = join(home, TOKEN_KEY_FILE);
  try {
    try {
      statSync(path);
    } catch {
      writeSecretOnce(path, `${randomToken(32)}\n`);
    }
    const key = readFileSync(path, 'utf8').trim();
    if (key.length < 32) throw new Error('too short');
    return key;
  } catch (err) {
    throw new ConfigError(`cannot create or read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); delete it to get a new key`);
  }
}

export function writePidFile(home: string): string {
  const path = join(home, PID_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  rmSync(path, { force: true });
  linkSync(tmp, path);
  rmSync(tmp, { force: true });
  return path;
}

/** Removes the pid file if it names this process (a failed second start must not remove the first's). */
export function removeOwnPidFile(home: string): void {
  const path = join(home, PID_FILE);
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true });
  } catch {
    /* no pid file: nothing to remove */
  }
}

/** Whether `pid` runs hearthd; true where /proc cannot tell (a pid reused after a crash is not). */
function isHearthd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('hearthd');
  } catch {
    return true;
  }
}

/** The pid in the pid file, if the file exists and that process is a live hearthd. */
export function runningPid(home: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(home, PID_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return isHearthd(pid) ? pid : null;
}
