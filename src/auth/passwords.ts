/**
 * Password hashing: argon2id (OWASP's parameters) for accounts and the admin password, bcrypt
 * accepted for an admin hash made elsewhere (as Swarm Bee's). Hashes run on a few worker threads,
 * never on the event loop: at most CPUs−1 (and at most 4) at once, so a burst of logins leaves a
 * core for everything else and its memory stays bounded, and on Linux at a lower CPU priority (nice
 * 10), so where cores are short it is the hashing that waits, never the requests beside it.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { badRequest } from '../kernel/errors.js';

/** OWASP: argon2id, 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;
/** Longer passwords are refused: hashing cost must not be the caller's to choose. */
export const MAX_PASSWORD_LENGTH = 1024;

/** How long an idle hashing thread stays before it exits (an idle daemon keeps no threads). */
const IDLE_EXIT_MS = 60_000;
/** The hashing threads' nice value (Linux: per thread; elsewhere it would slow the whole process). */
const HASHING_NICE = 10;

type Job = { op: 'hash'; password: string } | { op: 'verify'; hash: string; password: string } | { op: 'bcrypt-verify'; hash: string; password: string };

/** The worker's code: the native libraries' sync calls, on its own (lower-priority) thread. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.nice !== null) try { require('node:os').setPriority(workerData.nice); } catch {}
const argon2 = require(workerData.argon2);
let bcrypt = null;
// A hash the library cannot read verifies nothing; it is not the thread's failure.
const verifies = (check) => { try { return check(); } catch { return false; } };
parentPort.on('message', (job) => {
  try {
    let result;
    if (job.op === 'hash') result = argon2.hashSync(job.password, workerData.options);
    else if (job.op === 'verify') result = verifies(() => argon2.verifySync(job.hash, job.password));
    else result = verifies(() => (bcrypt ??= require(workerData.bcrypt)).verifySync(job.password, job.hash));
    parentPort.postMessage({ result });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
`;

/** Where the native libraries are, for the threads' require (resolved on first use). */
let libraries: { argon2: string; bcrypt: string } | null = null;
const librariesOnce = () => {
  const resolve = createRequire(import.meta.url).resolve;
  return (libraries ??= { argon2: resolve('@node-rs/argon2'), bcrypt: resolve('@node-rs/bcrypt') });
};
/** Hashes at once: a core is left for everything else, and at most 4 × 19 MiB are in use. */
export const HASHING_SLOTS = Math.min(4, Math.max(1, availableParallelism() - 1));

interface Pending {
  job: Job;
  resolve: (value: string | boolean) => void;
  reject: (err: Error) => void;
}

const threads = new Set<HashThread>();
const queue: Pending[] = [];

/** One hashing worker thread: one job at a time; exits after a while idle. */
class HashThread {
  private readonly worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      ...librariesOnce(),
      options: ARGON2_OPTIONS,
      nice: process.platform === 'linux' ? HASHING_NICE : null,
    },
  });
  busy: Pending | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor() {
    threads.add(this);
    this.worker.on('message', (m: { result?: string | boolean; error?: string }) => {
      const done = this.busy!;
      this.busy = null;
      if (m.error !== undefined) done.reject(new Error(m.error));
      else done.resolve(m.result!);
      pump();
    });
    const fail = (err: Error) => {
      if (!threads.delete(this)) return; // it was let go on purpose
      this.busy?.reject(err);
      this.busy = null;
      pump();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the password hashing thread exited')));
  }

  run(pending: Pending): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.busy = pending;
    this.worker.ref(); // a job in flight keeps the process alive (a CLI awaiting its hash)
    this.worker.postMessage(pending.job);
  }

  /** Idle: the thread no longer keeps the process alive, and exits if no job comes soon. */
  idle(): void {
    this.worker.unref();
    this.idleTimer ??= setTimeout(() => {
      threads.delete(this);
      void this.worker.terminate();
    }, IDLE_EXIT_MS).unref();
  }
}

/** Hands queued jobs to idle threads, starting threads up to the limit. */
function pump(): void {
  for (const thread of threads) {
    if (thread.busy) continue;
    const next = queue.shift();
    if (next) thread.run(next);
    else thread.idle();
  }
  while (queue.length > 0 && threads.size < HASHING_SLOTS) {
    const next = queue.shift()!;
    let thread: HashThread;
    try {
      thread = new HashThread();
    } catch (err) {
      // No thread to be had (a process limit, say): this job fails, and if no thread is left to
      // take the others, they fail too, rather than wait for ever.
      next.reject(err as Error);
      if (threads.size === 0) for (const waiting of queue.splice(0)) waiting.reject(err as Error);
      continue;
    }
    thread.run(next);
  }
}

/**
 * Runs a job on a hashing thread. It rejects only when the thread itself fails (a broken
 * install, say): that is the server's fault, never answered as a wrong password.
 */
function onHashThread<T extends string | boolean>(job: Job): Promise<T> {
  librariesOnce(); // a library that cannot be found fails here, before anything is queued
  return new Promise<T>((resolve, reject) => {
    queue.push({ job, resolve: resolve as Pending['resolve'], reject });
    pump();
  });
}

/** Refuses a new password that is too short or too long, naming the parameter. */
export function checkNewPassword(password: string, param = 'pass'): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badRequest(`${param} must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw badRequest(`${param} must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

export function hashPassword(password: string): Promise<string> {
  return onHashThread<string>({ op: 'hash', password });
}

/** A hash of nothing anyone knows: unknown users cost the same time as known ones. */
let decoy: Promise<string> | null = null;
const decoyHash = () =>
  (decoy ??= hashPassword(`decoy-${randomBytes(16).toString('hex')}`).catch((err) => {
    decoy = null; // tried again next time
    throw err;
  }));

/**
 * Whether `password` matches `hash` (argon2 `$argon2…` or bcrypt `$2…`). With no hash (unknown
 * user) it still spends the time of a verification, and answers false.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const target = hash ?? (await decoyHash());
  const op = /^\$2[aby]\$/.test(target) ? 'bcrypt-verify' : 'verify';
  const ok = await onHashThread<boolean>({ op, hash: target, password });
  return ok && hash !== null;
}

/** Whether a configured admin hash is one this daemon can check. */
export function isPasswordHash(value: string): boolean {
  return /^\$argon2(id|i|d)\$/.test(value) || /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value);
}
