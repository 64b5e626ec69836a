/**
 * Failed-login defences, shared by every surface that checks a password or a one-time phrase.
 *
 * - Per client address, in subnet buckets with mox's numbers: in any 60 seconds 10 failures for
 *   one IPv4 address or IPv6 /64, 30 for a /26 or /48, 90 for a /21 or /32; in any 24 hours 50,
 *   150, 450. Each failure is stored with its time, so the windows slide (no burst at a clock
 *   minute's edge).
 * - Per account, beyond mox: after a few failures each next attempt waits twice as long (up to
 *   15 minutes), except from an address the account has logged in from before, so strangers
 *   cannot lock the owner out. Keyed by the account (and by the name as normalised: trimmed,
 *   lower-cased, without `@<domain>`), so spellings of one name share it, and an unknown name
 *   backs off as a known one does.
 * - Device cookies (OWASP): a sign-in that presents a device cookie the account got at an earlier
 *   sign-in is spared the per-address limits (not the per-account backoff); its failures count
 *   against the cookie, which stops sparing after 10 in 24 hours.
 * - Every failure waits `[security] failure_delay` before it is answered.
 * Counters live in the store, so replicas on one PostgreSQL database share them.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueDeviceCookie, verifyDeviceCookie, type DeviceSlot } from '../../auth/device-cookies.js';
import { ownAccount } from '../../auth/ownership.js';
import { tokenHash } from '../../auth/secrets.js';
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

/** Failures a device cookie takes (in a day) before it stops sparing sign-ins the address limits. */
const DEVICE_FAILURES = 10;

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

export interface Attempt {
  /** Where the attempt came from (the client address, or `local` for the Unix socket). */
  address: string;
  surface: string;
  /** What the caller claimed to be, as typed (an unknown name is logged as given). */
  username: string;
  accountId: string | null;
  /** The sign-in's device cookie (presented, and where a new one goes): sign-ins only. */
  device?: DeviceSlot;
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
 * The per-account backoff keys: the account's id where the name is an account's, and the name
 * as normalised (trimmed, lower-cased, `@<domain>` dropped), whether or not an account has it, so
 * every spelling of a name shares one backoff and a locked name and an unknown one answer alike
 * (no enumeration). Phrase and token attempts (logged as `(pairing phrase)` …) name no account:
 * only their address counts.
 */
function accountKeys(h: Hearth, a: Attempt): string[] {
  const keys: string[] = [];
  if (a.accountId) keys.push(`acct:id:${a.accountId}`);
  if (a.username && !a.username.startsWith('(')) {
    let name = a.username.trim().toLowerCase();
    const domain = `@${h.config.server.domain.toLowerCase()}`;
    if (name.endsWith(domain)) name = name.slice(0, -domain.length);
    keys.push(`acct:${name}`);
  }
  return keys;
}

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
  const db = h.store.db;
  const buckets = bucketsOf(attempt.address);
  const keys = accountKeys(h, attempt);
  const nonce = attempt.accountId ? verifyDeviceCookie(h.deviceCookieKey, attempt.device?.presented, attempt.accountId, h.clock.now()) : null;
  // Its failures are kept under a hash of its nonce: the store holds nothing of the cookie itself.
  const deviceKey = nonce ? `dev:${tokenHash(nonce).slice(0, 32)}` : null;
  // An attempt refused by a limit is logged too (the owner sees who keeps trying), not counted.
  const refuse = async (err: HearthError): Promise<never> => {
    await log(h, attempt, false, err.code);
    await prune(h, h.clock.now());
    throw err;
  };
  const once = async (): Promise<{ result: T } | null> => {
    const now = h.clock.now();
    const counted = buckets.map((b) => b.key);
    if (deviceKey) counted.push(deviceKey);
    const events = await repo.eventCounts(db, counted, now - DAY, now - MINUTE);
    // A device cookie spares the address limits until it has taken its own share of failures.
    const trusted = deviceKey !== null && (events.get(deviceKey)?.all ?? 0) < DEVICE_FAILURES;
    if (!trusted) {
      for (const b of buckets) {
        const n = events.get(b.key) ?? { all: 0, recent: 0 };
        for (const [count, limit, window] of [
          [n.recent, b.perMinute, MINUTE],
          [n.all, b.perDay, DAY],
        ] as const) {
          if (count < limit) continue;
          // Free again once the failure that keeps the count at the limit leaves the window.
          const at = (await repo.nthEventAt(db, b.key, now - window, count - limit)) ?? now;
          return refuse(rateLimited(at + window, now, 'from this network'));
        }
      }
    }
    const rows = await repo.counters(db, keys);
    const backoff = rows.filter((r) => r.reset_at > now).sort((x, y) => y.reset_at - x.reset_at)[0];
    if (backoff && !(attempt.accountId && (await isKnownAddress(h, attempt.accountId, attempt.address, now)))) {
      return refuse(rateLimited(backoff.reset_at, now, 'for this account'));
    }

    const result = await check();
    const unfinished = result !== null && pending ? pending(result) : null;
    if (unfinished !== null) {
      await log(h, attempt, false, unfinished);
      return { result: result! };
    }
    if (result !== null) {
      await repo.deleteCounters(db, keys);
      // Every sign-in gets a fresh device cookie (OWASP), for the account it signed in to.
      if (attempt.device && attempt.accountId && h.deviceCookieKey.length) attempt.device.issue(issueDeviceCookie(h.deviceCookieKey, attempt.accountId, now));
      await log(h, attempt, true, 'ok');
      return { result };
    }
    // A trusted device's failures count against its cookie, an untrusted one's against its address.
    await repo.addEvents(db, trusted ? [deviceKey] : counted.filter((k) => k !== deviceKey), now);
    for (const key of keys) {
      const failures = await repo.bump(db, key, now);
      const beyond = failures - FREE_ACCOUNT_FAILURES;
      const wait = beyond >= 0 ? Math.min(MAX_ACCOUNT_WAIT_MS, 1000 * 2 ** beyond) : 0;
      await repo.setResetAt(db, key, now + wait);
    }
    await log(h, attempt, false, failure().code);
    return null;
  };
  // Address first, then the account's keys in their fixed order, so two queues never wait on each other.
  const queued = [buckets[0]!.key, ...keys].reduceRight<() => Promise<{ result: T } | null>>((inner, key) => () => oneAtATime(key, inner), once);
  const outcome = await queued();
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
  // Failures out of every window, and name backoffs with no failure for a day (so a backoff does not last forever).
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
