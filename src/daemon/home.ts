/** The daemon's home: its directory, the global API token file and the pid file. */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomToken } from '../auth/secrets.js';
import { ConfigError } from '../kernel/config.js';

export const AUTHTOKEN_FILE = 'authtoken';
export const PID_FILE = 'hearthd.pid';
export const LOG_FILE = 'hearthd.log';
export const TOKEN_KEY_FILE = 'token.key';
export const TWO_FACTOR_KEY_FILE = 'twofactor.key';
/** The first-run setup code (the accounts feature names it in its messages as well). */
export const SETUP_CODE_FILE = 'setup-code';

/** Creates the home (0700) if needed and proves it writable; a ConfigError says why not. */
export function ensureHome(home: string): void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const probe = join(home, `.write-test-${process.pid}`);
    closeSync(openSync(probe, 'w', 0o600));
    rmSync(probe);
  } catch (err) {
    throw new ConfigError(
      `home ${home} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set HEARTH_HOME to one that is`,
    );
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
    syncDir(dirname(path));
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
  syncDir(dirname(path));
}

/** fsyncs a directory, so a rename or link in it survives a power loss too (where the file system allows it). */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}

/** The mode of a file that others (group or world) may read, or null when only its owner may. */
export function othersCanRead(path: string): number | null {
  const mode = statSync(path).mode & 0o777;
  return mode & 0o077 ? mode : null;
}

/** Refuses a secret file that others can read (its secret may have leaked), saying how to fix it. */
export function refuseIfOthersCanRead(path: string, orElse: string): void {
  const mode = othersCanRead(path);
  if (mode !== null) {
    throw new ConfigError(`${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run "chmod 600 ${path}", or ${orElse}`);
  }
}

/**
 * A secret kept in a 0600 file of the home: made on first start (32 random bytes, hex), then
 * read. `what` names what deleting the file does, for the error messages.
 */
function ensureSecretFile(home: string, file: string, valid: RegExp, what: string, bytes = 32): { path: string; secret: string } {
  const path = join(home, file);
  try {
    if (!existsSync(path)) writeSecretOnce(path, `${randomToken(bytes)}\n`);
    statSync(path);
  } catch (err) {
    throw new ConfigError(`cannot create or read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); delete it to get ${what}`);
  }
  refuseIfOthersCanRead(path, `delete it to get ${what}`);
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code}); delete it to get ${what}`);
  }
  if (!valid.test(secret)) throw new ConfigError(`${path} does not hold a valid secret (${valid.source}); delete it to get ${what}`);
  return { path, secret };
}

/** The global API token (as in Bitmask), in `$HEARTH_HOME/authtoken` (0600): 64 hex characters. */
export function ensureAuthToken(home: string): { path: string; token: string } {
  const { path, secret } = ensureSecretFile(home, AUTHTOKEN_FILE, /^[0-9a-f]{64}$/, 'a new token');
  return { path, token: secret };
}

/**
 * The secret role tokens are sealed under when `[security] token_encryption_key` is empty, in
 * `$HEARTH_HOME/token.key` (0600). Deleting it revokes every role token.
 */
export function ensureTokenKey(home: string): string {
  return ensureSecretFile(home, TOKEN_KEY_FILE, /^\S{32,}$/, 'a new key (every role token ends)').secret;
}

/**
 * The secret authenticator secrets are sealed under at rest, in `$HEARTH_HOME/twofactor.key`
 * (0600). A file of its own, not the token secret: rotating that ends tokens, and must not
 * lose every account's authenticator. Back it up with the store; without it, second factors
 * must be reset.
 */
export function ensureTwoFactorKey(home: string): string {
  return ensureSecretFile(home, TWO_FACTOR_KEY_FILE, /^[0-9a-f]{64}$/, 'a new key (every authenticator must then be set up again)').secret;
}

/**
 * The first-run setup code, in `$HEARTH_HOME/setup-code` (0600): 16 random bytes, hex. Kept while
 * the store has no account (the same code across restarts), removed once the owner exists.
 */
export function ensureSetupCode(home: string): { path: string; code: string } {
  const { path, secret } = ensureSecretFile(home, SETUP_CODE_FILE, /^[0-9a-f]{32}$/, 'a new setup code', 16);
  return { path, code: secret };
}

export function removeSetupCode(home: string): void {
  rmSync(join(home, SETUP_CODE_FILE), { force: true });
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
