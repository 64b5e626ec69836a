/**
 * Password hashing: argon2id (OWASP's parameters) for accounts and the admin password, bcrypt
 * accepted for an admin hash made elsewhere (as Swarm Bee's). The native libraries hash on
 * libuv's thread pool, never on the event loop; a small queue keeps at most CPUs−1 hashes running
 * so a burst of logins leaves a core for everything else (and bounds their memory).
 */
import { availableParallelism } from 'node:os';
import { badRequest } from '../errors.js';

/** OWASP: argon2id, 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;
/** Longer passwords are refused: hashing cost must not be the caller's to choose. */
export const MAX_PASSWORD_LENGTH = 1024;

type Argon2 = typeof import('@node-rs/argon2');
let argon2: Promise<Argon2> | null = null;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

const slots = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `work` when a hashing slot is free. */
async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Refuses a new password that is too short or too long, naming the parameter. */
export function checkNewPassword(password: string, param = 'pass'): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badRequest(`${param} must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw badRequest(`${param} must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

export async function hashPassword(password: string): Promise<string> {
  const { hash } = await loadArgon2();
  return inSlot(() => hash(password, ARGON2_OPTIONS));
}

/** A hash of nothing anyone knows: unknown users cost the same time as known ones. */
let decoy: Promise<string> | null = null;
const decoyHash = () => (decoy ??= hashPassword(`decoy-${Math.random()}`));

/**
 * Whether `password` matches `hash` (argon2 `$argon2…` or bcrypt `$2…`). With no hash (unknown
 * user) it still spends the time of a verification, and answers false.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const target = hash ?? (await decoyHash());
  if (/^\$2[aby]\$/.test(target)) {
    const { verify } = await import('@node-rs/bcrypt');
    return inSlot(() => verify(password, target)).catch(() => false);
  }
  const { verify } = await loadArgon2();
  const ok = await inSlot(() => verify(target, password)).catch(() => false);
  return ok && hash !== null;
}

/** Whether a configured admin hash is one this daemon can check. */
export function isPasswordHash(value: string): boolean {
  return /^\$argon2(id|i|d)\$/.test(value) || /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value);
}
