/**
 * The state file writer: the declarative JSON the operating system's configuration consumes
 * (as SelfPrivacy's userdata.json). A write is checked against STATE_SCHEMA first, then made
 * under a lock (`<path>.lock`, a directory, so other processes take turns too) and atomically.
 * The holder names itself in `<path>.lock.owner` (host and pid), so a lock left by a process
 * that died (kill -9, power loss) on this host is taken over at once instead of after it goes
 * stale.
 */
import { hostname } from 'node:os';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import lockfile from 'proper-lockfile';
import { HearthError } from '../kernel/errors.js';
import { isAlive, writeFileAtomic } from './files.js';
import { STATE_SCHEMA, type HostState } from './state-schema.js';

let validator: ValidateFunction<HostState> | undefined;

/** Null when `state` matches the schema, else the first problem, e.g. `/users/0/username must match pattern …`. */
export function stateProblem(state: unknown): string | null {
  // Compiled on first use: a daemon that never writes the state file never pays for it.
  const validate = (validator ??= new Ajv({ allErrors: false, strict: true }).compile<HostState>(STATE_SCHEMA));
  if (validate(state)) return null;
  const e = validate.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is not valid'}` : 'is not valid';
}

/** A held lock's directory is touched every half of this; one untouched this long is another's to take. */
const STALE_MS = 15000;

/** Removes the lock when its owner file names a process of this host that no longer runs. */
async function takeOverDeadLock(lockPath: string, ownerPath: string): Promise<void> {
  let owner: string;
  try {
    owner = await readFile(ownerPath, 'utf8');
  } catch {
    return; // no owner named: the lock is free, or its staleness decides
  }
  const [host, pidText] = owner.trim().split(' ');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) return;
  await rm(lockPath, { recursive: true, force: true });
  await rm(ownerPath, { force: true });
}

export interface StateFileWriter {
  readonly path: string;
  write(state: HostState): Promise<void>;
  read(): Promise<HostState | null>;
}

export class StateFile implements StateFileWriter {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(readonly path: string) {}

  /** Writes `state` (checked against the schema: a state that does not match is never written). */
  write(state: HostState): Promise<void> {
    const problem = stateProblem(state);
    if (problem) return Promise.reject(new HearthError('internal', `the state file would not match its schema: ${problem}`));
    const text = `${JSON.stringify(state, null, 2)}\n`;
    // One write at a time in this process; the lock file makes other processes wait too.
    const run = this.queue.then(async () => {
      const lockPath = `${this.path}.lock`;
      const ownerPath = `${lockPath}.owner`;
      await takeOverDeadLock(lockPath, ownerPath);
      const release = await lockfile.lock(this.path, {
        realpath: false,
        lockfilePath: lockPath,
        stale: STALE_MS,
        // Waits longer than a lock takes to go stale: a holder that died unnamed delays a write, never fails it.
        retries: { retries: 100, minTimeout: 20, maxTimeout: 200 },
      });
      const me = `${hostname()} ${process.pid}\n`;
      try {
        await writeFile(ownerPath, me, { mode: 0o600 });
        await writeFileAtomic(this.path, text, 0o600);
      } finally {
        await release();
        // After the release: a death in between leaves a free lock and a dead owner's name, never an unnamed lock.
        if ((await readFile(ownerPath, 'utf8').catch(() => '')) === me) await rm(ownerPath, { force: true });
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async read(): Promise<HostState | null> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as HostState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}
