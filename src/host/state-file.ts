/**
 * The state file writer: the declarative JSON the operating system's configuration consumes
 * (as SelfPrivacy's userdata.json). A write is checked against STATE_SCHEMA first, then made
 * under a lock (`<path>.lock`, a directory, so other processes take turns too) and atomically.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import lockfile from 'proper-lockfile';
import { HearthError } from '../kernel/errors.js';
import { writeFileAtomic } from './files.js';
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
      const release = await lockfile.lock(this.path, {
        realpath: false,
        lockfilePath: `${this.path}.lock`,
        stale: 15000,
        retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
      });
      try {
        await writeFileAtomic(this.path, text, 0o600);
      } finally {
        await release();
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
