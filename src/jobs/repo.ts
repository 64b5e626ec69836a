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

/** Marks every queued or running job failed (they belonged to a daemon that is gone); answers how many. */
export async function failActive(db: Db, now: number, error: string): Promise<number> {
  const r = await db.updateTable('jobs').set({ status: 'failed', finished_at: now, error }).where('status', 'in', ACTIVE).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Forgets finished jobs created before `before`. */
export async function deleteFinishedBefore(db: Db, before: number): Promise<void> {
  await db.deleteFrom('jobs').where('status', 'not in', ACTIVE).where('created_at', '<', before).execute();
}
