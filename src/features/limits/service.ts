/**
 * Failed-login defences, shared by every surface that checks a password or a one-time phrase.
 *
 * - Per client address, in subnet buckets with mox's numbers: per minute 10 for one IPv4 address
 *   or IPv6 /64, 30 for a /26 or /48, 90 for a /21 or /32; per day 50, 150, 450.
 * - Per account, beyond mox: after a few failures each next attempt waits twice as long (up to
 *   15 minutes), except from an address the account has logged in from before, so strangers
 *   cannot lock the owner out.
 * - Every failure waits `[security] failure_delay` before it is answered.
 * Counters live in the store, so replicas on one PostgreSQL database share them.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownAccount } from '../../auth/ownership.js';
import type { Principal } from '../../auth/principal.js';
import { roleCovers } from '../../auth/roles.js';
import { HearthError } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import * as repo from './repo.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** [prefix length, per-minute limit, per-day limit] for each bucket size. */
const V4_BUCKETS = [
  [32, 10, 50],
  [26, 30, 150],
  [21, 90, 450],
] as const;
const V6_BUCKETS = [
  [64, 10, 50],
  [48, 30, 150],
  [32, 90, 450],
] as const;

/** Failures an account takes before backoff starts, and the longest wait. */
const FREE_ACCOUNT_FAILURES = 5;
const MAX_ACCOUNT_WAIT_MS = 15 * MINUTE;

/** How long the login log keeps entries, and how many at most. */
const LOG_RETENTION_MS = 30 * DAY;
const LOG_MAX_ROWS = 10_000;

function ipv4Prefix(ip: string, bits: number): string {
  const n = ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const masked = bits === 32 ? n : (n & (~0 << (32 - bits))) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${bits}`;
}

/** The first `bits` (a multiple of 16) of an IPv6 address, as groups. */
function ipv6Prefix(ip: string, bits: number): string {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${groups
    .slice(0, bits / 16)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/${bits}`;
}

export interface Bucket {
  key: string;
  perMinute: number;
  perDay: number;
}

/** The subnet buckets a client address counts in; an unknown address (the Unix socket) in one. */
export function bucketsOf(address: string): Bucket[] {
  const v4 = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(v4)) return V4_BUCKETS.map(([bits, m, d]) => ({ key: `ip:${ipv4Prefix(v4, bits)}`, perMinute: m, perDay: d }));
  if (isIPv6(address)) return V6_BUCKETS.map(([bits, m, d]) => ({ key: `ip:${ipv6Prefix(address.split('%')[0]!, bits)}`, perMinute: m, perDay: d }));
  return [{ key: `ip:${address}`, perMinute: V4_BUCKETS[0][1], perDay: V4_BUCKETS[0][2] }];
}

const windowKeys = (b: Bucket, now: number) => ({
  minute: { key: `${b.key}:m${Math.floor(now / MINUTE)}`, resetAt: (Math.floor(now / MINUTE) + 1) * MINUTE, limit: b.perMinute },
  day: { key: `${b.key}:d${Math.floor(now / DAY)}`, resetAt: (Math.floor(now / DAY) + 1) * DAY, limit: b.perDay },
});

export interface Attempt {
  /** Where the attempt came from (the client address, or `local` for the Unix socket). */
  address: string;
  surface: string;
  /** What the caller claimed to be, as typed (an unknown name is logged as given). */
  username: string;
  accountId: string | null;
}

/** Where an attempt came from; the feature that checks the secret adds who it claims to be. */
export type From = Omit<Attempt, 'username' | 'accountId'>;

function rateLimited(untilMs: number, now: number, why: string): HearthError {
  const seconds = Math.max(1, Math.ceil((untilMs - now) / 1000));
  return new HearthError('rateLimited', `too many failed attempts ${why}; try again in ${seconds} s`, { retryAfter: seconds });
}

/** Whether the account has logged in from this address within the log's retention. */
const isKnownAddress = (h: Hearth, accountId: string, address: string, now: number) =>
  repo.hasLoggedInFrom(h.store.db, accountId, address, now - LOG_RETENTION_MS);

/**
 * The per-name backoff key. It is keyed by the name as typed, whether or not an account has it,
 * (phrase attempts, logged as `(pairing phrase)`, name no account: only their address counts)
 * so a locked name and an unknown one answer alike (no enumeration).
 */
const nameKey = (a: Attempt) => (a.username && !a.username.startsWith('(') ? `acct:${a.username.toLowerCase()}` : null);

/** Work queued under one key runs one at a time in this process (see `guarded`). */
const queues = new Map<string, Promise<unknown>>();
function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(work, work);
  const settled = run.catch(() => {});
  queues.set(key, settled);
  void settled.then(() => queues.get(key) === settled && queues.delete(key));
  return run;
}

