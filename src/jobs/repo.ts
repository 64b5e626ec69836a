/** The `jobs` table: the only module that touches it. */
import type { Selectable } from 'kysely';
import type { Db } from '../store/db.js';
import type { JobsTable } from '../store/schema.js';

export type JobRow = Selectable<JobsTable>;

export const ACTIVE = ['queued', 'running'] as const;

export async function insert(db: Db, row: JobRow): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

export async function update(db: Db, id: string, patch: Partial<Omit<JobRow, 'id' | 'kind'>>): Promise<void> {
  await db.updateTable('jobs').set(patch).where('id', '=', id).execute();
}

export async function find(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function activeOfKind(db: Db, kind: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('status', 'in', ACTIVE).executeTakeFirst();
}

/** Newest first, at most `limit`, of one kind when given. */
export async function list(db: Db, limit: number, kind?: string): Promise<JobRow[]> {
  let q = db.selectFrom('jobs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (kind !== undefined) q = q.where('kind', '=', kind);
  return q.execute();
}

/** Says `replica` still runs its queued and running jobs. */
export async function heartbeat(db: Db, replica: string, now: number): Promise<void> {
  await db.updateTable('jobs').set({ heartbeat_at: now }).where('replica', '=', replica).where('status', 'in', ACTIVE).execute();
}

/**
 * Marks failed the queued or running jobs (of one kind, when given) whose daemon is gone: those
 * whose heartbeat is older than `staleBefore` or missing, and, at a daemon's start, those of its
 * own `replica` id; never those in `keep`. Answers how many.
 */
export async function failOrphans(
  db: Db,
  o: { now: number; staleBefore: number; replica?: string; error: string; kind?: string; /** jobs this daemon runs: never orphans */ keep?: string[] },
): Promise<number> {
  let q = db
    .updateTable('jobs')
    .set({ status: 'failed', finished_at: o.now, error: o.error })
    .where('status', 'in', ACTIVE)
    .where((eb) => {
      const gone = [eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', o.staleBefore)];
      return eb.or(o.replica === undefined ? gone : [...gone, eb('replica', '=', o.replica)]);
    });
  if (o.kind !== undefined) q = q.where('kind', '=', o.kind);
  if (o.keep?.length) q = q.where('id', 'not in', o.keep);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Forgets finished jobs created before `before`. */
export async function deleteFinishedBefore(db: Db, before: number): Promise<void> {
  await db.deleteFrom('jobs').where('status', 'not in', ACTIVE).where('created_at', '<', before).execute();
}
