/** The failed-login counters (`rate_counters`, `rate_events`) and the login log (`login_attempts`). */
import { newId } from '../../auth/secrets.js';
import { sql } from 'kysely';
import type { Db } from '../../store/db.js';

export interface CounterRow {
  key: string;
  count: number;
  reset_at: number;
}

export async function counters(db: Db, keys: string[]): Promise<CounterRow[]> {
  if (!keys.length) return [];
  return db.selectFrom('rate_counters').select(['key', 'count', 'reset_at']).where('key', 'in', keys).execute();
}

/** Adds one to a counter, atomically, and answers its new value. */
export async function bump(db: Db, key: string, resetAt: number): Promise<number> {
  const row = await db
    .insertInto('rate_counters')
    .values({ key, count: 1, reset_at: resetAt })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ count: eb('rate_counters.count', '+', 1) })))
    .returning('count')
    .executeTakeFirstOrThrow();
  return row.count;
}

/** Records one failure under each key, at `at`. */
export async function addEvents(db: Db, keys: string[], at: number): Promise<void> {
  if (keys.length)
    await db
      .insertInto('rate_events')
      .values(keys.map((key) => ({ id: newId(), key, at })))
      .execute();
}

/** For each key, the failures after `since` and those after `recent` (a later time). */
export async function eventCounts(db: Db, keys: string[], since: number, recent: number): Promise<Map<string, { all: number; recent: number }>> {
  if (!keys.length) return new Map();
  const rows = await db
    .selectFrom('rate_events')
    .select((eb) => [
      'key',
      eb.fn.countAll<number | string>().as('all'),
      eb.fn.sum<number | string | null>(eb.case().when('at', '>', recent).then(sql.lit(1)).else(sql.lit(0)).end()).as('recent'),
    ])
    .where('key', 'in', keys)
    .where('at', '>', since)
    .groupBy('key')
    .execute();
  return new Map(rows.map((r) => [r.key, { all: Number(r.all), recent: Number(r.recent ?? 0) }]));
}

/** The time of the `skip`+1-th oldest failure under `key` after `since`. */
export async function nthEventAt(db: Db, key: string, since: number, skip: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('rate_events')
    .select('at')
    .where('key', '=', key)
    .where('at', '>', since)
    .orderBy('at', 'asc')
    .offset(skip)
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.at);
}

export async function setResetAt(db: Db, key: string, resetAt: number): Promise<void> {
  await db.updateTable('rate_counters').set({ reset_at: resetAt }).where('key', '=', key).execute();
}

export async function deleteCounters(db: Db, keys: string[]): Promise<void> {
  if (keys.length) await db.deleteFrom('rate_counters').where('key', 'in', keys).execute();
}

/** Whether the account has logged in successfully from this address since `since`. */
export async function hasLoggedInFrom(db: Db, accountId: string, address: string, since: number): Promise<boolean> {
  const row = await db
    .selectFrom('login_attempts')
    .select('id')
    .where('account_id', '=', accountId)
    .where('address', '=', address)
    .where('success', '=', 1)
    .where('at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface AttemptRow {
  at: number;
  surface: string;
  username: string;
  accountId: string | null;
  address: string;
  success: boolean;
  reason: string;
}

export async function insertAttempt(db: Db, a: AttemptRow): Promise<void> {
  await db
    .insertInto('login_attempts')
    .values({
      id: newId(),
      at: a.at,
      surface: a.surface,
      username: a.username,
      account_id: a.accountId,
      address: a.address,
      success: a.success ? 1 : 0,
      reason: a.reason,
    })
    .execute();
}

/** Drops counters and failures from before `countersBefore`, log entries older than `logBefore`, and all but the newest `keepRows` entries. */
export async function prune(db: Db, countersBefore: number, logBefore: number, keepRows: number): Promise<void> {
  await db.deleteFrom('rate_counters').where('reset_at', '<', countersBefore).execute();
  await db.deleteFrom('rate_events').where('at', '<=', countersBefore).execute();
  await db.deleteFrom('login_attempts').where('at', '<', logBefore).execute();
  const cutoff = await db.selectFrom('login_attempts').select('at').orderBy('at', 'desc').offset(keepRows).limit(1).executeTakeFirst();
  if (cutoff) await db.deleteFrom('login_attempts').where('at', '<=', cutoff.at).execute();
}

/** The newest entries of the login log, newest first. */
export async function recentAttempts(db: Db, limit: number, onlyFailures: boolean, accountId: string | null = null): Promise<AttemptRow[]> {
  let q = db
    .selectFrom('login_attempts')
    .select(['at', 'surface', 'username', 'account_id', 'address', 'success', 'reason'])
    .orderBy('at', 'desc')
    .limit(limit);
  if (onlyFailures) q = q.where('success', '=', 0);
  if (accountId !== null) q = q.where('account_id', '=', accountId);
  const rows = await q.execute();
  return rows.map((r) => ({
    at: r.at,
    surface: r.surface,
    username: r.username,
    accountId: r.account_id,
    address: r.address,
    success: r.success === 1,
    reason: r.reason,
  }));
}