/**
 * Runs a password (or phrase) check under the limits; `check` answers what it proved, or null.
 * Only failures count. Checks from one client address run one at a time in this process, and so
 * do checks of one name, so each sees every failure before it: a burst of parallel requests is
 * queued, never let past a limit (and a burst of right passwords is queued, never refused).
 * Failures are logged, and answered after `[security] failure_delay`.
 */
export async function guarded<T>(
  h: Hearth,
  attempt: Attempt,
  check: () => Promise<T | null>,
  failure: () => HearthError,
  /**
   * A result that is not yet a login (a right password, the second factor still to come): the
   * reason logged for it. It neither counts as a failure nor clears the account's backoff, so a
   * right password cannot reset the count of wrong codes.
   */
  pending?: (result: T) => string | null,
): Promise<T> {
  const buckets = bucketsOf(attempt.address);
  const key = nameKey(attempt);
  // An attempt refused by a limit is logged too (the owner sees who keeps trying), not counted.
  const refuse = async (err: HearthError): Promise<never> => {
    await log(h, attempt, false, err.code);
    await prune(h, h.clock.now());
    throw err;
  };
  const once = async (): Promise<{ result: T } | null> => {
    const now = h.clock.now();
    const windows = buckets.flatMap((b) => Object.values(windowKeys(b, now)));
    const keys = windows.map((w) => w.key);
    if (key) keys.push(key);
    const rows = await repo.counters(h.store.db, keys);
    const counts = new Map(rows.map((r) => [r.key, r]));
    const over = windows.find((w) => (counts.get(w.key)?.count ?? 0) >= w.limit);
    if (over) return refuse(rateLimited(over.resetAt, now, 'from this network'));
    const backoff = key ? counts.get(key) : undefined;
    if (backoff && backoff.reset_at > now && !(attempt.accountId && (await isKnownAddress(h, attempt.accountId, attempt.address, now)))) {
      return refuse(rateLimited(backoff.reset_at, now, 'for this account'));
    }

    const result = await check();
    const unfinished = result !== null && pending ? pending(result) : null;
    if (unfinished !== null) {
      await log(h, attempt, false, unfinished);
      return { result: result! };
    }
    if (result !== null) {
      if (key) await repo.deleteCounter(h.store.db, key);
      await log(h, attempt, true, 'ok');
      return { result };
    }
    for (const w of windows) await repo.bump(h.store.db, w.key, w.resetAt);
    if (key) {
      const failures = await repo.bump(h.store.db, key, now);
      const beyond = failures - FREE_ACCOUNT_FAILURES;
      const wait = beyond >= 0 ? Math.min(MAX_ACCOUNT_WAIT_MS, 1000 * 2 ** beyond) : 0;
      await repo.setResetAt(h.store.db, key, now + wait);
    }
    await log(h, attempt, false, failure().code);
    return null;
  };
  // Address first, then name: always in that order, so two queues never wait on each other.
  const outcome = await oneAtATime(buckets[0]!.key, () => (key ? oneAtATime(key, once) : once()));
  if (outcome) return outcome.result;
  await prune(h, h.clock.now());
  if (h.config.security.failure_delay > 0) await sleep(h.config.security.failure_delay);
  throw failure();
}

/** Writes an event that is not an attempt (a maintainer resetting a second factor, say) to the login log. */
export async function logEvent(h: Hearth, a: Attempt, success: boolean, reason: string): Promise<void> {
  await log(h, a, success, reason);
}

async function log(h: Hearth, a: Attempt, success: boolean, reason: string): Promise<void> {
  await repo.insertAttempt(h.store.db, {
    at: h.clock.now(),
    surface: a.surface,
    username: a.username.slice(0, 64),
    accountId: a.accountId,
    address: a.address,
    success,
    reason,
  });
}

let lastPrune = 0;
/** Drops spent counters and old log entries, at most once a minute. */
async function prune(h: Hearth, now: number): Promise<void> {
  if (now - lastPrune < MINUTE && now >= lastPrune) return;
  lastPrune = now;
  // Spent windows, and name backoffs with no failure for a day (so a backoff does not last forever).
  await repo.prune(h.store.db, now - DAY, now - LOG_RETENTION_MS, LOG_MAX_ROWS);
}

export interface LoginLogEntry {
  at: string;
  surface: string;
  username: string;
  address: string;
  success: boolean;
  reason: string;
}

/**
 * The newest entries of the login log, newest first: every entry for an auditor or above; for
 * anyone else only those against their own account (their logins, and wrong passwords for it).
 */
export async function loginLog(h: Hearth, principal: Principal, limit = 100, onlyFailures = false): Promise<LoginLogEntry[]> {
  const everyone = roleCovers(principal.role, 'auditor');
  const own = everyone ? null : ownAccount(principal, 'the login log of an account: this credential has none').id;
  const rows = await repo.recentAttempts(h.store.db, limit, onlyFailures, own);
  return rows.map((r) => ({
    at: new Date(r.at).toISOString(),
    surface: r.surface,
    username: r.username,
    address: r.address,
    success: r.success,
    reason: r.reason,
  }));
}
